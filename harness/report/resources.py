"""What episodes took: wall time, model and environment time per step, tokens and dollars, per configuration.

Records derived from a longer episode (prefix sweeps, ``derived_from`` set)
need care, because they did not run on their own:

- their times are estimates (the agent's share is cut at the checkpoint and
  model/environment time is not split), so latency leaves them out and
  counts them in ``derived``;
- their usage is the longer episode's usage *up to the checkpoint*: what an
  episode at that budget would have cost, so per-episode and per-success
  figures of their budget use it, but the money was spent by the episode
  they derive from, so ``tokens_total`` and ``usd_total`` (what was paid)
  count them as nothing.
"""

from __future__ import annotations

import pandas as pd

from harness.report.tables import GROUP, labelled

LATENCY_METRICS = {  # output prefix -> how to get the seconds of one measured episode
    "wall": "timings.total",
    "think_per_step": "timings.agent_think",
    "env_per_step": "timings.agent_env",
    "env_start": "timings.env_start",
}
PER_STEP = ("think_per_step", "env_per_step")
QUANTILES = {"p50": 0.5, "p95": 0.95}
LATENCY_COLUMNS = [*GROUP, "measured", "derived",
                   *[f"{m}_{q}" for m in LATENCY_METRICS for q in QUANTILES]]

TOKENS = ("input", "output", "cache_write", "cache_read")
ALL_BUDGETS = "all"
COST_COLUMNS = [*GROUP, "episodes", "successes", *[f"{t}_per_episode" for t in TOKENS], "usd_per_episode",
                "usd_per_success", "tokens_total", "usd_total", "model_calls", "retries", "retry_seconds"]


def derived_rows(frame: pd.DataFrame) -> pd.Series:
    """True for records scored at another episode's checkpoint (they did not run on their own)."""
    if "derived_from" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["derived_from"].notna()


def latency_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: p50 and p95 (linear interpolation) of episode wall time, model and environment time
    per step, and environment start, in seconds, over the episodes that really ran, whatever their status.

    Per-step figures divide each episode's model (``agent_think``) or
    environment (``agent_env``) time by its steps, over episodes with at least
    one step.  A configuration made only of derived records has ``measured`` 0
    and no figures.
    """
    if frame.empty:
        return pd.DataFrame(columns=LATENCY_COLUMNS)
    data = labelled(frame).assign(_derived=derived_rows(frame))
    rows = [{**dict(zip(GROUP, keys, strict=True)), **_latency_row(group)}
            for keys, group in data.groupby(GROUP, sort=True)]
    return pd.DataFrame(rows, columns=LATENCY_COLUMNS)


def _latency_row(group: pd.DataFrame) -> dict[str, float | int]:
    real = group[~group["_derived"]]
    stepped = real[real["steps_used"] > 0]
    row: dict[str, float | int] = {"measured": len(real), "derived": int(group["_derived"].sum())}
    for name, column in LATENCY_METRICS.items():
        rows = stepped if name in PER_STEP else real
        seconds = rows[column].astype(float)
        if name in PER_STEP:
            seconds = seconds / rows["steps_used"].astype(float)
        for label, q in QUANTILES.items():
            row[f"{name}_{label}"] = float(seconds.quantile(q)) if len(seconds) else float("nan")
    return row


def cost_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per configuration, then an ``all`` budgets row per run: tokens and dollars per episode, per success, total.

    Per-budget rows average each record's own usage (see the module note on
    derived records); ``tokens_total`` and ``usd_total`` are what was paid.
    The ``all`` row divides what the run paid by all its episodes and
    successes, so a prefix sweep's checkpoints are not paid twice there.
    Every episode counts, scored or not: an episode that ended in an error
    was paid for too.
    """
    if frame.empty:
        return pd.DataFrame(columns=COST_COLUMNS)
    data = labelled(frame).assign(_derived=derived_rows(frame))
    rows = []
    for run_keys, run in data.groupby(GROUP[:-1], sort=True):
        for budget, group in run.groupby("budget", sort=True):
            rows.append({**dict(zip(GROUP, (*run_keys, budget), strict=True)), **_cost_row(group, group)})
        if run["budget"].nunique() > 1:
            rows.append({**dict(zip(GROUP, (*run_keys, ALL_BUDGETS), strict=True)),
                         **_cost_row(run, run[~run["_derived"]])})
    return pd.DataFrame(rows, columns=COST_COLUMNS)


def _cost_row(rows: pd.DataFrame, basis: pd.DataFrame) -> dict[str, float | int]:
    """Figures of ``rows``; per-episode and per-success numerators summed over ``basis``."""
    episodes, successes = len(rows), int(rows["status"].eq("success").sum())
    paid = rows[~rows["_derived"]]
    out: dict[str, float | int] = {"episodes": episodes, "successes": successes}
    for token in TOKENS:
        out[f"{token}_per_episode"] = _total(basis, f"usage.{token}_tokens") / episodes
    spent = _total(basis, "usage.cost_usd")
    out["usd_per_episode"] = spent / episodes
    out["usd_per_success"] = spent / successes if successes else float("nan")
    out["tokens_total"] = int(sum(_total(paid, f"usage.{token}_tokens") for token in TOKENS))
    out["usd_total"] = _total(paid, "usage.cost_usd")
    out["model_calls"] = int(_total(paid, "usage.calls"))
    out["retries"] = int(_total(paid, "usage.retries"))  # model calls retried, and the time that cost
    out["retry_seconds"] = _total(paid, "usage.retried_seconds")
    return out


def _total(rows: pd.DataFrame, column: str) -> float:
    return float(rows[column].fillna(0).astype(float).sum()) if column in rows else 0.0
