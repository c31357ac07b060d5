"""Between the screen and what the model sees: pick a target size, map coordinates, resize screenshots.

Claude clicks most accurately on screenshots of about XGA size, so a larger
screen is shown to the model at the recommended size of the same aspect
ratio (XGA 4:3, WXGA 16:10, FWXGA ~16:9), the computer tool declares that
size, and every coordinate the model gives is mapped back to the screen.

Mapping is by pixel centres: scaled pixel ``p`` covers the screen span
``[p / s, (p + 1) / s)``; a model coordinate lands on the screen pixel whose
centre is nearest the centre of that span, and a screen pixel shows up in
the scaled pixel its centre falls in.  A point on the screen therefore
survives the round trip screen -> model -> screen within half a scaled
pixel, which is within 1 px whenever the scale factor is at least 1/2.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image

from harness.sandbox.guest import Screenshot

#: The recommended screenshot sizes, by aspect ratio.
TARGETS: dict[str, tuple[int, int]] = {"XGA": (1024, 768), "WXGA": (1280, 800), "FWXGA": (1366, 768)}
#: How far a screen's aspect ratio may be from a target's and still use it.
ASPECT_TOLERANCE = 0.02
#: The API's own image limits: long edge and total pixels.
MAX_LONG_EDGE = 1568
MAX_PIXELS = 1_150_000


@dataclass(frozen=True)
class Scaling:
    """The screen size and the size the model sees; identity when they are equal."""

    screen: tuple[int, int]
    scaled: tuple[int, int]

    @property
    def factors(self) -> tuple[float, float]:
        return self.scaled[0] / self.screen[0], self.scaled[1] / self.screen[1]

    @property
    def is_identity(self) -> bool:
        return self.screen == self.scaled

    def contains(self, x: int, y: int) -> bool:
        """Whether a model coordinate is on the scaled screen."""
        return 0 <= x < self.scaled[0] and 0 <= y < self.scaled[1]

    def to_screen(self, x: int, y: int) -> tuple[int, int]:
        """A model (scaled) coordinate -> the screen pixel nearest the centre of its cell."""
        sx, sy = self.factors
        return (_clamp(math.floor((x + 0.5) / sx), self.screen[0]), _clamp(math.floor((y + 0.5) / sy), self.screen[1]))

    def to_model(self, x: int, y: int) -> tuple[int, int]:
        """A screen pixel -> the scaled pixel its centre falls in (e.g. for cursor_position).

        ``to_model(to_screen(p)) == p`` for every model coordinate, and ``to_screen(to_model(P))``
        is within ``floor(0.5 / s + 0.5)`` pixels of ``P`` (1 px for a factor ``s`` of at least 1/2).
        """
        sx, sy = self.factors
        return (_clamp(math.floor((x + 0.5) * sx), self.scaled[0]), _clamp(math.floor((y + 0.5) * sy),
                                                                             self.scaled[1]))

    def region_to_screen(self, x1: int, y1: int, x2: int, y2: int) -> tuple[int, int, int, int]:
        """A scaled region [x1, y1, x2, y2) -> the screen region covering the same cells."""
        sx, sy = self.factors
        return (_clamp(math.floor(x1 / sx), self.screen[0]), _clamp(math.floor(y1 / sy), self.screen[1]),
                min(math.ceil(x2 / sx), self.screen[0]), min(math.ceil(y2 / sy), self.screen[1]))


def _clamp(v: int, size: int) -> int:
    return max(0, min(v, size - 1))


def choose_scaling(screen: tuple[int, int]) -> Scaling:
    """The target of the screen's aspect ratio if the screen is larger; else fit the API's limits; never upscale."""
    width, height = screen
    if width <= 0 or height <= 0:
        raise ValueError(f"screen size must be positive, got {width}x{height}")
    ratio = width / height
    for target in TARGETS.values():
        if abs(target[0] / target[1] - ratio) <= ASPECT_TOLERANCE and width >= target[0] and height >= target[1]:
            return Scaling(screen, target)
    return Scaling(screen, fit_within_limits(screen))


def fit_within_limits(size: tuple[int, int]) -> tuple[int, int]:
    """The largest size of the same aspect ratio within the API's image limits (unchanged if already within)."""
    width, height = size
    factor = min(1.0, MAX_LONG_EDGE / max(width, height), math.sqrt(MAX_PIXELS / (width * height)))
    if factor >= 1.0:
        return size
    return max(1, math.floor(width * factor)), max(1, math.floor(height * factor))


def resize_screenshot(shot: Screenshot, size: tuple[int, int]) -> Screenshot:
    """The screenshot at ``size`` (PNG), or unchanged if it already has that size."""
    image = Image.open(io.BytesIO(shot.data))
    if image.size == size:
        return shot if shot.width == size[0] and shot.height == size[1] else Screenshot(
            shot.data, shot.media_type, *image.size)
    resized = image.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    resized.save(buf, "PNG", compress_level=1)
    return Screenshot(buf.getvalue(), "image/png", size[0], size[1])
