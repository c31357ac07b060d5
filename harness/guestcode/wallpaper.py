"""Show an image as the desktop background, inside the desktop (host half: ``harness.setup.browser_steps``).

Uses the image's python3-xlib and Pillow (both in every deskbench image):
scales the image to cover the screen, puts it in a pixmap kept after exit,
and makes that the root window's background (with the ``_XROOTPMAP_ID`` /
``ESETROOT_PMAP_ID`` properties that xsetroot, feh and compositors use).
Argument: the image's path.  Exits non-zero with a message it cannot read.
"""

from __future__ import annotations

import sys

from PIL import Image, ImageOps
from Xlib import X, Xatom, display


def set_wallpaper(path: str) -> None:
    try:
        img = Image.open(path)
        img.load()
    except Exception as exc:
        sys.exit(f"cannot read the image {path}: {exc}")
    d = display.Display()
    screen = d.screen()
    root = screen.root
    width, height = screen.width_in_pixels, screen.height_in_pixels
    fitted = ImageOps.fit(img.convert("RGB"), (width, height))
    data = fitted.tobytes("raw", "BGRX")
    pixmap = root.create_pixmap(width, height, screen.root_depth)
    gc = pixmap.create_gc()
    rows = max(1, (d.display.info.max_request_length * 4 - 64) // (width * 4))
    for y in range(0, height, rows):
        n = min(rows, height - y)
        pixmap.put_image(gc, 0, y, width, n, X.ZPixmap, screen.root_depth, 0,
                         data[y * width * 4:(y + n) * width * 4])
    atoms = [d.intern_atom(name) for name in ("_XROOTPMAP_ID", "ESETROOT_PMAP_ID")]
    old = root.get_full_property(atoms[1], Xatom.PIXMAP)
    if old is not None and len(old.value) and int(old.value[0]) != pixmap.id:
        d.kill_client(int(old.value[0]))  # the previous wallpaper's kept pixmap
    for atom in atoms:
        root.change_property(atom, Xatom.PIXMAP, 32, [pixmap.id])
    root.change_attributes(background_pixmap=pixmap)
    root.clear_area(0, 0, 0, 0)
    d.set_close_down_mode(X.RetainPermanent)
    d.sync()
    d.close()


if __name__ == "__main__":
    set_wallpaper(sys.argv[1])
