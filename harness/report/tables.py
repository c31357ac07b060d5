"""Success tables from a results DataFrame: per domain and overall, with explicit denominators.

Episodes that ended in an error (setup, checker, infrastructure, agent,
timeout) are not scored; they are counted in their own columns, never folded
into the success rate's denominator silently.
"""

from __future__ import annotations

import pandas as pd

SCORED = ("success", "failure")


def success_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (agent, budget, domain) plus an 'overall' row per (agent, budget)."""
    if frame.empty:
        return pd.DataFrame(columns=["agent", "budget", "domain", "episodes", "scored", "successes",
                                     "success_rate", "errors", "mean_steps"])
    parts = [_summarise(frame, ["agent", "budget", "domain"])]
    overall = _summarise(frame, ["agent", "budget"])
    overall["domain"] = "overall"
    parts.append(overall)
    table = pd.concat(parts, ignore_index=True)
    return table.sort_values(["agent", "budget", "domain"], key=_overall_last).reset_index(drop=True)


def _summarise(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    scored = frame["status"].isin(SCORED)
    grouped = frame.assign(_scored=scored, _success=frame["status"].eq("success"),
                           _error=~scored).groupby(keys, as_index=False)
    out = grouped.agg(episodes=("status", "size"), scored=("_scored", "sum"), successes=("_success", "sum"),
                      errors=("_error", "sum"), mean_steps=("steps_used", "mean"))
    out["success_rate"] = out["successes"] / out["scored"].where(out["scored"] > 0)
    return out


def _overall_last(col: pd.Series) -> pd.Series:
    return col.map(lambda v: "\uffff" if v == "overall" else v) if col.name == "domain" else col


def status_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """How many episodes ended in each status, per agent and budget."""
    if frame.empty:
        return pd.DataFrame()
    return frame.pivot_table(index=["agent", "budget"], columns="status", values="episode_id",
                             aggfunc="count", fill_value=0).reset_index()
