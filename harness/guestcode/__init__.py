"""Programs that run inside the desktop container, kept as real modules: linted and type-checked with the rest.

The host never imports them to run them.  ``source(name)`` reads a module's
text, which the host hands to the image's own ``python3 -c`` through the
guest; each module does its work under ``if __name__ == "__main__":`` (which
is what ``-c`` gives it), reading its request from stdin or its arguments.
They may import only what every deskbench image has: the standard library,
and, where a module says so, Debian's ``python3-websocket``,
``python3-gi``/``pyatspi``, ``python3-xlib`` and Pillow.  Nothing from
``harness`` is available in the container.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

#: the modules of this package that are guest programs (``source`` refuses anything else)
PROGRAMS = ("a11y_tree", "devtools_client", "relay", "vlc_status", "wallpaper", "xlib_screenshot")


@cache
def source(name: str) -> str:
    """The text of the guest program ``name`` (read once per process), ready for ``python3 -c``."""
    if name not in PROGRAMS:
        raise ValueError(f"no guest program {name!r} (known: {', '.join(PROGRAMS)})")
    return resources.files(__name__).joinpath(f"{name}.py").read_text(encoding="utf-8")
