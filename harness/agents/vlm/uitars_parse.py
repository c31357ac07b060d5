"""UI-TARS-style replies: ``Thought: ...`` then ``Action: click(start_box='(x,y)')``, read without executing.

The action is a Python-like call, so it is read with :mod:`ast` (which
also undoes the escapes the grammar asks for in ``content``); a ``type``
whose content breaks the quoting is read by a narrower fallback.  Points are
``(x,y)`` or a box ``[x1,y1,x2,y2]`` (its centre), optionally wrapped in
``<|box_start|>...<|box_end|>`` or ``<point>x y</point>``, on UI-TARS's
0-1000 grid over the screenshot.  ``finished()`` ends the task as done and
``call_user()`` as impossible without the user (FAIL).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from pydantic import ValidationError

from harness.actions.vocabulary import ComputerAction
from harness.agents.vlm.keys import keysym
from harness.agents.vlm.parsed import ModelSpace, Parsed, ParseError

GRAMMAR = ("click(start_box), left_double(start_box), right_single(start_box), drag(start_box, end_box), "
           "hotkey(key), type(content), scroll(start_box, direction), wait(), finished(), call_user()")
_ACTION = re.compile(r"^\s*Action\s*:\s*", re.MULTILINE)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_TYPE_FALLBACK = re.compile(r"^type\(\s*content\s*=\s*(['\"])(.*)\1\s*\)\s*$", re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_CLICKS = {"click": "left_click", "left_single": "left_click", "left_double": "double_click",
           "right_single": "right_click"}
_POINT_KEYS = ("start_box", "point", "start_point")
_END_KEYS = ("end_box", "end_point")
DIRECTIONS = ("up", "down", "left", "right")


def parse_uitars(reply: str, space: ModelSpace, *, wait_seconds: float = 5.0, scroll_amount: int = 5) -> Parsed:
    """The action of one reply in screen pixels, or ``Parsed(error=...)`` naming what the grammar expects."""
    try:
        return _parse(reply, space, wait_seconds, scroll_amount)
    except ParseError as exc:
        return Parsed(error=str(exc))
    except (RecursionError, MemoryError, ValueError, OverflowError) as exc:
        return Parsed(error=f"the action could not be read ({type(exc).__name__}); the actions are {GRAMMAR}")


def action_text(reply: str) -> str:
    """What follows the last ``Action:`` line (several actions may follow, one a line)."""
    found = list(_ACTION.finditer(reply))
    if not found:
        raise ParseError(f"no 'Action:' in the reply: end it with a line 'Action: ...' using one of {GRAMMAR}")
    return reply[found[-1].end():].strip()


def _parse(reply: str, space: ModelSpace, wait_seconds: float, scroll_amount: int) -> Parsed:
    text = action_text(reply)
    if not text:
        raise ParseError(f"'Action:' is empty: the actions are {GRAMMAR}")
    lines = [line.strip() for line in _split_actions(text) if line.strip()]
    actions: list[ComputerAction] = []
    for index, line in enumerate(lines):
        name, kwargs = _call(line)
        if name in ("finished", "call_user"):
            if index != len(lines) - 1 or actions:
                raise ParseError(f"{name}() must be the only action of its reply: nothing was executed")
            return Parsed(control="DONE" if name == "finished" else "FAIL")
        actions.append(_action(name, kwargs, space, wait_seconds, scroll_amount))
    return Parsed(actions=tuple(actions))


def _split_actions(text: str) -> list[str]:
    """One action a line, except inside a quoted string (a ``type`` content may hold real newlines)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return [text]
    if all(isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) for s in tree.body) and len(tree.body) > 1:
        return [ast.get_source_segment(text, s) or "" for s in tree.body]
    return [text]


def _call(line: str) -> tuple[str, dict[str, Any]]:
    try:
        node = ast.parse(line, mode="eval").body
    except SyntaxError:
        fallback = _TYPE_FALLBACK.match(line)
        if fallback:  # quotes inside the content left unescaped: take everything between the outer quotes
            return "type", {"content": _unescape(fallback.group(2))}
        raise ParseError(f"cannot read the action {_short(line)}: write one call such as click(start_box='(500,300)')"
                         ) from None
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise ParseError(f"the action {_short(line)} is not a call; the actions are {GRAMMAR}")
    if node.args and node.func.id not in ("hotkey", "type"):
        raise ParseError(f"{node.func.id}() takes keyword arguments only (e.g. start_box='(500,300)')")
    kwargs: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None or not isinstance(keyword.value, ast.Constant):
            raise ParseError(f"{node.func.id}(): arguments must be quoted strings, e.g. start_box='(500,300)'")
        kwargs[keyword.arg] = keyword.value.value
    for arg in node.args:  # hotkey('ctrl c') and type('text') written positionally
        if not isinstance(arg, ast.Constant):
            raise ParseError(f"{node.func.id}(): arguments must be quoted strings")
        kwargs.setdefault("key" if node.func.id == "hotkey" else "content", arg.value)
    return node.func.id, kwargs


def _action(name: str, kwargs: dict[str, Any], space: ModelSpace, wait_seconds: float,
            scroll_amount: int) -> ComputerAction:
    fields: dict[str, Any]
    if name in _CLICKS:
        fields = {"action": _CLICKS[name], "coordinate": _point(kwargs, _POINT_KEYS, space, name)}
    elif name in ("drag", "select"):
        fields = {"action": "left_click_drag", "start_coordinate": _point(kwargs, _POINT_KEYS, space, name),
                  "coordinate": _point(kwargs, _END_KEYS, space, name)}
    elif name in ("hotkey", "press"):
        keys = str(kwargs.get("key", "")).replace("+", " ").split()
        if not keys:
            raise ParseError(f"{name}() needs key='...', e.g. hotkey(key='ctrl c')")
        fields = {"action": "key", "text": "+".join(keysym(k) for k in keys)}
    elif name == "type":
        content = kwargs.get("content")
        if not isinstance(content, str) or not content:
            raise ParseError("type() needs content='...'")
        fields = {"action": "type", "text": content}
    elif name == "scroll":
        direction = str(kwargs.get("direction", "")).strip().lower()
        if direction not in DIRECTIONS:
            raise ParseError(f"scroll() needs direction='down', 'up', 'left' or 'right', got {_short(direction)}")
        where = _point(kwargs, _POINT_KEYS, space, name) if any(k in kwargs for k in _POINT_KEYS) else None
        fields = {"action": "scroll", "coordinate": where, "scroll_direction": direction,
                  "scroll_amount": scroll_amount}
    elif name == "wait":
        fields = {"action": "wait", "duration": wait_seconds}
    else:
        raise ParseError(f"unknown action {_short(name)}: the actions are {GRAMMAR}")
    try:
        return ComputerAction.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise ParseError(f"{name}(): {exc.errors(include_url=False)[0]['msg']}") from None


def _point(kwargs: dict[str, Any], keys: tuple[str, ...], space: ModelSpace, name: str) -> tuple[int, int]:
    key = next((k for k in keys if k in kwargs), None)
    if key is None:
        raise ParseError(f"{name}() needs {keys[0]}='(x,y)'")
    numbers = [float(n) for n in _NUMBER.findall(str(kwargs[key]).replace("<|box_start|>", "").replace(
        "<|box_end|>", ""))]
    if len(numbers) == 2:
        x, y = numbers
    elif len(numbers) == 4:
        x, y = (numbers[0] + numbers[2]) / 2, (numbers[1] + numbers[3]) / 2
    else:
        raise ParseError(f"{name}(): {key} must be a point '(x,y)' or a box '[x1,y1,x2,y2]', got "
                         f"{_short(kwargs[key])}")
    return space.to_screen(x, y, key)


def _unescape(text: str) -> str:
    """The grammar's escapes undone (``\\n``, ``\\t``, ``\\r``, and a backslash before any other character)."""
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}..."
