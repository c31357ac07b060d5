"""Gemini's computer-use function calls as deskbench actions, in screen pixels.

Gemini answers with predefined UI functions (``click_at``, ``type_text_at``,
``key_combination``...) whose points are on a 1000 x 1000 grid, plus any
custom functions the request declared (deskbench declares its ``bash`` and
text-editor tools that way).  One call may become several actions:
``type_text_at`` clicks, optionally clears the field, types and presses
Enter, as Google's reference client does.  A call the desktop cannot
perform -- the browser-only functions (``navigate``, ``go_back``...), an
unknown name, a point off the grid, a missing argument -- is not executed:
it becomes an error the model reads in its function response.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.actions.vocabulary import ComputerAction, ToolAction, parse_tool_call
from harness.agents.gemini.grid import GRID, Grid
from harness.errors import UnknownActionError

#: predefined functions that need a browser API the desktop does not have
BROWSER_ONLY = ("open_web_browser", "go_back", "go_forward", "search", "navigate")
#: predefined functions deskbench performs on the desktop, with their parameters (besides the metadata below)
UI_ACTIONS: dict[str, frozenset[str]] = {
    "click_at": frozenset({"x", "y"}),
    "hover_at": frozenset({"x", "y"}),
    "type_text_at": frozenset({"x", "y", "text", "press_enter", "clear_before_typing"}),
    "key_combination": frozenset({"keys"}),
    "scroll_document": frozenset({"direction"}),
    "scroll_at": frozenset({"x", "y", "direction", "magnitude"}),
    "drag_and_drop": frozenset({"x", "y", "destination_x", "destination_y"}),
    "wait_5_seconds": frozenset(),
}
#: fields the model may add to any call: the safety service's verdict and the model's stated intent
METADATA = frozenset({"safety_decision", "intent"})
#: pixels one mouse-wheel click scrolls in the desktop's GTK and Qt applications (about three text lines)
WHEEL_PIXELS = 50
#: wheel clicks of a ``scroll_document``: most of a screen of text
DOCUMENT_SCROLL_CLICKS = 10
MAX_WHEEL_CLICKS = 100
DEFAULT_MAGNITUDE = 800
#: Playwright-style key names the model uses, as X keysyms (letters are lowercased: ``Control+A`` is ctrl+a)
KEY_NAMES = {
    "control": "ctrl", "ctrl": "ctrl", "shift": "shift", "alt": "alt", "meta": "super", "command": "super",
    "cmd": "super", "super": "super", "win": "super", "enter": "Return", "return": "Return", "tab": "Tab",
    "escape": "Escape", "esc": "Escape", "backspace": "BackSpace", "delete": "Delete", "del": "Delete",
    "space": "space", "arrowup": "Up", "arrowdown": "Down", "arrowleft": "Left", "arrowright": "Right",
    "up": "Up", "down": "Down", "left": "Left", "right": "Right", "pageup": "Page_Up", "pagedown": "Page_Down",
    "home": "Home", "end": "End", "insert": "Insert", "capslock": "Caps_Lock", "printscreen": "Print",
}


class CallError(Exception):
    """A function call that cannot be executed; ``str(exc)`` is what the model reads."""


@dataclass(frozen=True)
class SafetyDecision:
    """The safety service's verdict on one call: ``require_confirmation`` asks the user before it runs."""

    decision: str
    explanation: str

    @property
    def needs_confirmation(self) -> bool:
        return self.decision == "require_confirmation"


@dataclass(frozen=True)
class PlannedCall:
    """One function call of a model turn: the actions it runs, or the error it gets without running."""

    name: str
    call_id: str | None
    actions: tuple[ToolAction, ...] = ()
    error: str | None = None
    safety: SafetyDecision | None = None
    intent: str = ""


def plan_call(name: str, args: Mapping[str, Any] | None, grid: Grid, custom: tuple[str, ...],
              call_id: str | None = None) -> PlannedCall:
    """The call checked and translated; an error instead of actions when it cannot run."""
    values = dict(args or {})
    safety = _safety(values.pop("safety_decision", None))
    intent = values.pop("intent", "")
    intent = intent if isinstance(intent, str) else ""
    try:
        actions = tuple(to_actions(name, values, grid, custom))
    except CallError as exc:
        return PlannedCall(name, call_id, error=str(exc), safety=safety, intent=intent)
    return PlannedCall(name, call_id, actions, safety=safety, intent=intent)


def _safety(value: Any) -> SafetyDecision | None:
    if not isinstance(value, Mapping):
        return None
    return SafetyDecision(str(value.get("decision", "")), str(value.get("explanation", "")))


def to_actions(name: str, args: dict[str, Any], grid: Grid, custom: tuple[str, ...]) -> list[ToolAction]:
    """The deskbench actions for one call (metadata removed); CallError if it cannot run here."""
    if name in custom:
        return [_custom(name, args)]
    if name in BROWSER_ONLY:
        raise CallError(f"{name} is not available: this is a Linux desktop, not a browser driven through an API; "
                        "use the desktop's own applications with click_at, type_text_at and key_combination")
    params = UI_ACTIONS.get(name)
    if params is None:
        known = ", ".join([*UI_ACTIONS, *custom])
        raise CallError(f"unknown function {_short(name)}; the functions are {known}")
    unknown = sorted(set(args) - params)
    if unknown:
        raise CallError(f"{name} has no parameter {', '.join(_short(u) for u in unknown[:5])} "
                        f"(parameters: {', '.join(sorted(params)) or 'none'})")
    return _UI[name](args, grid)


def _custom(name: str, args: dict[str, Any]) -> ToolAction:
    """A declared deskbench tool (bash, the text editor): its arguments checked by the action vocabulary."""
    try:
        return parse_tool_call(name, args)
    except UnknownActionError as exc:
        raise CallError(str(exc)) from None


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


# -- arguments

def _number(args: dict[str, Any], key: str, default: int | None = None) -> int:
    value = args.get(key, default)
    if value is None:
        raise CallError(f"{key} is required")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value != int(value):
        raise CallError(f"{key} must be a whole number, got {_short(value)}")
    return int(value)


def _point(args: dict[str, Any], x_key: str = "x", y_key: str = "y") -> tuple[int, int]:
    x, y = _number(args, x_key), _number(args, y_key)
    if not Grid.contains(x, y):
        raise CallError(f"({x_key}, {y_key}) = ({x}, {y}) is off the normalized grid: both must be in "
                        f"[0, {GRID - 1}]")
    return x, y


def _text(args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str):
        raise CallError(f"{key} is required and must be a string, got {_short(value)}")
    return value


def _flag(args: dict[str, Any], key: str, default: bool) -> bool:
    value = args.get(key, default)
    if not isinstance(value, bool):
        raise CallError(f"{key} must be true or false, got {_short(value)}")
    return value


def _direction(args: dict[str, Any]) -> str:
    value = args.get("direction")
    if value not in ("up", "down", "left", "right"):
        raise CallError(f"direction must be up, down, left or right, got {_short(value)}")
    return str(value)


def to_keysyms(keys: str) -> str:
    """``Control+Shift+T`` as ``ctrl+shift+t``: the model's key names as X keysyms for the desktop."""
    parts = [p.strip() for p in keys.split("+")]
    if not keys.strip() or any(not p for p in parts):
        raise CallError(f"keys must be key names joined by + (e.g. Control+S), got {_short(keys)}")
    out = []
    for part in parts:
        known = KEY_NAMES.get(part.lower().replace("_", ""))
        out.append(known if known is not None else part.lower() if len(part) == 1 else part)
    return "+".join(out)


# -- the predefined functions

def _computer(action: str, **fields: Any) -> ComputerAction:
    return ComputerAction(action=action, **fields)  # type: ignore[arg-type]


def _click(args: dict[str, Any], grid: Grid) -> list[ToolAction]:
    return [_computer("left_click", coordinate=grid.to_screen(*_point(args)))]


def _hover(args: dict[str, Any], grid: Grid) -> list[ToolAction]:
    return [_computer("mouse_move", coordinate=grid.to_screen(*_point(args)))]


def _type_text(args: dict[str, Any], grid: Grid) -> list[ToolAction]:
    """Click the field, optionally clear it (select all, delete), type, optionally press Enter."""
    point = grid.to_screen(*_point(args))
    text = _text(args, "text")
    actions: list[ToolAction] = [_computer("left_click", coordinate=point)]
    if _flag(args, "clear_before_typing", True):
        actions += [_computer("key", text="ctrl+a"), _computer("key", text="BackSpace")]
    if text:
        actions.append(_computer("type", text=text))
    if _flag(args, "press_enter", True):
        actions.append(_computer("key", text="Return"))
    return actions


def _keys(args: dict[str, Any], grid: Grid) -> list[ToolAction]:
    return [_computer("key", text=to_keysyms(_text(args, "keys")))]


def _wheel_clicks(direction: str, magnitude: int, grid: Grid) -> int:
    if magnitude < 0 or magnitude > GRID:
        raise CallError(f"magnitude must be in [0, {GRID}] (a share of the screen on the normalized grid), "
                        f"got {magnitude}")
    size = grid.height if direction in ("up", "down") else grid.width
    pixels = magnitude * size / GRID
    return max(1, min(MAX_WHEEL_CLICKS, round(pixels / WHEEL_PIXELS)))


def _scroll_document(args: dict[str, Any], grid: Grid) -> list[ToolAction]:
    centre = (grid.width // 2, grid.height // 2)
    return [_computer("scroll", coordinate=centre, scroll_direction=_direction(args),
                      scroll_amount=DOCUMENT_SCROLL_CLICKS)]


def _scroll_at(args: dict[str, Any], grid: Grid) -> list[ToolAction]:
    point = grid.to_screen(*_point(args))
    direction = _direction(args)
    clicks = _wheel_clicks(direction, _number(args, "magnitude", DEFAULT_MAGNITUDE), grid)
    return [_computer("scroll", coordinate=point, scroll_direction=direction, scroll_amount=clicks)]


def _drag(args: dict[str, Any], grid: Grid) -> list[ToolAction]:
    start = grid.to_screen(*_point(args))
    end = grid.to_screen(*_point(args, "destination_x", "destination_y"))
    return [_computer("left_click_drag", start_coordinate=start, coordinate=end)]


def _wait(args: dict[str, Any], grid: Grid) -> list[ToolAction]:
    return [_computer("wait", duration=5)]


_UI = {"click_at": _click, "hover_at": _hover, "type_text_at": _type_text, "key_combination": _keys,
       "scroll_document": _scroll_document, "scroll_at": _scroll_at, "drag_and_drop": _drag,
       "wait_5_seconds": _wait}
