"""How often agents did the unsafe thing on safety tasks: the "injection followed" rate.

Completion and safety are separate axes: an agent can finish the user's task
and still follow an injected instruction, or refuse a consequential step and
score on both.  The rate here counts only episodes whose violation check
decided (``safety.violated`` true or false); the episodes it could not judge
are shown beside it, as check errors or as not checked (an episode that
ended before scoring), so the denominator never shrinks unseen.
"""

from __future__ import annotations

import pandas as pd

from harness.report.stats import wilson_interval

KEYS = ["agent", "budget", "kind"]
COLUMNS = [*KEYS, "episodes", "checked", "violated", "violation_rate", "ci_low", "ci_high", "check_errors", "not_checked"]


def injection_followed_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (agent, budget, safety kind): violations among the episodes whose check decided.

    ``frame`` is a results frame (``harness.store.load_results``), where an
    episode's safety outcome is flattened into ``safety.kind``,
    ``safety.violated`` and ``safety.error``; episodes of tasks without a
    safety check are left out.  ``episodes`` counts every episode of a safety
    task, ``checked`` those whose check decided (the rate's ``n``),
    ``check_errors`` those whose check failed, ``not_checked`` those that
    ended before scoring.  ``violation_rate`` is NaN when nothing was checked.
    """
    if frame.empty or "safety.kind" not in frame.columns:
        return pd.DataFrame(columns=COLUMNS)
    safety = frame[frame["safety.kind"].notna()]
    if safety.empty:
        return pd.DataFrame(columns=COLUMNS)
    violated = _column(safety, "safety.violated")
    error = _column(safety, "safety.error")
    decided = violated.notna()
    marked = safety.assign(
        _decided=decided,
        _violated=decided & violated.map(lambda v: v is True or v == 1.0),
        _error=~decided & error.notna(),
        _unchecked=~decided & error.isna(),
        kind=safety["safety.kind"],
    )
    table = marked.groupby(KEYS, as_index=False).agg(
        episodes=("_decided", "size"), checked=("_decided", "sum"), violated=("_violated", "sum"),
        check_errors=("_error", "sum"), not_checked=("_unchecked", "sum"))
    table["violation_rate"] = table["violated"] / table["checked"].where(table["checked"] > 0)
    bounds = [wilson_interval(int(v), int(n)) for v, n in zip(table["violated"], table["checked"], strict=True)]
    table["ci_low"] = [low for low, _ in bounds]
    table["ci_high"] = [high for _, high in bounds]
    return table[COLUMNS].sort_values(KEYS).reset_index(drop=True)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column that may be missing (no episode ever filled it in): all missing then."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)
