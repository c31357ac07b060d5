"""What a parser makes of one model reply, and the model's coordinate space mapped onto the screen.

Both prompt formats end in the same place: deskbench actions in screen
pixels, a control word, or a message the model reads in its next turn.  A
reply that cannot run is never half-run: the whole reply is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness.actions.vocabulary import ComputerAction, Control
from harness.agents.claude.scaling import Scaling


class ParseError(Exception):
    """A reply deskbench will not execute; ``str(exc)`` is what the model is told."""


@dataclass(frozen=True)
class Parsed:
    """One reply: the actions to run in order and/or a control word, or the error the model sees instead."""

    actions: tuple[ComputerAction, ...] = ()
    control: Control | None = None
    error: str | None = None


@dataclass(frozen=True)
class ModelSpace:
    """The coordinates a model writes (image pixels, or UI-TARS's 0-1000 grid) and how they land on the screen.

    ``inclusive`` accepts the grid's far edge itself (UI-TARS writes 1000 for the right border), read as its
    last cell.
    """

    scaling: Scaling
    inclusive: bool = False

    @property
    def size(self) -> tuple[int, int]:
        return self.scaling.scaled

    def to_screen(self, x: float, y: float, what: str = "coordinate") -> tuple[int, int]:
        """A model coordinate -> the screen pixel; ParseError naming the valid range when it is off the space."""
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ParseError(f"{what} ({x}, {y}) is not a finite number")
        width, height = self.size
        px, py = math.floor(x + 0.5), math.floor(y + 0.5)
        if self.inclusive:
            px, py = (width - 1 if px == width else px), (height - 1 if py == height else py)
        if not self.scaling.contains(px, py):
            top_x, top_y = (width, height) if self.inclusive else (width - 1, height - 1)
            raise ParseError(f"{what} ({_num(x)}, {_num(y)}) is outside the screen: x must be in [0, {top_x}] and y "
                             f"in [0, {top_y}]")
        return self.scaling.to_screen(px, py)

    def to_model(self, x: int, y: int) -> tuple[int, int]:
        """A screen pixel -> the model coordinate that shows it (what a model looking at the screen would write)."""
        return self.scaling.to_model(x, y)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
