"""Screen <-> model coordinates: the target size by aspect ratio, round trips within 1 px (property-based), and a
real click on a large screen landing where the model pointed."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from harness.actions import ComputerAction
from harness.agents.claude.scaling import MAX_LONG_EDGE, MAX_PIXELS, TARGETS, choose_scaling, resize_screenshot
from harness.agents.claude.translate import PlannedCall, to_action, tool_result_block
from harness.agents.claude.versions import TOOLSETS
from harness.sandbox import Sandbox, start_sandbox
from harness.tools import Toolbox

from .claude_support import png

screens = st.tuples(st.integers(320, 4096), st.integers(240, 3072))


@pytest.mark.parametrize("screen,scaled", [
    ((1280, 800), (1280, 800)), ((1024, 768), (1024, 768)), ((2048, 1536), (1024, 768)),
    ((1920, 1200), (1280, 800)), ((2560, 1600), (1280, 800)), ((1920, 1080), (1366, 768)),
    ((3840, 2160), (1366, 768)), ((800, 600), (800, 600)), ((1366, 768), (1366, 768)),
])
def test_screens_are_shown_at_the_recommended_size_of_their_aspect_ratio(screen: tuple[int, int],
                                                                         scaled: tuple[int, int]) -> None:
    assert choose_scaling(screen).scaled == scaled


@settings(database=None, deadline=None)  # no example database in the work tree
@given(screens)
def test_the_scaled_size_never_upscales_and_fits_the_api_limits(screen: tuple[int, int]) -> None:
    scaled = choose_scaling(screen).scaled
    assert scaled[0] <= screen[0] and scaled[1] <= screen[1]
    assert max(scaled) <= MAX_LONG_EDGE and scaled[0] * scaled[1] <= MAX_PIXELS or scaled == screen
    if scaled != screen and scaled not in TARGETS.values():  # an odd aspect ratio keeps its shape
        factor = max(scaled[0] / screen[0], scaled[1] / screen[1])
        assert abs(scaled[0] - screen[0] * factor) <= 1 and abs(scaled[1] - screen[1] * factor) <= 1


@settings(max_examples=300, database=None, deadline=None)
@given(screens, st.data())
def test_a_screen_point_survives_the_round_trip_within_1px(screen: tuple[int, int], data: st.DataObject) -> None:
    scaling = choose_scaling(screen)
    x = data.draw(st.integers(0, screen[0] - 1))
    y = data.draw(st.integers(0, screen[1] - 1))
    model = scaling.to_model(x, y)
    assert scaling.contains(*model)
    back = scaling.to_screen(*model)
    for axis, factor in enumerate(scaling.factors):
        error = abs(back[axis] - (x, y)[axis])
        assert error <= math.floor(0.5 / factor + 0.5)  # half a scaled pixel
        if factor >= 0.5:
            assert error <= 1


@settings(max_examples=300, database=None, deadline=None)
@given(screens, st.data())
def test_a_model_point_maps_to_the_centre_of_its_cell_and_back_exactly(screen: tuple[int, int],
                                                                        data: st.DataObject) -> None:
    scaling = choose_scaling(screen)
    p = (data.draw(st.integers(0, scaling.scaled[0] - 1)), data.draw(st.integers(0, scaling.scaled[1] - 1)))
    on_screen = scaling.to_screen(*p)
    assert scaling.to_model(*on_screen) == p
    for axis, factor in enumerate(scaling.factors):
        centre = (p[axis] + 0.5) / factor - 0.5
        assert abs(on_screen[axis] - centre) <= 0.5 + 1e-9


@given(st.sampled_from([(2048, 1536), (1920, 1080), (1600, 1000), (1300, 1000)]))
@settings(max_examples=8, deadline=None, database=None)
def test_screenshots_are_resized_to_the_declared_size(screen: tuple[int, int]) -> None:
    scaling = choose_scaling(screen)
    shot = resize_screenshot(png(*screen), scaling.scaled)
    assert (shot.width, shot.height) == scaling.scaled
    assert Image.open(io.BytesIO(shot.data)).size == scaling.scaled


@settings(database=None, deadline=None)
@given(screens, st.data())
def test_zoom_regions_cover_the_same_cells_on_the_screen(screen: tuple[int, int], data: st.DataObject) -> None:
    scaling = choose_scaling(screen)
    w, h = scaling.scaled
    x1, x2 = sorted(data.draw(st.lists(st.integers(0, w), min_size=2, max_size=2, unique=True)))
    y1, y2 = sorted(data.draw(st.lists(st.integers(0, h), min_size=2, max_size=2, unique=True)))
    sx1, sy1, sx2, sy2 = scaling.region_to_screen(x1, y1, x2, y2)
    assert 0 <= sx1 < sx2 <= screen[0] and 0 <= sy1 < sy2 <= screen[1]
    fx, fy = scaling.factors
    assert sx1 <= x1 / fx < sx1 + 1 and sx2 - 1 < x2 / fx <= sx2


# -- a real click on a screen twice the size the model sees

SCREEN = (2048, 1536)


@pytest.fixture(scope="module")
def big_box(desktop_image: str) -> Iterator[Sandbox]:
    with start_sandbox("desktop", labels={"deskbench.run": "pytest-claude-scaling"}, screen=SCREEN) as box:
        yield box


@pytest.mark.docker
@pytest.mark.parametrize("target", [(0, 0), (1, 1), (640, 480), (1023, 767), (2047, 1535), (1500, 17), (33, 1300)])
def test_a_real_click_lands_within_1px_of_the_intended_point(big_box: Sandbox, target: tuple[int, int]) -> None:
    """The model sees ``target`` at ``to_model(target)``; clicking there moves the guest's pointer to ``target``."""
    scaling = choose_scaling(big_box.screen)
    assert scaling.scaled == (1024, 768)
    model_point = scaling.to_model(*target)
    action = to_action("computer", {"action": "left_click", "coordinate": list(model_point)}, TOOLSETS["20250728"],
                       ("computer",), scaling)
    tools = Toolbox(big_box.guest, big_box.screen)
    result = tools.execute(action)
    assert result.error is None and result.screenshot is not None
    x, y = big_box.guest.cursor()
    assert abs(x - target[0]) <= 1 and abs(y - target[1]) <= 1, ((x, y), target)
    # and cursor_position, as the model reads it, names the point it clicked
    cursor = ComputerAction(action="cursor_position")
    block = tool_result_block(PlannedCall("toolu_x", action=cursor), tools.execute(cursor), scaling)
    assert block["content"][0]["text"] == f"X={model_point[0]},Y={model_point[1]}"
    shot = tool_result_block(PlannedCall("toolu_y", action=action), result, scaling)["content"][0]
    assert shot["type"] == "image"
