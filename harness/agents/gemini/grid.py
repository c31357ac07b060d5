"""Gemini's normalized coordinates (a 1000 x 1000 grid, 0-999 on each axis) mapped to screen pixels and back.

The model never sees pixel sizes: whatever the screenshot's resolution, it
answers on the grid, and the client scales.  A grid cell is ``width / 1000``
pixels wide, so on a screen wider than 1000 pixels not every pixel can be
named: a pixel sent to the model and read back lands at most
``ceil(width / 1000) - 1`` pixels away (0 up to 1000 px, 1 px up to 2000 px:
1920 x 1080 is within 1 px; 3840 px within 3).  Both directions round to the
nearest, so the error is split evenly around the cell's centre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GRID = 1000


def to_screen_axis(value: int, size: int) -> int:
    """A grid value (0-999) as the nearest pixel of an axis ``size`` pixels long."""
    return min(size - 1, math.floor(value * size / GRID + 0.5))


def to_grid_axis(pixel: int, size: int) -> int:
    """A pixel of an axis ``size`` pixels long as the nearest grid value (0-999)."""
    return min(GRID - 1, math.floor(pixel * GRID / size + 0.5))


def round_trip_bound(size: int) -> int:
    """The most a pixel can move through the grid and back on an axis of ``size`` pixels."""
    return max(0, math.ceil(size / GRID) - 1)


@dataclass(frozen=True)
class Grid:
    """The screen's size, for converting the model's grid points."""

    width: int
    height: int

    @staticmethod
    def contains(x: int, y: int) -> bool:
        return 0 <= x < GRID and 0 <= y < GRID

    def to_screen(self, x: int, y: int) -> tuple[int, int]:
        return to_screen_axis(x, self.width), to_screen_axis(y, self.height)

    def to_grid(self, x: int, y: int) -> tuple[int, int]:
        return to_grid_axis(x, self.width), to_grid_axis(y, self.height)
