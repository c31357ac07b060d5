"""Key names as vision models write them (pyautogui's, UI-TARS's) mapped to the X keysyms the guest presses.

Models trained on pyautogui write ``enter``, ``esc``, ``pagedown``, ``win``;
xdotool wants ``Return``, ``Escape``, ``Next``, ``super``.  Names not in the
table (letters, digits, ``F5``, keysyms written directly) pass through, and
one the desktop does not know comes back to the model as a tool error.
"""

from __future__ import annotations

PYAUTOGUI_TO_KEYSYM: dict[str, str] = {
    "enter": "Return", "return": "Return", "esc": "Escape", "escape": "Escape", "tab": "Tab",
    "space": "space", "backspace": "BackSpace", "delete": "Delete", "del": "Delete", "insert": "Insert",
    "up": "Up", "down": "Down", "left": "Left", "right": "Right", "home": "Home", "end": "End",
    "pageup": "Prior", "pgup": "Prior", "pagedown": "Next", "pgdn": "Next",
    "ctrl": "ctrl", "control": "ctrl", "ctrlleft": "Control_L", "ctrlright": "Control_R",
    "shift": "shift", "shiftleft": "Shift_L", "shiftright": "Shift_R",
    "alt": "alt", "altleft": "Alt_L", "altright": "Alt_R", "option": "alt",
    "win": "super", "winleft": "Super_L", "winright": "Super_R", "super": "super", "command": "super",
    "cmd": "super", "meta": "super", "capslock": "Caps_Lock", "printscreen": "Print", "menu": "Menu",
    "arrowup": "Up", "arrowdown": "Down", "arrowleft": "Left", "arrowright": "Right",
}


def keysym(name: str) -> str:
    """The X keysym for a model's key name (``enter`` -> ``Return``, ``f5`` -> ``F5``, ``a`` -> ``a``)."""
    lowered = name.strip().lower()
    if lowered in PYAUTOGUI_TO_KEYSYM:
        return PYAUTOGUI_TO_KEYSYM[lowered]
    if len(lowered) >= 2 and lowered[0] == "f" and lowered[1:].isdigit():
        return lowered.upper()
    return name.strip()
