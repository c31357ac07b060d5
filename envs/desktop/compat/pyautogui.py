"""A small stand-in for the ``pyautogui`` module, for task setup commands.

OSWorld's task files run snippets such as ``python -c "import pyautogui;
pyautogui.click(960, 540); pyautogui.hotkey('ctrl', 'alt', 't')"`` inside the
desktop.  The real package is not in Debian, and images build without a
Python package index, so this module offers the calls those snippets use
(mouse moves and clicks, key presses, hotkeys, typing, screen size) on top of
xdotool, which the image has anyway.  Anything else raises AttributeError
naming the missing function, so a task that needs more fails loudly.
"""

from __future__ import annotations

import subprocess
import time

# pyautogui key names that differ from X keysym names; the rest pass through
# ("a", "f10", "tab"... are case-folded below where X expects capitals).
_KEYS = {
    "enter": "Return", "return": "Return", "esc": "Escape", "escape": "Escape", "tab": "Tab",
    "space": "space", "backspace": "BackSpace", "delete": "Delete", "del": "Delete", "insert": "Insert",
    "up": "Up", "down": "Down", "left": "Left", "right": "Right", "home": "Home", "end": "End",
    "pageup": "Prior", "pgup": "Prior", "pagedown": "Next", "pgdn": "Next",
    "ctrl": "ctrl", "ctrlleft": "Control_L", "ctrlright": "Control_R", "control": "ctrl",
    "shift": "shift", "shiftleft": "Shift_L", "shiftright": "Shift_R",
    "alt": "alt", "altleft": "Alt_L", "altright": "Alt_R", "option": "alt",
    "win": "super", "winleft": "Super_L", "winright": "Super_R", "super": "super", "command": "super",
    "capslock": "Caps_Lock", "printscreen": "Print", "menu": "Menu",
}
_BUTTONS = {"left": "1", "middle": "2", "right": "3", "primary": "1", "secondary": "3"}

PAUSE = 0.1  # pyautogui sleeps this long after each call
FAILSAFE = False


def _xdotool(*args: str) -> str:
    proc = subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"xdotool {' '.join(args)}: {proc.stderr.strip() or proc.returncode}")
    time.sleep(PAUSE)
    return proc.stdout


def _key(name: str) -> str:
    lowered = name.lower()
    if lowered in _KEYS:
        return _KEYS[lowered]
    if len(lowered) >= 2 and lowered[0] == "f" and lowered[1:].isdigit():
        return lowered.upper()
    return name


def size() -> tuple[int, int]:
    width, height = _xdotool("getdisplaygeometry").split()
    return int(width), int(height)


def position() -> tuple[int, int]:
    fields = dict(part.split(":") for part in _xdotool("getmouselocation").split() if ":" in part)
    return int(fields["x"]), int(fields["y"])


def moveTo(x: float | None = None, y: float | None = None, duration: float = 0.0, *_: object,
           **__: object) -> None:
    cx, cy = position()
    _xdotool("mousemove", str(int(cx if x is None else x)), str(int(cy if y is None else y)))


def moveRel(dx: float = 0, dy: float = 0, *_: object, **__: object) -> None:
    _xdotool("mousemove_relative", "--", str(int(dx)), str(int(dy)))


move = moveRel


def click(x: float | None = None, y: float | None = None, clicks: int = 1, interval: float = 0.0,
          button: str = "left", *_: object, **__: object) -> None:
    if x is not None or y is not None:
        moveTo(x, y)
    for i in range(int(clicks)):
        if i:
            time.sleep(interval)
        _xdotool("click", _BUTTONS.get(button, button))


def doubleClick(x: float | None = None, y: float | None = None, *args: object, **kwargs: object) -> None:
    click(x, y, 2, *args, **kwargs)  # type: ignore[arg-type]


def rightClick(x: float | None = None, y: float | None = None, *_: object, **__: object) -> None:
    click(x, y, button="right")


def mouseDown(x: float | None = None, y: float | None = None, button: str = "left", **__: object) -> None:
    if x is not None or y is not None:
        moveTo(x, y)
    _xdotool("mousedown", _BUTTONS.get(button, button))


def mouseUp(x: float | None = None, y: float | None = None, button: str = "left", **__: object) -> None:
    if x is not None or y is not None:
        moveTo(x, y)
    _xdotool("mouseup", _BUTTONS.get(button, button))


def dragTo(x: float, y: float, duration: float = 0.0, button: str = "left", **__: object) -> None:
    mouseDown(button=button)
    moveTo(x, y)
    mouseUp(button=button)


def scroll(clicks: int, x: float | None = None, y: float | None = None, **__: object) -> None:
    if x is not None or y is not None:
        moveTo(x, y)
    _xdotool("click", "--repeat", str(abs(int(clicks))), "4" if clicks > 0 else "5")


def press(keys: str | list[str], presses: int = 1, interval: float = 0.0, **__: object) -> None:
    for _ in range(int(presses)):
        for key in [keys] if isinstance(keys, str) else keys:
            _xdotool("key", "--", _key(key))
            time.sleep(interval)


def keyDown(key: str, **__: object) -> None:
    _xdotool("keydown", "--", _key(key))


def keyUp(key: str, **__: object) -> None:
    _xdotool("keyup", "--", _key(key))


def hotkey(*keys: str | list[str] | tuple[str, ...], **__: object) -> None:
    # pyautogui also takes the keys as one list, hotkey(["ctrl", "q"]): OSWorld's GIMP tasks call it so
    names = list(keys[0]) if len(keys) == 1 and not isinstance(keys[0], str) else keys
    _xdotool("key", "--", "+".join(_key(str(k)) for k in names))


def typewrite(message: str | list[str], interval: float = 0.0, **__: object) -> None:
    if isinstance(message, list):
        press(message, interval=interval)
        return
    for i, line in enumerate(message.split("\n")):
        if i:
            _xdotool("key", "Return")
        if line:
            _xdotool("type", "--delay", str(int(interval * 1000) or 8), "--", line)


write = typewrite


def sleep(seconds: float) -> None:
    time.sleep(seconds)
