"""OpenAI's computer and function calls in, deskbench actions out; results back as call outputs.

A ``computer_call`` action becomes one or more actions of deskbench's
vocabulary (the ``computer`` tool of :mod:`harness.actions.vocabulary`), in
screen coordinates, so trajectories, the viewer and the confirmation policy
treat it like any agent's.  Anything the desktop cannot do (a back/forward
button, a one-point drag, a coordinate off the declared display, a malformed
call) is refused here with a message the model reads: a model mistake costs
a step, never the episode.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from harness.actions.vocabulary import ComputerAction, ToolAction, parse_tool_call
from harness.agents.claude.scaling import Scaling
from harness.agents.claude.translate import model_screenshot
from harness.agents.openai.keys import combination
from harness.errors import UnknownActionError
from harness.sandbox.guest import Screenshot

BUTTONS = {"left": "left_click", "right": "right_click", "wheel": "middle_click", "middle": "middle_click"}
#: pixels of scroll_x/scroll_y per wheel click (the guest scrolls in clicks)
PIXELS_PER_CLICK = 100
MAX_SCROLL_CLICKS = 50


class CallInputError(Exception):
    """A call that cannot be executed; ``str(exc)`` is what the model is told."""


def computer_actions(action: Mapping[str, Any], scaling: Scaling) -> list[ComputerAction]:
    """The deskbench actions for one computer action (``{"type": "click", ...}``), in screen coordinates."""
    kind = action.get("type")
    handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        raise CallInputError(f"unknown computer action type {_short(kind)} (known: {', '.join(sorted(_HANDLERS))})")
    try:
        return handler(action, scaling)
    except (KeyError, TypeError, ValueError) as exc:
        raise CallInputError(f"malformed {kind} action {_short(dict(action))}: {exc}") from None


def _point(action: Mapping[str, Any], scaling: Scaling, x_key: str = "x", y_key: str = "y") -> tuple[int, int]:
    x, y = action[x_key], action[y_key]
    if not isinstance(x, int) or not isinstance(y, int) or isinstance(x, bool) or isinstance(y, bool):
        raise ValueError(f"{x_key} and {y_key} must be integers")
    if not scaling.contains(x, y):
        width, height = scaling.scaled
        raise CallInputError(f"({x}, {y}) is outside the display ({width}x{height}); x must be in "
                             f"[0, {width - 1}] and y in [0, {height - 1}]")
    return scaling.to_screen(x, y)


def _modifiers(action: Mapping[str, Any]) -> str | None:
    keys = action.get("keys")
    if not keys:
        return None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ValueError("keys must be a list of key names")
    return combination(keys)


def _click(action: Mapping[str, Any], scaling: Scaling) -> list[ComputerAction]:
    button = action.get("button", "left")
    name = BUTTONS.get(button) if isinstance(button, str) else None
    if name is None:
        raise CallInputError(f"the desktop has no {_short(button)} mouse button to click (it has left, right "
                             "and wheel); use keypress for navigation, e.g. ALT+LEFT for back")
    return [ComputerAction(action=name, coordinate=_point(action, scaling), text=_modifiers(action))]  # type: ignore[arg-type]


def _double_click(action: Mapping[str, Any], scaling: Scaling) -> list[ComputerAction]:
    return [ComputerAction(action="double_click", coordinate=_point(action, scaling), text=_modifiers(action))]


def _drag(action: Mapping[str, Any], scaling: Scaling) -> list[ComputerAction]:
    if _modifiers(action):
        raise CallInputError("the desktop cannot hold keys during a drag: press them with keypress around it")
    path = action["path"]
    if not isinstance(path, list) or len(path) < 2 or not all(isinstance(p, dict) for p in path):
        raise CallInputError("a drag path needs at least two points [{x, y}, {x, y}, ...]")
    points = [_point(p, scaling) for p in path]
    if len(points) == 2:
        return [ComputerAction(action="left_click_drag", start_coordinate=points[0], coordinate=points[1])]
    return [ComputerAction(action="left_mouse_down", coordinate=points[0]),
            *(ComputerAction(action="mouse_move", coordinate=p) for p in points[1:-1]),
            ComputerAction(action="left_mouse_up", coordinate=points[-1])]


def _keypress(action: Mapping[str, Any], scaling: Scaling) -> list[ComputerAction]:
    keys = action["keys"]
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
        raise CallInputError("keypress needs keys: a non-empty list of key names, e.g. [\"CTRL\", \"S\"]")
    return [ComputerAction(action="key", text=combination(keys))]


def _move(action: Mapping[str, Any], scaling: Scaling) -> list[ComputerAction]:
    return [ComputerAction(action="mouse_move", coordinate=_point(action, scaling))]


def _screenshot(action: Mapping[str, Any], scaling: Scaling) -> list[ComputerAction]:
    return [ComputerAction(action="screenshot")]


def _scroll(action: Mapping[str, Any], scaling: Scaling) -> list[ComputerAction]:
    where = _point(action, scaling)
    mods = _modifiers(action)
    out: list[ComputerAction] = []
    for delta, negative, positive in ((action["scroll_y"], "up", "down"), (action["scroll_x"], "left", "right")):
        if not isinstance(delta, int) or isinstance(delta, bool):
            raise ValueError("scroll_x and scroll_y must be integers")
        if delta:
            clicks = min(MAX_SCROLL_CLICKS, max(1, round(abs(delta) / PIXELS_PER_CLICK)))
            out.append(ComputerAction(action="scroll", coordinate=where, scroll_direction=positive if delta > 0
                                      else negative, scroll_amount=clicks, text=mods))  # type: ignore[arg-type]
    return out or [ComputerAction(action="mouse_move", coordinate=where)]


def _type(action: Mapping[str, Any], scaling: Scaling) -> list[ComputerAction]:
    text = action["text"]
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    return [ComputerAction(action="type", text=text)]


def _wait(action: Mapping[str, Any], scaling: Scaling) -> list[ComputerAction]:
    return [ComputerAction(action="wait", duration=1.0)]


_HANDLERS = {"click": _click, "double_click": _double_click, "drag": _drag, "keypress": _keypress, "move": _move,
             "screenshot": _screenshot, "scroll": _scroll, "type": _type, "wait": _wait}


def function_action(name: str, arguments: str, enabled: tuple[str, ...]) -> ToolAction:
    """The deskbench action for one ``function_call`` (bash or the text editor, arguments as JSON text)."""
    if name not in enabled:
        raise CallInputError(f"unknown function {_short(name)}: the functions are {', '.join(enabled) or 'none'}")
    try:
        data = json.loads(arguments)
    except ValueError as exc:
        raise CallInputError(f"the arguments of {name} are not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CallInputError(f"the arguments of {name} must be a JSON object, got {type(data).__name__}")
    try:
        return parse_tool_call(name, {k: v for k, v in data.items() if v is not None})
    except UnknownActionError as exc:
        raise CallInputError(str(exc)) from None


def _short(value: Any, limit: int = 100) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


# -- results

def data_url(shot: Screenshot) -> str:
    return f"data:{shot.media_type};base64,{base64.b64encode(shot.data).decode('ascii')}"


def screenshot_output(call_id: str, shot: Screenshot, scaling: Scaling,
                      acknowledged: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``computer_call_output`` for one call: the screen after it, at the declared display size."""
    item: dict[str, Any] = {"type": "computer_call_output", "call_id": call_id,
                            "output": {"type": "computer_screenshot",
                                       "image_url": data_url(model_screenshot(shot, scaling))}}
    if acknowledged:
        item["acknowledged_safety_checks"] = acknowledged
    return item


def function_output(call_id: str, text: str) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": text or "(no output)"}


def input_image(shot: Screenshot, scaling: Scaling) -> dict[str, Any]:
    return {"type": "input_image", "image_url": data_url(model_screenshot(shot, scaling)), "detail": "high"}
