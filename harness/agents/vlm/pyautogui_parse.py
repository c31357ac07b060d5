"""OSWorld's screenshot-to-pyautogui replies, read with :mod:`ast` and never executed.

The model answers with a fenced ``python`` block of pyautogui calls, or with
``WAIT``, ``DONE`` or ``FAIL``.  Each statement of the block must be a call
of the supported subset (clicks, moves, drags, typing, keys, scrolling,
``time.sleep``), an import of ``pyautogui`` or ``time``, or a plain
assignment of literal values that later calls use; its arguments are bound
to pyautogui's own signatures and evaluated from literals only.  Anything
else (a loop, another module, ``pyautogui.screenshot()``) refuses the whole
block with a message naming the line, and nothing of it runs.
"""

from __future__ import annotations

import ast
import inspect
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from harness.actions.vocabulary import ComputerAction, Control
from harness.agents.vlm.keys import keysym
from harness.agents.vlm.parsed import ModelSpace, Parsed, ParseError

CONTROLS: tuple[Control, ...] = ("WAIT", "DONE", "FAIL")
MAX_ACTIONS = 50  # one block may not queue more than this many actions
MAX_SLEEP = 100.0
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n?(.*?)```", re.DOTALL)
_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
}
_CLICK_NAMES = {1: "left_click", 2: "double_click", 3: "triple_click"}
_BUTTON_CLICKS = {"right": "right_click", "secondary": "right_click", "middle": "middle_click"}


# pyautogui's signatures (the parameters this subset reads; the rest are accepted and ignored)
def _click(x: Any = None, y: Any = None, clicks: Any = 1, interval: Any = 0.0, button: Any = "left",
           duration: Any = 0.0, tween: Any = None, logScreenshot: Any = None, _pause: Any = True) -> None: ...  # noqa: N803
def _n_click(x: Any = None, y: Any = None, interval: Any = 0.0, button: Any = "left", duration: Any = 0.0,
             tween: Any = None, logScreenshot: Any = None, _pause: Any = True) -> None: ...  # noqa: N803
def _side_click(x: Any = None, y: Any = None, duration: Any = 0.0, tween: Any = None, logScreenshot: Any = None,  # noqa: N803
                _pause: Any = True) -> None: ...
def _move(x: Any = None, y: Any = None, duration: Any = 0.0, tween: Any = None, logScreenshot: Any = False,  # noqa: N803
          _pause: Any = True) -> None: ...
def _drag(x: Any = None, y: Any = None, duration: Any = 0.0, tween: Any = None, button: Any = "left",
          logScreenshot: Any = None, _pause: Any = True, mouseDownUp: Any = True) -> None: ...  # noqa: N803
def _button(x: Any = None, y: Any = None, button: Any = "left", duration: Any = 0.0, tween: Any = None,
            logScreenshot: Any = None, _pause: Any = True) -> None: ...  # noqa: N803
def _write(message: Any, interval: Any = 0.0, logScreenshot: Any = None, _pause: Any = True) -> None: ...  # noqa: N803
def _press(keys: Any, presses: Any = 1, interval: Any = 0.0, logScreenshot: Any = None, _pause: Any = True) -> None: ...  # noqa: N803
def _hotkey(*args: Any, interval: Any = 0.0, logScreenshot: Any = None, _pause: Any = True) -> None: ...  # noqa: N803
def _key(key: Any, logScreenshot: Any = None, _pause: Any = True) -> None: ...  # noqa: N803
def _scroll(clicks: Any, x: Any = None, y: Any = None, logScreenshot: Any = None, _pause: Any = True) -> None: ...  # noqa: N803
def _sleep(secs: Any) -> None: ...


_STUBS: dict[str, Callable[..., None]] = {
    "click": _click, "doubleClick": _n_click, "tripleClick": _n_click, "rightClick": _side_click,
    "middleClick": _side_click, "moveTo": _move, "dragTo": _drag, "mouseDown": _button, "mouseUp": _button,
    "typewrite": _write, "write": _write, "press": _press, "hotkey": _hotkey, "keyDown": _key, "keyUp": _key,
    "scroll": _scroll, "hscroll": _scroll, "vscroll": _scroll, "time.sleep": _sleep,
}
SIGNATURES: dict[str, inspect.Signature] = {name: inspect.signature(fn) for name, fn in _STUBS.items()}
SUPPORTED = ", ".join(f"pyautogui.{n}" if n != "time.sleep" else n for n in SIGNATURES)


def parse_pyautogui(reply: str, space: ModelSpace) -> Parsed:
    """The actions of one reply, in screen pixels; a reply that cannot run becomes ``Parsed(error=...)``."""
    try:
        return _parse(reply, space)
    except ParseError as exc:
        return Parsed(error=str(exc))
    except (RecursionError, MemoryError, ValueError, OverflowError) as exc:  # hostile nesting, huge numbers
        return Parsed(error=f"the code could not be read ({type(exc).__name__}); write plain pyautogui calls")


def _parse(reply: str, space: ModelSpace) -> Parsed:
    blocks = [("", lang) if not body.strip() and lang.upper() in CONTROLS else (lang.lower(), body.strip())
              for lang, body in _FENCE.findall(reply)]  # ```DONE``` reads as a fence whose language is DONE
    words = [b for _, b in blocks if b.upper() in CONTROLS]
    code = [b for lang, b in blocks if b.upper() not in CONTROLS and lang in ("", "python", "py", "python3")]
    if not blocks:
        last = reply.strip().splitlines()[-1].strip().strip("`").upper() if reply.strip() else ""
        if last in CONTROLS:
            return Parsed(control=_control(last))
        raise ParseError("no ```python code block and no WAIT, DONE or FAIL in the reply: answer with one block of "
                         "pyautogui code, or with ```WAIT```, ```DONE``` or ```FAIL```")
    if not code:
        if not words:
            raise ParseError("the reply's code blocks hold no python code: use a ```python block")
        return Parsed(control=_control(words[-1].upper()))
    if any(w.upper() != "WAIT" for w in words):
        raise ParseError("DONE and FAIL must come alone, in a reply without code: nothing was executed")
    actions = _Block(space).run("\n".join(code))
    return Parsed(actions=tuple(actions), control="WAIT" if words else None)


def _control(word: str) -> Control:
    for control in CONTROLS:
        if control == word:
            return control
    raise ParseError(f"unknown control word {word!r}")


@dataclass
class _Held:
    key: str
    used: bool = False


@dataclass
class _Block:
    """One code block being read: its names, the keys held down, the actions so far."""

    space: ModelSpace
    names: dict[str, Any] = field(default_factory=dict)
    held: list[_Held] = field(default_factory=list)
    actions: list[ComputerAction] = field(default_factory=list)
    line: int = 0

    def run(self, code: str) -> list[ComputerAction]:
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            raise ParseError(f"the code is not valid Python (line {exc.lineno}: {exc.msg}); nothing was executed"
                             ) from None
        for statement in tree.body:
            self.line = statement.lineno
            self._statement(statement)
            if len(self.actions) > MAX_ACTIONS:
                raise ParseError(f"more than {MAX_ACTIONS} actions in one reply: send fewer per turn")
        if self.held:
            raise ParseError(f"keyDown({self.held[-1].key!r}) has no keyUp: nothing was executed")
        if not self.actions:
            raise ParseError("the code block performs no action: write pyautogui calls, or answer WAIT, DONE or FAIL")
        return self.actions

    def fail(self, message: str, listing: bool = False) -> ParseError:
        supported = f" (supported: {SUPPORTED})" if listing else ""
        return ParseError(f"line {self.line}: {message}; nothing was executed{supported}")

    # -- statements
    def _statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            bad = [a.name for a in node.names if a.name not in ("pyautogui", "time") or a.asname]
            if bad:
                raise self.fail(f"only 'import pyautogui' and 'import time' are allowed, not {', '.join(bad)}")
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            self._call(node.value)
        elif isinstance(node, ast.Assign):
            value = self._value(node.value)
            for target in node.targets:
                self._assign(target, value)
        elif isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            pass
        else:
            raise self.fail(f"a {type(node).__name__} statement cannot run here", listing=True)

    def _assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.names[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List) and isinstance(value, tuple | list):
            if len(target.elts) != len(value):
                raise self.fail(f"cannot unpack {len(value)} values into {len(target.elts)} names")
            for part, item in zip(target.elts, value, strict=True):
                self._assign(part, item)
        else:
            raise self.fail("only plain names can be assigned")

    def _value(self, node: ast.expr) -> Any:
        """A literal, a name assigned earlier, a tuple/list of them, or +-*/ arithmetic on numbers."""
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool | type(None)):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                raise self.fail(f"name {node.id!r} is not defined")
            return self.names[node.id]
        if isinstance(node, ast.Tuple | ast.List):
            return tuple(self._value(e) for e in node.elts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self._number(self._value(node.operand))
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = self._number(self._value(node.left)), self._number(self._value(node.right))
            try:
                return _BINOPS[type(node.op)](left, right)
            except ZeroDivisionError:
                raise self.fail("division by zero") from None
        raise self.fail("arguments must be literal values (numbers, strings, lists) or names assigned to them")

    def _number(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > 1e9:
            raise self.fail(f"expected a number, got {_short(value)}")
        return value

    # -- calls
    def _call(self, call: ast.Call) -> None:
        name = _callee(call.func)
        if name not in SIGNATURES:
            shown = name if name is not None else "this call"
            raise self.fail(f"{shown} is not supported", listing=True)
        args = [self._value(a) for a in call.args if not isinstance(a, ast.Starred)]
        if len(args) != len(call.args) or any(k.arg is None for k in call.keywords):
            raise self.fail("*args and **kwargs are not supported")
        kwargs = {str(k.arg): self._value(k.value) for k in call.keywords}
        try:
            bound = SIGNATURES[name].bind(*args, **kwargs)
        except TypeError as exc:
            raise self.fail(f"{name}(): {exc}") from None
        bound.apply_defaults()
        self._act(name, bound.arguments)

    def _act(self, name: str, a: dict[str, Any]) -> None:
        if name == "time.sleep":
            secs = self._number(a["secs"])
            if not 0 <= secs <= MAX_SLEEP:
                raise self.fail(f"time.sleep takes 0 to {MAX_SLEEP:g} seconds, got {_short(secs)}")
            self._add("wait", duration=float(secs))
        elif name in ("click", "doubleClick", "tripleClick", "rightClick", "middleClick"):
            self._click(name, a)
        elif name == "moveTo":
            self._add("mouse_move", coordinate=self._point(a, required=True))
        elif name == "dragTo":
            if a["button"] not in ("left", "primary"):
                raise self.fail("dragTo drags with the left button only")
            self._add("left_click_drag", coordinate=self._point(a, required=True))
        elif name in ("mouseDown", "mouseUp"):
            if a["button"] not in ("left", "primary"):
                raise self.fail(f"{name} supports the left button only")
            self._add("left_mouse_down" if name == "mouseDown" else "left_mouse_up", coordinate=self._point(a))
        elif name in ("typewrite", "write"):
            self._write(a["message"])
        elif name == "press":
            self._press(a["keys"], a["presses"])
        elif name == "hotkey":
            keys = self._keys(a["args"])
            if not keys:
                raise self.fail("hotkey needs at least one key")
            self._key("+".join(keys))
        elif name in ("keyDown", "keyUp"):
            self._hold(name, self._keys((a["key"],))[0])
        else:
            self._scroll(name, a)

    def _point(self, a: dict[str, Any], required: bool = False) -> tuple[int, int] | None:
        x, y = a["x"], a["y"]
        if isinstance(x, tuple | list) and y is None:
            if len(x) != 2:
                raise self.fail(f"a point needs two numbers, got {_short(x)}")
            x, y = x
        if x is None and y is None:
            if required:
                raise self.fail("x and y are required")
            return None
        if x is None or y is None:
            raise self.fail("give both x and y, or neither")
        try:
            return self.space.to_screen(self._number(x), self._number(y), "point")
        except ParseError as exc:
            raise self.fail(str(exc)) from None

    def _click(self, name: str, a: dict[str, Any]) -> None:
        button = a.get("button", "left")
        clicks = {"doubleClick": 2, "tripleClick": 3}.get(name, a.get("clicks", 1))
        if name in ("rightClick", "middleClick"):
            button = "right" if name == "rightClick" else "middle"
        if button in ("left", "primary"):
            if isinstance(clicks, bool) or clicks not in _CLICK_NAMES:
                raise self.fail(f"clicks must be 1, 2 or 3, got {_short(clicks)}")
            action = _CLICK_NAMES[clicks]
        elif button in _BUTTON_CLICKS and clicks == 1:
            action = _BUTTON_CLICKS[button]
        else:
            raise self.fail(f"a click with button={_short(button)} and clicks={_short(clicks)} is not supported")
        modifiers = self._modifiers()
        self._add(action, coordinate=self._point(a), text=modifiers or None)

    def _write(self, message: Any) -> None:
        if self.held:
            raise self.fail("typing while keys are held down is not supported; use hotkey")
        if isinstance(message, str):
            if message:
                self._add("type", text=message)
        elif isinstance(message, tuple) and all(isinstance(k, str) for k in message):
            if message:
                self._add("key", text=" ".join(keysym(k) for k in message))
        else:
            raise self.fail(f"typewrite takes a string or a list of key names, got {_short(message)}")

    def _press(self, keys: Any, presses: Any) -> None:
        names = self._keys(keys if isinstance(keys, tuple) else (keys,))
        if isinstance(presses, bool) or not isinstance(presses, int) or not 1 <= presses <= 100:
            raise self.fail(f"presses must be a whole number from 1 to 100, got {_short(presses)}")
        if not names:
            raise self.fail("press needs at least one key")
        modifiers = self._modifiers()
        self._add("key", text=" ".join([f"{modifiers}+{k}" if modifiers else k for k in names] * presses))

    def _key(self, combo: str) -> None:
        modifiers = self._modifiers()
        self._add("key", text=f"{modifiers}+{combo}" if modifiers else combo)

    def _keys(self, keys: tuple[Any, ...]) -> list[str]:
        if not all(isinstance(k, str) and k.strip() and not any(c.isspace() for c in k.strip()) for k in keys):
            raise self.fail(f"key names must be non-empty strings without spaces, got {_short(list(keys))}")
        return [keysym(k) for k in keys]

    def _hold(self, name: str, key: str) -> None:
        if name == "keyDown":
            if any(h.key == key for h in self.held):
                raise self.fail(f"keyDown({key!r}) while it is already held")
            self.held.append(_Held(key))
            return
        if not self.held or self.held[-1].key != key:
            raise self.fail(f"keyUp({key!r}) without a matching keyDown (keys are released in reverse order)")
        released = self.held.pop()
        if not released.used:  # down and up with nothing between: a key press
            self._key(key)

    def _modifiers(self) -> str:
        for held in self.held:
            held.used = True
        return "+".join(h.key for h in self.held)

    def _scroll(self, name: str, a: dict[str, Any]) -> None:
        clicks = a["clicks"]
        if isinstance(clicks, bool) or not isinstance(clicks, int | float) or not clicks == int(clicks):
            raise self.fail(f"scroll takes a whole number of clicks, got {_short(clicks)}")
        amount = int(clicks)
        if amount == 0:
            return
        if name == "hscroll":
            direction = "right" if amount > 0 else "left"
        else:
            direction = "up" if amount > 0 else "down"
        self._add("scroll", coordinate=self._point(a), scroll_direction=direction, scroll_amount=abs(amount),
                  text=self._modifiers() or None)

    def _add(self, action: str, **fields: Any) -> None:
        values = {k: v for k, v in fields.items() if v is not None}
        try:
            self.actions.append(ComputerAction.model_validate({"action": action, **values}))
        except ValidationError as exc:
            raise self.fail(f"{action}: {exc.errors(include_url=False)[0]['msg']}") from None


def _callee(func: ast.expr) -> str | None:
    """``pyautogui.click`` -> ``click``; ``time.sleep`` -> ``time.sleep``; anything else -> None or its dotted name."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if func.value.id == "pyautogui":
            return func.attr if func.attr != "sleep" else "time.sleep"  # pyautogui.sleep is time.sleep
        return f"{func.value.id}.{func.attr}"
    if isinstance(func, ast.Name):
        return func.id if func.id not in SIGNATURES else f"bare {func.id}"
    return None


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}..."
