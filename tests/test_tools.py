"""The computer, bash and editor tools executed in a real desktop."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image

from harness.actions import BashAction, ComputerAction, EditorAction
from harness.sandbox import Sandbox, start_sandbox
from harness.tools import Toolbox

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def box(desktop_image: str) -> Iterator[Sandbox]:
    with start_sandbox("desktop", labels={"deskbench.run": "pytest-tools"}) as sandbox:
        yield sandbox


@pytest.fixture
def tools(box: Sandbox) -> Toolbox:
    return Toolbox(box.guest, box.screen)


def test_click_moves_pointer_and_returns_a_screenshot(tools: Toolbox, box: Sandbox) -> None:
    result = tools.execute(ComputerAction(action="left_click", coordinate=(321, 123)))
    assert result.error is None and result.screenshot is not None
    assert Image.open(io.BytesIO(result.screenshot.data)).size == box.screen
    assert tools.execute(ComputerAction(action="cursor_position")).output == "X=321,Y=123"


@pytest.mark.parametrize("coordinate", [(-1, 5), (1280, 5), (5, 800), (99999, 99999)])
def test_coordinates_off_screen_are_errors_the_model_sees(tools: Toolbox, coordinate: tuple[int, int]) -> None:
    result = tools.execute(ComputerAction(action="mouse_move", coordinate=coordinate))
    assert result.error is not None and "outside the screen" in result.error


def test_missing_text_and_unknown_key_are_tool_errors(tools: Toolbox) -> None:
    assert "text is required" in (tools.execute(ComputerAction(action="type")).error or "")
    bad = tools.execute(ComputerAction(action="key", text="ctrl+NoSuchKeyName"))
    assert bad.error is not None


def test_zoom_returns_the_region_at_full_resolution(tools: Toolbox) -> None:
    result = tools.execute(ComputerAction(action="zoom", region=(100, 100, 300, 250)))
    assert result.screenshot is not None
    assert Image.open(io.BytesIO(result.screenshot.data)).size == (200, 150)


def test_bash_state_persists_and_timeouts_do_not_hang(tools: Toolbox) -> None:
    assert tools.execute(BashAction(command="cd /tmp && export DESK=bench")).error is None
    out = tools.execute(BashAction(command="pwd; echo $DESK; echo oops >&2")).output
    assert out == "/tmp\nbench\noops"
    tools.bash.timeout = 1.0
    slow = tools.execute(BashAction(command="sleep 30"))
    assert slow.error is not None and "timed out" in slow.error
    tools.bash.timeout = 120.0
    assert tools.execute(BashAction(command="pwd")).output == "/tmp"
    assert tools.execute(BashAction(restart=True)).output == "tool has been restarted."
    assert tools.execute(BashAction(command="pwd")).output == "/home/user"


def test_editor_keeps_tabs_and_bytes_outside_the_edit(tools: Toolbox, box: Sandbox) -> None:
    path = "/home/user/edit-me.txt"
    original = b"a\tb\r\nport = 8080\n\tindented\nend"
    box.guest.write_file(path, original)
    r = tools.execute(EditorAction(command="str_replace", path=path, old_str="8080", new_str="9090"))
    assert r.error is None
    assert box.guest.read_file(path) == original.replace(b"8080", b"9090")


def test_editor_refusals(tools: Toolbox, box: Sandbox) -> None:
    path = "/home/user/twice.txt"
    box.guest.write_file(path, b"x = 1\nx = 1\n")
    dup = tools.execute(EditorAction(command="str_replace", path=path, old_str="x = 1", new_str="x = 2"))
    assert dup.error is not None and "multiple occurrences" in dup.error
    none = tools.execute(EditorAction(command="str_replace", path=path, old_str="y", new_str="z"))
    assert none.error is not None and "did not appear verbatim" in none.error
    create = tools.execute(EditorAction(command="create", path=path, file_text="new"))
    assert create.error is not None and "cannot overwrite" in create.error
    assert box.guest.read_file(path) == b"x = 1\nx = 1\n"
    rel = tools.execute(EditorAction(command="view", path="relative.txt"))
    assert rel.error is not None and "absolute path" in rel.error


def test_editor_insert_view_and_undo(box: Sandbox) -> None:
    old = Toolbox(box.guest, box.screen, editor_version="20250124")
    path = "/home/user/insert.txt"
    box.guest.write_file(path, b"one\ntwo")
    assert old.execute(EditorAction(tool="str_replace_editor", command="insert", path=path, insert_line=1,
                                    new_str="one and a half")).error is None
    assert box.guest.read_file(path) == b"one\none and a half\ntwo"
    view = old.execute(EditorAction(tool="str_replace_editor", command="view", path=path, view_range=(2, 3)))
    assert view.output is not None and "     2\tone and a half\n     3\ttwo" in view.output
    assert old.execute(EditorAction(tool="str_replace_editor", command="undo_edit", path=path)).error is None
    assert box.guest.read_file(path) == b"one\ntwo"
