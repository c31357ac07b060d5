"""A task's reference solution as Gemini would say it: computer-use function calls on the 1000 x 1000 grid.

The scripts are the Messages API mock's (tool calls in deskbench's
vocabulary, one per turn); this module rewrites each turn into Gemini's
action set.  Where that set has no twin the rewrite says what it chose:

* ``type`` without a point becomes ``type_text_at`` the centre of the
  screen, where the desktop's window manager puts the window that has the
  focus; a ``key ctrl+a`` just before it becomes ``clear_before_typing``
  (the click would undo the selection), and a final newline ``press_enter``;
* ``wait`` becomes ``wait_5_seconds``; ``screenshot`` turns are dropped (every
  function response carries one);
* bash and the text editor are the custom functions the request declares;
* a block ``{"stop_reason": "MALFORMED_FUNCTION_CALL"}`` (or ``SAFETY``...)
  ends that turn with the finish reason and no content, as the API does;
* a block ``{"type": "function_call", "name": ..., "args": ...}`` is sent as
  it is (how a test makes the model call ``navigate`` or send a bad argument);
* what Gemini cannot say (a right, middle, double or triple click, holding
  a key, zoom) ends the script with a text answer naming the action, so the
  episode fails visibly rather than doing something else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.actions.vocabulary import EDITOR_TOOL_NAMES
from harness.agents.gemini.grid import Grid
from harness.agents.gemini.translate import WHEEL_PIXELS
from harness.mockapi.script import Script

EDITOR_NAME = "str_replace_based_edit_tool"
#: the screen size a script's pixels refer to when it does not say (deskbench's default desktop)
DEFAULT_SCREEN = (1280, 800)
CENTRE = {"x": 500, "y": 500}
#: deskbench key names (X keysyms) as the model writes them
KEY_NAMES = {"ctrl": "Control", "control": "Control", "shift": "Shift", "alt": "Alt", "super": "Meta",
             "Return": "Enter", "BackSpace": "Backspace", "Page_Up": "PageUp", "Page_Down": "PageDown",
             "Up": "ArrowUp", "Down": "ArrowDown", "Left": "ArrowLeft", "Right": "ArrowRight"}
Call = dict[str, Any]


class Unsayable(Exception):
    """An action of the reference solution that Gemini's action set cannot express."""


@dataclass(frozen=True)
class GeminiScript:
    """One conversation: the turns of function calls (a turn may be empty: dropped) and the final answer."""

    turns: list[list[Call]]
    final: str


def gemini_keys(keys: str) -> str:
    """``ctrl+s`` as ``Control+S``."""
    return "+".join(KEY_NAMES.get(k, k.upper() if len(k) == 1 else k) for k in keys.split("+"))


def convert(script: Script, custom: set[str]) -> GeminiScript:
    """The script's turns as Gemini function calls; the first action it cannot say ends it with a text answer."""
    grid = Grid(*(script.screen or DEFAULT_SCREEN))
    turns: list[list[Call]] = []
    clear_next = False
    for turn in script.turns:
        calls: list[Call] = []
        for block in turn:
            if set(block) == {"stop_reason"}:  # the turn ends with that finish reason and no content
                calls = [{"finish": block["stop_reason"]}]
                break
            if block.get("type") == "function_call":  # a call written in Gemini's own terms, sent as it is
                calls.append({"name": block.get("name"), "args": block.get("args", {})})
                continue
            if block.get("type") != "tool_use":
                continue
            name, data = str(block["name"]), dict(block.get("input", {}))
            if _is_select_all(name, data):
                clear_next = True
                continue
            typing = name == "computer" and data.get("action") == "type"
            if clear_next and not typing:  # a selection something else acts on: select as the script does
                calls.append({"name": "key_combination", "args": {"keys": "Control+A"}})
            safety = data.pop("safety_decision", None)  # a script's way to have the safety service ask
            try:
                call = _call(name, data, grid, custom, clear_next)
            except Unsayable as exc:
                return GeminiScript(turns, f"I cannot replay this task's reference solution in Gemini's action set: "
                                           f"{exc}.")
            clear_next = False
            if call is not None:
                calls.append({**call, "args": {**call["args"], "safety_decision": safety}} if safety else call)
        if calls:
            turns.append(calls)
    if clear_next:
        turns.append([{"name": "key_combination", "args": {"keys": "Control+A"}}])
    return GeminiScript(turns, script.final)


def _is_select_all(name: str, data: dict[str, Any]) -> bool:
    return name == "computer" and data.get("action") == "key" and str(data.get("text", "")).lower() == "ctrl+a"


def _call(name: str, data: dict[str, Any], grid: Grid, custom: set[str], clear: bool) -> Call | None:
    if name == "bash" or name in EDITOR_TOOL_NAMES:
        fn = "bash" if name == "bash" else EDITOR_NAME
        if fn not in custom:
            raise Unsayable(f"the request declares no {fn} function")
        return {"name": fn, "args": data}
    action = data.get("action")
    point = data.get("coordinate")
    if action == "type":
        text = str(data.get("text", ""))
        where = _grid(point, grid) if point else CENTRE
        return {"name": "type_text_at", "args": {**where, "text": text.removesuffix("\n"),
                                                 "press_enter": text.endswith("\n"), "clear_before_typing": clear}}
    if action == "key":
        return {"name": "key_combination", "args": {"keys": gemini_keys(str(data.get("text", "")))}}
    if action == "wait":
        return {"name": "wait_5_seconds", "args": {}}
    if action == "screenshot":
        return None
    if action in ("left_click", "mouse_move") and point:
        return {"name": "click_at" if action == "left_click" else "hover_at", "args": _grid(point, grid)}
    if action == "left_click_drag" and point and data.get("start_coordinate"):
        end = _grid(point, grid)
        return {"name": "drag_and_drop", "args": {**_grid(data["start_coordinate"], grid),
                                                  "destination_x": end["x"], "destination_y": end["y"]}}
    if action == "scroll" and point:
        direction = str(data.get("scroll_direction", "down"))
        size = grid.height if direction in ("up", "down") else grid.width
        magnitude = min(1000, round(int(data.get("scroll_amount") or 3) * WHEEL_PIXELS * 1000 / size))
        return {"name": "scroll_at", "args": {**_grid(point, grid), "direction": direction, "magnitude": magnitude}}
    raise Unsayable(f"computer action {action!r} has no Gemini equivalent")


def _grid(point: Sequence[int], grid: Grid) -> dict[str, int]:
    x, y = grid.to_grid(int(point[0]), int(point[1]))
    return {"x": x, "y": y}
