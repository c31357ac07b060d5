"""The benchmark baseline's screenshot inside the desktop: the root window through python-xlib, a PNG on stdout.

Uses the image's python3-xlib and Pillow; ``harness.bench.env_latency``
times it against the guest's own screenshot.
"""

from __future__ import annotations

import sys

from PIL import Image
from Xlib import X, display


def grab() -> None:
    d = display.Display()
    root = d.screen().root
    g = root.get_geometry()
    raw = root.get_image(0, 0, g.width, g.height, X.ZPixmap, 0xFFFFFFFF)
    img = Image.frombytes("RGB", (g.width, g.height), raw.data, "raw", "BGRX")
    img.save(sys.stdout.buffer, "PNG", compress_level=1)


if __name__ == "__main__":
    grab()
