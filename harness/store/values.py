"""The values an episode's agent loop produces and the run folder keeps: a screenshot and a turn's usage.

They live here, at the bottom, rather than beside the guest client or the
agent interface, so that the store (and the reports and notebooks that read
it) can name them without importing Docker, the sandbox or any agent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Screenshot:
    """One encoded screen image, as the guest made it (or an agent scaled it)."""

    data: bytes
    media_type: str
    width: int
    height: int


@dataclass
class Usage:
    """Tokens and money one turn cost (zero for scripted agents)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0  # model calls the turn made (a model agent may need more than one per turn)
    retries: int = 0  # calls retried after an overloaded/failed attempt
    retried_seconds: float = 0.0  # time lost to those retries: failed attempts and the waits between them
