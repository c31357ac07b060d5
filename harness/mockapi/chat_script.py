"""A task's reference solution replayed as a vision model would write it: pyautogui code or UI-TARS actions.

The scripts are the Messages API mock's (:mod:`harness.mockapi.script`), in
deskbench's action vocabulary.  A GUI-only model has no shell or editor
tool, so the replay does what such a model would: it opens a terminal
(ctrl+alt+t, the desktop's shortcut) once and types each shell command into
it, and turns an editor edit into a one-line ``python3`` command typed the
same way.  Coordinates are written in the request's own space: pixels of the
screenshot it sent (pyautogui) or the 0-1000 grid (UI-TARS).
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from harness.actions.vocabulary import BashAction, ComputerAction, EditorAction, ToolAction, parse_action
from harness.errors import UnknownActionError
from harness.mockapi.script import INFEASIBLE_TEXT, Script

ReplyFormat = Literal["pyautogui", "uitars"]
#: the screen a script's coordinates were written for when it does not say (the runner's default)
DEFAULT_SCREEN = (1280, 800)
UITARS_GRID = (1000, 1000)
SKIPPED = frozenset({"screenshot", "cursor_position", "zoom"})
#: the shortcut, then time for xterm to map and take focus on a loaded machine (a model would look; a replay waits)
OPEN_TERMINAL = (ComputerAction(action="key", text="ctrl+alt+t"), ComputerAction(action="wait", duration=2.5))
SETTLE = ComputerAction(action="wait", duration=0.5)
#: X keysyms back to the names pyautogui and UI-TARS use
PYAUTOGUI_NAMES = {"Return": "enter", "Escape": "esc", "BackSpace": "backspace", "Prior": "pageup",
                   "Next": "pagedown", "Delete": "delete", "Tab": "tab", "super": "win", "Control_L": "ctrlleft",
                   "Shift_L": "shiftleft", "Alt_L": "altleft", "Caps_Lock": "capslock", "Print": "printscreen"}
_EDIT = ("import sys,pathlib;p=pathlib.Path(sys.argv[1]);t=p.read_text();"
         "assert t.count(sys.argv[2])==1;p.write_text(t.replace(sys.argv[2],sys.argv[3]))")
_CREATE = "import sys,pathlib;p=pathlib.Path(sys.argv[1]);p.parent.mkdir(parents=True,exist_ok=True);p.write_text(sys.argv[2])"
_INSERT = ("import sys,pathlib;p=pathlib.Path(sys.argv[1]);n=int(sys.argv[2]);l=p.read_text().split(chr(10));"
           "l[n:n]=sys.argv[3].split(chr(10));p.write_text(chr(10).join(l))")


class UnsupportedScript(Exception):
    """A reference solution step the reply format cannot express (the reply then gives up with FAIL)."""


@dataclass(frozen=True)
class GuiScript:
    """A script as GUI steps: each step a list of computer actions in the script's screen pixels."""

    name: str
    steps: tuple[tuple[ComputerAction, ...], ...]
    infeasible: bool
    screen: tuple[int, int]


def gui_script(script: Script) -> GuiScript:
    """The script's tool calls as GUI steps (shell and editor calls typed into a terminal)."""
    steps: list[tuple[ComputerAction, ...]] = []
    terminal = False
    for turn in script.turns:
        for block in turn:
            if block.get("type") != "tool_use":
                continue
            try:
                action = parse_action({"tool": block.get("name"), **dict(block.get("input") or {})})
            except UnknownActionError as exc:
                raise UnsupportedScript(str(exc)) from None
            if isinstance(action, str):
                continue
            step = _gui_step(action, terminal)
            if step:
                terminal = terminal or not isinstance(action, ComputerAction)
                steps.append(step)
    return GuiScript(script.name, tuple(steps), script.final == INFEASIBLE_TEXT, script.screen or DEFAULT_SCREEN)


def _gui_step(action: ToolAction, terminal: bool) -> tuple[ComputerAction, ...]:
    if isinstance(action, ComputerAction):
        return () if action.action in SKIPPED else (action,)
    command = _shell(action)
    if command is None:
        return ()
    opening = () if terminal else OPEN_TERMINAL
    return (*opening, ComputerAction(action="type", text=command + "\n"), SETTLE)


def _shell(action: BashAction | EditorAction) -> str | None:
    """The command line a GUI-only model would type for a shell or editor call (None: nothing to do)."""
    if isinstance(action, BashAction):
        return action.command if action.command and not action.restart else None
    quoted = shlex.quote(action.path)
    if action.command == "view":
        return None
    if action.command == "create":
        return f"python3 -c {shlex.quote(_CREATE)} {quoted} {shlex.quote(action.file_text or '')}"
    if action.command == "str_replace":
        return (f"python3 -c {shlex.quote(_EDIT)} {quoted} {shlex.quote(action.old_str or '')} "
                f"{shlex.quote(action.new_str or '')}")
    if action.command == "insert":
        text = action.insert_text if action.insert_text is not None else action.new_str
        return f"python3 -c {shlex.quote(_INSERT)} {quoted} {action.insert_line or 0} {shlex.quote(text or '')}"
    raise UnsupportedScript(f"the editor's {action.command} has no GUI equivalent")


# -- replies

def reply_turns(script: GuiScript, fmt: ReplyFormat, image: tuple[int, int], absolute: bool = False) -> list[str]:
    """Every reply of the replay in order, the final DONE/FAIL included; ``image`` is the size the model sees
    (UI-TARS writes its points on the 0-1000 grid, or in that image's pixels when ``absolute``)."""
    if fmt == "pyautogui":
        turns = [_pyautogui_step(step, _Mapper(script.screen, image)) for step in script.steps]
        return [f"Step {i + 1} of the reference solution.\n```python\n{code}\n```" for i, code in enumerate(turns)] + [
            "```FAIL```" if script.infeasible else "```DONE```"]
    mapper = _Mapper(script.screen, image if absolute else UITARS_GRID)
    actions = [line for step in script.steps for action in step for line in _uitars_lines(action, mapper)]
    final = "call_user()" if script.infeasible else "finished()"
    return [f"Thought: Step {i + 1} of the reference solution.\nAction: {a}" for i, a in enumerate(actions)] + [
        f"Thought: The reference solution is complete.\nAction: {final}"]


def final_reply(fmt: ReplyFormat, text: str) -> str:
    """A reply that gives up (no script, or one the format cannot express), saying why."""
    return f"{text}\n```FAIL```" if fmt == "pyautogui" else f"Thought: {text}\nAction: call_user()"


@dataclass(frozen=True)
class _Mapper:
    """Screen pixels -> the model's space, by pixel centres (the inverse of the agent's mapping)."""

    screen: tuple[int, int]
    space: tuple[int, int]

    def __call__(self, point: tuple[int, int]) -> tuple[int, int]:
        return tuple(min(max(math.floor((p + 0.5) * s / w), 0), s - 1)  # type: ignore[return-value]
                     for p, s, w in zip(point, self.space, self.screen, strict=True))


def _combos(keys: str) -> list[list[str]]:
    """``"ctrl+a Return"`` -> ``[["ctrl", "a"], ["enter"]]`` in pyautogui's names."""
    return [[PYAUTOGUI_NAMES.get(k, k.lower() if len(k) > 1 else k) for k in combo.split("+")] for combo in keys.split()]


def _pyautogui_step(step: Sequence[ComputerAction], to_model: _Mapper) -> str:
    return "\n".join(line for action in step for line in _pyautogui_lines(action, to_model))


def _xy(point: tuple[int, int] | None, to_model: _Mapper) -> str:
    if point is None:
        return ""
    x, y = to_model(point)
    return f"{x}, {y}"


def _pyautogui_lines(a: ComputerAction, to_model: _Mapper) -> list[str]:
    simple = {"left_click": "click", "double_click": "doubleClick", "triple_click": "tripleClick",
              "right_click": "rightClick", "middle_click": "middleClick", "mouse_move": "moveTo",
              "left_mouse_down": "mouseDown", "left_mouse_up": "mouseUp"}
    if a.action in simple:
        lines = [f"pyautogui.{simple[a.action]}({_xy(a.coordinate, to_model)})"]
        return _held(a.text, lines) if a.text else lines
    if a.action == "left_click_drag":
        start = [f"pyautogui.moveTo({_xy(a.start_coordinate, to_model)})"] if a.start_coordinate else []
        return [*start, f"pyautogui.dragTo({_xy(a.coordinate, to_model)})"]
    if a.action == "type":
        return [f"pyautogui.typewrite({a.text!r})"]
    if a.action == "key":
        return [f"pyautogui.press({c[0]!r})" if len(c) == 1 else f"pyautogui.hotkey({', '.join(map(repr, c))})"
                for c in _combos(a.text or "")]
    if a.action == "scroll":
        up = a.scroll_direction in ("up", "right")
        name = "hscroll" if a.scroll_direction in ("left", "right") else "scroll"
        where = f", {', '.join(f'{k}={v}' for k, v in zip('xy', to_model(a.coordinate), strict=True))}" \
            if a.coordinate else ""
        lines = [f"pyautogui.{name}({(a.scroll_amount or 3) * (1 if up else -1)}{where})"]
        return _held(a.text, lines) if a.text else lines
    if a.action == "hold_key":
        return _held(a.text or "", [f"time.sleep({a.duration if a.duration is not None else 0.5})"])
    if a.action == "wait":
        return [f"time.sleep({a.duration if a.duration is not None else 1.0})"]
    raise UnsupportedScript(f"computer action {a.action} has no pyautogui equivalent")


def _held(keys: str, lines: list[str]) -> list[str]:
    names = [k for c in _combos(keys) for k in c]
    return ([f"pyautogui.keyDown({k!r})" for k in names] + lines
            + [f"pyautogui.keyUp({k!r})" for k in reversed(names)])


def _box(point: tuple[int, int] | None, to_model: _Mapper) -> str:
    if point is None:
        raise UnsupportedScript("UI-TARS actions need a point")
    x, y = to_model(point)
    return f"'({x},{y})'"


def _uitars_lines(a: ComputerAction, to_model: _Mapper) -> list[str]:
    clicks = {"left_click": "click", "double_click": "left_double", "right_click": "right_single"}
    if a.action in clicks and not a.text:
        return [f"{clicks[a.action]}(start_box={_box(a.coordinate, to_model)})"]
    if a.action == "left_click_drag":
        return [f"drag(start_box={_box(a.start_coordinate, to_model)}, end_box={_box(a.coordinate, to_model)})"]
    if a.action == "type":
        text = (a.text or "").replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
        return [f"type(content='{text}')"]
    if a.action == "key":
        return [f"hotkey(key='{' '.join(c)}')" for c in _combos(a.text or "")]
    if a.action == "scroll" and not a.text:
        return [f"scroll(start_box={_box(a.coordinate, to_model)}, direction='{a.scroll_direction}')"]
    if a.action == "wait":
        return ["wait()"]
    raise UnsupportedScript(f"computer action {a.action}{' with held keys' if a.text else ''} has no UI-TARS "
                            "equivalent")
