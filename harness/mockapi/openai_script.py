"""A task's reference solution in OpenAI's words: computer calls and function calls, turn by turn.

Scripts are the Messages API mock's (:mod:`harness.mockapi.script`): content
blocks in deskbench's action vocabulary.  Here each computer action becomes
the ``computer_call`` action OpenAI's model would send (``click`` with a
button, ``keypress`` with key names, ``scroll`` in pixels...), rescaled from
the screen the script was written for to the display the request declares,
and each bash or editor call a ``function_call`` to the function the request
declares.  An action OpenAI's tool cannot express (holding a key, a zoom)
makes the turn a message saying so: the episode then fails honestly.  A
script may also hold raw ``computer_call``/``function_call`` items, sent as
written, to test how an agent takes a malformed call.
"""

from __future__ import annotations

import json
from typing import Any

from harness.actions.vocabulary import EDITOR_TOOL_NAMES
from harness.mockapi.script import Block, Script, _rescale

#: the screen a task's reference solution is written for (deskbench's default desktop)
DEFAULT_SCREEN = (1280, 800)
#: pixels of scroll per wheel click of a scripted scroll
PIXELS_PER_CLICK = 100
_CUA_KEYS = {"Return": "ENTER", "KP_Enter": "ENTER", "Escape": "ESC", "BackSpace": "BACKSPACE", "Tab": "TAB",
             "space": "SPACE", "Delete": "DELETE", "Insert": "INSERT", "Home": "HOME", "End": "END",
             "Page_Up": "PAGEUP", "Prior": "PAGEUP", "Page_Down": "PAGEDOWN", "Next": "PAGEDOWN", "Up": "ARROWUP",
             "Down": "ARROWDOWN", "Left": "ARROWLEFT", "Right": "ARROWRIGHT", "ctrl": "CTRL", "control": "CTRL",
             "alt": "ALT", "shift": "SHIFT", "super": "META", "Super_L": "META", "slash": "/", "minus": "-",
             "equal": "=", "period": ".", "comma": ","}
_BUTTONS = {"left_click": "left", "right_click": "right", "middle_click": "wheel"}


class Unrepresentable(Exception):
    """A scripted action OpenAI's computer tool has no way to say."""


def cua_keys(combo: str) -> list[str]:
    """``ctrl+shift+t`` -> ``["CTRL", "SHIFT", "T"]``, as the model names keys."""
    return [_CUA_KEYS.get(k, k.upper() if len(k) == 1 else k) for k in combo.split("+") if k]


def computer_steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One vocabulary computer action (display coordinates) -> OpenAI computer actions."""
    name = data.get("action")
    point = data.get("coordinate")
    xy = {"x": int(point[0]), "y": int(point[1])} if isinstance(point, list | tuple) else None
    keys = {"keys": cua_keys(str(data["text"]))} if data.get("text") and name != "type" and name != "key" else {}
    if name in _BUTTONS and xy:
        return [{"type": "click", "button": _BUTTONS[str(name)], **xy, **keys}]
    if name == "double_click" and xy:
        return [{"type": "double_click", **xy, **keys}]
    if name == "triple_click" and xy:
        return [{"type": "click", "button": "left", **xy}, {"type": "double_click", **xy}]
    if name == "key":
        return [{"type": "keypress", "keys": cua_keys(combo)} for combo in str(data.get("text", "")).split()]
    if name == "type":
        return [{"type": "type", "text": str(data.get("text", ""))}]
    if name == "mouse_move" and xy:
        return [{"type": "move", **xy}]
    if name == "left_click_drag" and xy and isinstance(data.get("start_coordinate"), list | tuple):
        sx, sy = data["start_coordinate"]
        return [{"type": "drag", "path": [{"x": int(sx), "y": int(sy)}, xy]}]
    if name == "scroll" and xy:
        pixels = int(data.get("scroll_amount") or 3) * PIXELS_PER_CLICK
        direction = data.get("scroll_direction")
        sx = pixels if direction == "right" else -pixels if direction == "left" else 0
        sy = pixels if direction == "down" else -pixels if direction == "up" else 0
        return [{"type": "scroll", **xy, "scroll_x": sx, "scroll_y": sy, **keys}]
    if name in ("wait", "screenshot"):
        return [{"type": str(name)}]
    raise Unrepresentable(f"{name}{' without a coordinate' if xy is None else ''}")


def declared_display(tools: Any) -> tuple[int, int] | None:
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, dict) and tool.get("type") == "computer_use_preview":
            return int(tool["display_width"]), int(tool["display_height"])
    return None


def declared_functions(tools: Any) -> set[str]:
    return {str(t["name"]) for t in (tools if isinstance(tools, list) else [])
            if isinstance(t, dict) and t.get("type") == "function"}


def turn_calls(script: Script, turn: int, tools: Any) -> list[dict[str, Any]]:
    """The script's turn as unnumbered items: ``message``, ``computer_call`` (``action``) and ``function_call``."""
    display = declared_display(tools)
    functions = declared_functions(tools)
    screen = script.screen or DEFAULT_SCREEN
    items: list[dict[str, Any]] = []
    for block in script.turns[turn]:
        try:
            items.extend(_items(block, display, screen, functions))
        except Unrepresentable as exc:
            return [_message(f"The reference solution's next step ({exc}) has no equivalent in OpenAI's computer "
                             "tool or the declared functions, so I stop here.")]
    return items


def _items(block: Block, display: tuple[int, int] | None, screen: tuple[int, int],
           functions: set[str]) -> list[dict[str, Any]]:
    if block.get("type") == "text":
        return [_message(str(block.get("text", "")))]
    if block.get("type") in ("computer_call", "function_call"):  # a raw call, sent as written (bad ones too)
        return [dict(block)]
    if block.get("type") != "tool_use":
        return []
    name, data = str(block.get("name")), dict(block.get("input") or {})
    if name == "computer":
        if display is None:
            raise Unrepresentable("a computer action, and no computer tool was declared")
        if display != screen:
            data = _rescale(data, screen, display)
        return [{"type": "computer_call", "action": step} for step in computer_steps(data)]
    target = name if name in functions else next((f for f in functions if f in EDITOR_TOOL_NAMES), None) \
        if name in EDITOR_TOOL_NAMES else None
    if target is None:
        raise Unrepresentable(f"a call of {name}, which the request does not declare as a function")
    return [{"type": "function_call", "name": target, "arguments": json.dumps(data)}]


def _message(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def first_user_text(items: Any) -> str:
    """The text of the conversation's first user message (how a script is picked)."""
    if isinstance(items, str):
        return items
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, str):
                return content
            return "\n".join(str(p.get("text", "")) for p in content or [] if isinstance(p, dict)
                             and p.get("type") == "input_text")
    return ""

