"""Gemini's normalized grid and function calls: the documented round-trip bound (property-based), each UI function
as deskbench actions, calls the desktop cannot perform answered with an error, and reference solutions rewritten
into Gemini's action set."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.actions import BashAction, ComputerAction, EditorAction
from harness.agents.gemini.grid import GRID, Grid, round_trip_bound, to_grid_axis, to_screen_axis
from harness.agents.gemini.translate import BROWSER_ONLY, plan_call, to_keysyms
from harness.mockapi.gemini_script import convert
from harness.mockapi.script import Script, load_scripts

from .conftest import SMOKE

SCREEN = Grid(1280, 800)
CUSTOM = ("bash", "str_replace_based_edit_tool")


@st.composite
def axis_and_pixel(draw: st.DrawFn, largest: int = 8000) -> tuple[int, int]:
    size = draw(st.integers(1, largest))
    return size, draw(st.integers(0, size - 1))


@given(axis_and_pixel())
def test_a_pixel_through_the_grid_and_back_moves_at_most_the_documented_bound(case: tuple[int, int]) -> None:
    size, pixel = case
    back = to_screen_axis(to_grid_axis(pixel, size), size)
    assert abs(back - pixel) <= round_trip_bound(size)
    assert 0 <= back < size


@given(axis_and_pixel(largest=GRID))
def test_up_to_1000_pixels_every_pixel_survives_the_round_trip(case: tuple[int, int]) -> None:
    size, pixel = case
    assert to_screen_axis(to_grid_axis(pixel, size), size) == pixel


@given(axis_and_pixel(largest=2 * GRID))
def test_up_to_2000_pixels_1920_included_the_round_trip_is_within_1_px(case: tuple[int, int]) -> None:
    size, pixel = case
    assert abs(to_screen_axis(to_grid_axis(pixel, size), size) - pixel) <= 1


@given(st.integers(1, 8000), st.integers(0, GRID - 2))
def test_the_grid_maps_onto_the_screen_in_order_and_inside_it(size: int, value: int) -> None:
    assert 0 <= to_screen_axis(value, size) <= to_screen_axis(value + 1, size) < size


def test_the_bound_is_tight_where_the_grid_is_coarser_than_the_screen() -> None:
    # 3840 px on 1000 cells: some pixel must move by the bound (the bound is not loose)
    worst = max(abs(to_screen_axis(to_grid_axis(p, 3840), 3840) - p) for p in range(3840))
    assert worst == round_trip_bound(3840) == 3
    assert round_trip_bound(1920) == 1 and round_trip_bound(1000) == 0


def actions(name: str, args: dict[str, Any], grid: Grid = SCREEN) -> list[Any]:
    call = plan_call(name, args, grid, CUSTOM)
    assert call.error is None, call.error
    return [a.model_dump(exclude_none=True, exclude={"tool"}) if isinstance(a, ComputerAction) else a
            for a in call.actions]


def test_click_hover_and_drag_land_on_the_denormalized_pixels() -> None:
    assert actions("click_at", {"x": 500, "y": 500}) == [{"action": "left_click", "coordinate": (640, 400)}]
    assert actions("hover_at", {"x": 0, "y": 999}) == [{"action": "mouse_move", "coordinate": (0, 799)}]
    assert actions("drag_and_drop", {"x": 100, "y": 200, "destination_x": 900.0, "destination_y": 800}) == [
        {"action": "left_click_drag", "start_coordinate": (128, 160), "coordinate": (1152, 640)}]
    big = Grid(1920, 1080)
    assert actions("click_at", {"x": 250, "y": 750}, big) == [{"action": "left_click", "coordinate": (480, 810)}]


def test_type_text_at_clicks_clears_types_and_presses_enter_by_default() -> None:
    assert actions("type_text_at", {"x": 500, "y": 100, "text": "hello"}) == [
        {"action": "left_click", "coordinate": (640, 80)}, {"action": "key", "text": "ctrl+a"},
        {"action": "key", "text": "BackSpace"}, {"action": "type", "text": "hello"},
        {"action": "key", "text": "Return"}]
    assert actions("type_text_at", {"x": 1, "y": 1, "text": "a b", "press_enter": False,
                                    "clear_before_typing": False}) == [
        {"action": "left_click", "coordinate": (1, 1)}, {"action": "type", "text": "a b"}]


@pytest.mark.parametrize("keys,keysyms", [
    ("Control+C", "ctrl+c"), ("Control+Shift+T", "ctrl+shift+t"), ("Enter", "Return"), ("Alt+F4", "alt+F4"),
    ("Meta", "super"), ("ArrowDown", "Down"), ("PageUp", "Page_Up"), ("Backspace", "BackSpace"), ("a", "a"),
])
def test_key_names_become_x_keysyms(keys: str, keysyms: str) -> None:
    assert to_keysyms(keys) == keysyms
    assert actions("key_combination", {"keys": keys}) == [{"action": "key", "text": keysyms}]


def test_scrolls_and_the_wait_become_wheel_clicks_and_five_seconds() -> None:
    assert actions("scroll_at", {"x": 500, "y": 500, "direction": "down", "magnitude": 500}) == [
        {"action": "scroll", "coordinate": (640, 400), "scroll_direction": "down", "scroll_amount": 8}]
    assert actions("scroll_at", {"x": 500, "y": 500, "direction": "left"})[0]["scroll_amount"] == 20
    assert actions("scroll_document", {"direction": "up"})[0]["scroll_direction"] == "up"
    assert actions("wait_5_seconds", {}) == [{"action": "wait", "duration": 5.0}]


def test_the_custom_functions_are_deskbench_bash_and_editor() -> None:
    assert actions("bash", {"command": "ls"}) == [BashAction(command="ls")]
    assert actions("str_replace_based_edit_tool", {"command": "view", "path": "/tmp"}) == [
        EditorAction(command="view", path="/tmp")]


@pytest.mark.parametrize("name,args,needle", [
    *[(n, {}, "not available") for n in BROWSER_ONLY],
    ("open_app", {"name": "x"}, "unknown function 'open_app'"),
    ("click_at", {"x": 1000, "y": 5}, "off the normalized grid"),
    ("click_at", {"x": -1, "y": 5}, "off the normalized grid"),
    ("click_at", {"x": 5}, "y is required"),
    ("click_at", {"x": 1.5, "y": 5}, "whole number"),
    ("click_at", {"x": "10", "y": 5}, "whole number"),
    ("click_at", {"x": True, "y": 5}, "whole number"),
    ("click_at", {"x": 1, "y": 5, "button": "right"}, "no parameter 'button'"),
    ("type_text_at", {"x": 1, "y": 5}, "text is required"),
    ("type_text_at", {"x": 1, "y": 5, "text": "a", "press_enter": "yes"}, "true or false"),
    ("key_combination", {"keys": "Control++"}, "joined by +"),
    ("scroll_at", {"x": 1, "y": 1, "direction": "sideways"}, "direction must be"),
    ("scroll_at", {"x": 1, "y": 1, "direction": "up", "magnitude": 5000}, "magnitude must be"),
    ("bash", {"command": 3}, "invalid arguments for bash"),
    ("str_replace_based_edit_tool", {"command": "delete", "path": "/x"}, "invalid arguments"),
])
def test_a_call_the_desktop_cannot_perform_is_an_error_for_the_model_not_an_exception(
        name: str, args: dict[str, Any], needle: str) -> None:
    call = plan_call(name, args, SCREEN, CUSTOM, call_id="c1")
    assert call.actions == () and call.error is not None and needle in call.error, call.error


def test_bash_is_not_a_function_when_it_was_not_declared() -> None:
    call = plan_call("bash", {"command": "ls"}, SCREEN, ())
    assert call.error is not None and "unknown function 'bash'" in call.error


def test_safety_decision_and_intent_are_read_off_the_arguments() -> None:
    call = plan_call("click_at", {"x": 10, "y": 10, "intent": "accept the banner",
                                  "safety_decision": {"decision": "require_confirmation", "explanation": "cookies"}},
                     SCREEN, CUSTOM)
    assert call.error is None and len(call.actions) == 1
    assert call.safety is not None and call.safety.needs_confirmation and call.safety.explanation == "cookies"
    assert call.intent == "accept the banner"


def test_reference_solutions_become_gemini_calls_typing_at_the_centre_and_select_all_as_clearing() -> None:
    scripts = {s.name: s for s in load_scripts(SMOKE)}
    declared = set(CUSTOM)
    fix = convert(scripts["fix-typo"], declared)
    assert fix.turns[0] == [{"name": "type_text_at", "args": {
        "x": 500, "y": 500, "text": "Please receive the parcel at the front desk.", "press_enter": False,
        "clear_before_typing": True}}]
    assert fix.turns[1] == [{"name": "key_combination", "args": {"keys": "Control+S"}}]
    assert fix.turns[2] == [{"name": "wait_5_seconds", "args": {}}]
    hello = convert(scripts["hello-file"], declared)
    assert hello.turns[0][0]["args"]["press_enter"] is True
    assert not hello.turns[0][0]["args"]["text"].endswith("\n")
    assert convert(scripts["count-errors"], declared).turns[0][0]["name"] == "bash"
    # undeclared custom functions and actions Gemini has no word for end the script with a text answer
    assert "no bash function" in convert(scripts["count-errors"], set()).final
    clicks = Script("m", [[{"type": "tool_use", "name": "computer", "input": {"action": "right_click",
                                                                             "coordinate": [5, 5]}}]])
    assert "'right_click' has no Gemini equivalent" in convert(clicks, declared).final


@given(st.integers(1, 4000), st.integers(1, 3000), st.data())
def test_a_scripted_click_said_on_the_grid_lands_within_the_bound_of_where_the_solution_clicked(
        width: int, height: int, data: st.DataObject) -> None:
    x, y = data.draw(st.integers(0, width - 1)), data.draw(st.integers(0, height - 1))
    said = convert(Script("m", [[{"type": "tool_use", "name": "computer",
                                  "input": {"action": "left_click", "coordinate": [x, y]}}]], screen=(width, height)),
                   set()).turns[0][0]
    assert said["name"] == "click_at" and Grid.contains(said["args"]["x"], said["args"]["y"])
    call = plan_call("click_at", said["args"], Grid(width, height), ())
    action = call.actions[0]
    assert isinstance(action, ComputerAction) and action.coordinate is not None
    landed = action.coordinate
    assert abs(landed[0] - x) <= round_trip_bound(width) and abs(landed[1] - y) <= round_trip_bound(height)
