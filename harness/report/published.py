"""Published results other people measured, for context next to our own numbers.

They live here, as constants with their source, and never in a results frame:
a reader must always be able to tell what deskbench measured from what a paper
or announcement reported, on a different task set and harness.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublishedPoint:
    """One reported success rate at one step budget."""

    system: str
    benchmark: str
    budget: int
    rate: float
    source: str


_ANTHROPIC_OCT_2024 = ("Anthropic, 'Introducing computer use, a new Claude 3.5 Sonnet, and Claude 3.5 Haiku' "
                       "(22 October 2024): OSWorld, screenshot-only")

#: Claude 3.5 Sonnet (October 2024) on the full OSWorld benchmark: 14.9% within 15 steps, 22.0% within 50.
OSWORLD_CLAUDE_35_SONNET: tuple[PublishedPoint, ...] = (
    PublishedPoint("Claude 3.5 Sonnet", "OSWorld", 15, 0.149, _ANTHROPIC_OCT_2024),
    PublishedPoint("Claude 3.5 Sonnet", "OSWorld", 50, 0.220, _ANTHROPIC_OCT_2024),
)
