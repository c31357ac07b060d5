"""Figures a run reports besides the success table: status denominators, attempts, and what prefix sweeps saved.

They take the DataFrame of ``load_results`` (one row per episode, its last
attempt counted) and return plain values, so notebooks get the same numbers
the command prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Denominators:
    """Every episode in exactly one status; attempts counts retried infrastructure errors too."""

    episodes: int
    by_status: dict[str, int]
    attempts: int

    def describe(self) -> str:
        parts = ", ".join(f"{status} {n}" for status, n in sorted(self.by_status.items()))
        retried = self.attempts - self.episodes
        return f"{self.episodes} episodes ({parts}); {self.attempts} attempts ({retried} retried)"


@dataclass(frozen=True)
class PrefixSavings:
    """Model turns and tokens the checkpoint-scored budgets did not spend (what independent episodes would have)."""

    episodes: int
    turns: int
    tokens: int
    cost_usd: float

    def describe(self) -> str:
        return (f"prefix sweep: {self.episodes} budget(s) scored at checkpoints, saving {self.turns} model turns, "
                f"{self.tokens} tokens, ${self.cost_usd:.2f}")


def denominators(frame: pd.DataFrame) -> Denominators:
    if frame.empty:
        return Denominators(0, {}, 0)
    attempts = int(frame["attempts"].sum()) if "attempts" in frame else len(frame)
    return Denominators(len(frame), {str(k): int(v) for k, v in frame["status"].value_counts().items()}, attempts)


def prefix_savings(frame: pd.DataFrame) -> PrefixSavings:
    """Sum over records derived from a longer episode: their turns and tokens were not spent again."""
    if frame.empty or "derived_from" not in frame:
        return PrefixSavings(0, 0, 0, 0.0)
    derived = frame[frame["derived_from"].notna()]
    tokens = sum(int(derived.get(f"usage.{c}", pd.Series(dtype=int)).sum())
                 for c in ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens"))
    return PrefixSavings(len(derived), int(derived["steps_used"].sum()), tokens,
                         float(derived.get("usage.cost_usd", pd.Series(dtype=float)).sum()))
