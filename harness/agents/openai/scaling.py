"""The display size the computer tool declares: the screen as OpenAI's vision input will see it.

The Responses API fits every image to 2048x2048 and then its short side to
768 pixels before the model looks at it ("high" detail).  Declaring a
larger display than that would make the model's coordinates refer to a
picture it never saw, so the screen is scaled to that size here, screenshots
are sent at it, and coordinates are mapped back by the same pixel-centre
rule as Claude's (:class:`harness.agents.claude.scaling.Scaling`): a screen
point survives screen -> model -> screen within 1 px while the factor is at
least 1/2 (any screen whose short side is at most 1536 px).
"""

from __future__ import annotations

import math

from harness.agents.claude.scaling import Scaling

#: the API's image fitting: long edge, then short edge
MAX_LONG_EDGE = 2048
MAX_SHORT_EDGE = 768


def choose_display(screen: tuple[int, int]) -> Scaling:
    """The screen and the display size to declare; never upscaled."""
    width, height = screen
    if width <= 0 or height <= 0:
        raise ValueError(f"screen size must be positive, got {width}x{height}")
    factor = min(1.0, MAX_LONG_EDGE / max(width, height), MAX_SHORT_EDGE / min(width, height))
    if factor >= 1.0:
        return Scaling(screen, screen)
    return Scaling(screen, (max(1, math.floor(width * factor)), max(1, math.floor(height * factor))))
