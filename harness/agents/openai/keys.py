"""Key names of OpenAI's computer tool (``ENTER``, ``CTRL``, ``ARROWLEFT``...) as X keysyms deskbench presses.

The model names keys the way a browser does, upper-case or not; the guest
presses X keysyms through xdotool.  Names not listed pass through unchanged
(``F5``, ``a``), and a name X does not know comes back to the model as a
tool error from the desktop, not as a crash.
"""

from __future__ import annotations

KEYSYMS: dict[str, str] = {
    "enter": "Return", "return": "Return", "esc": "Escape", "escape": "Escape", "tab": "Tab", "space": "space",
    "backspace": "BackSpace", "delete": "Delete", "del": "Delete", "insert": "Insert", "home": "Home", "end": "End",
    "pageup": "Page_Up", "pgup": "Page_Up", "pagedown": "Page_Down", "pgdn": "Page_Down",
    "arrowup": "Up", "up": "Up", "arrowdown": "Down", "down": "Down", "arrowleft": "Left", "left": "Left",
    "arrowright": "Right", "right": "Right", "ctrl": "ctrl", "control": "ctrl", "alt": "alt", "option": "alt",
    "shift": "shift", "cmd": "super", "command": "super", "meta": "super", "super": "super", "win": "super",
    "windows": "super", "capslock": "Caps_Lock", "printscreen": "Print",
    "/": "slash", "\\": "backslash", "-": "minus", "=": "equal", "+": "plus", ",": "comma", ".": "period",
    ";": "semicolon", "'": "apostrophe", "[": "bracketleft", "]": "bracketright", "`": "grave", " ": "space",
}


def keysym(name: str) -> str:
    """One key: a known name mapped, a single letter lower-cased (``A`` in ``CTRL+A`` is the a key), else as given."""
    mapped = KEYSYMS.get(name.strip().lower()) if name.strip() else KEYSYMS.get(name)
    if mapped is not None:
        return mapped
    name = name.strip()
    if len(name) == 1 and name.isalpha():
        return name.lower()
    if name.lower().startswith("f") and name[1:].isdigit():
        return name.upper()
    return name


def combination(keys: list[str]) -> str:
    """Keys pressed together, in deskbench's ``ctrl+shift+t`` form."""
    return "+".join(keysym(k) for k in keys)
