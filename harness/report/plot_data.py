"""The numbers behind each figure, computed from a results frame (``load_results``).

Kept apart from the drawing so that what a figure shows can be checked
against the episodes without reading pixels, and so the notebook can show the
same numbers as a table next to the picture.

Conventions shared by every figure:

- only ``success`` and ``failure`` are scored; errors, timeouts and ``needs_*``
  episodes are left out of every rate and its denominator;
- a *series* is one agent (and model); a *configuration* is a series at one
  step budget;
- rows derived from a longer episode (prefix sweeps) are real results at their
  budget, so they count in rates and in the cost of an episode at that budget,
  but their times are estimates, so the latency figure leaves them out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from harness.errors import ConfigError
from harness.report.runs import load_runs
from harness.report.stats import wilson_interval
from harness.store.records import SCORED

CURVE_COLUMNS = ["series", "budget", "scored", "successes", "rate", "ci_low", "ci_high"]


def load_plot_runs(*paths: Path | str) -> pd.DataFrame:
    """Load run folders for plotting; a missing, empty or unscored run is an error that names it.

    Plotting such a run would give an empty or misleading image, which is
    easier to miss than a message.
    """
    frame = load_runs(paths)
    require_scored(frame)
    return frame


def require_scored(frame: pd.DataFrame) -> None:
    """Raise ``ConfigError`` when ``frame`` is empty or any of its runs has no scored episode."""
    if frame.empty:
        raise ConfigError("no episodes to plot")
    for run_id, statuses in frame.groupby("run_id")["status"]:
        if not statuses.isin(SCORED).any():
            counts = ", ".join(f"{n} {status}" for status, n in statuses.value_counts().items())
            raise ConfigError(f"run {run_id} has no scored episode to plot (only success and failure are "
                              f"scored; it has {counts})")


def series_labels(frame: pd.DataFrame) -> pd.Series:
    """The series each row belongs to: ``agent`` or ``agent (model)``.

    Runs of one agent at different budgets join into one curve; but when two
    runs hold the same agent *and* budget (say, two prompts or agent options),
    merging them would hide the difference, so their rows are labelled with the
    run id as well.
    """
    base = [agent if _missing(model) else f"{agent} ({model})" for agent, model in zip(frame["agent"],
                                                                                            _models(frame),
                                                                                            strict=True)]
    labels = pd.Series(base, index=frame.index, dtype=object)
    runs_per_config = frame.assign(_series=labels).groupby(["_series", "budget"])["run_id"].nunique()
    clashing = {series for (series, _), runs in runs_per_config.items() if runs > 1}
    with_run = [f"{label} [{run}]" for label, run in zip(labels, frame["run_id"], strict=True)]
    return labels.where(~labels.isin(clashing), pd.Series(with_run, index=frame.index, dtype=object))


def _models(frame: pd.DataFrame) -> pd.Series:
    return frame["model"] if "model" in frame else pd.Series([None] * len(frame), index=frame.index)


def _missing(value: object) -> bool:
    return value is None or value != value  # None, or NaN from a column pandas filled


def budget_curve(frame: pd.DataFrame) -> pd.DataFrame:
    """Per series and budget: scored episodes, successes, rate and the Wilson 95% interval."""
    return _rates(frame, ["series", "budget"]).sort_values(["series", "budget"], ignore_index=True)


def domain_rates(frame: pd.DataFrame, budget: int | None = None) -> pd.DataFrame:
    """Per series and domain at one budget: by default each series at its largest budget.

    One budget per series keeps the bars comparable; how success changes with
    the budget is the budget curve's job.
    """
    labelled = frame.assign(series=series_labels(frame))
    if budget is None:
        largest = labelled.groupby("series")["budget"].transform("max")
        chosen = labelled[labelled["budget"] == largest]
    else:
        chosen = labelled[labelled["budget"] == budget]
    if chosen.empty:
        raise ConfigError(f"no episodes at budget {budget}")
    return _rates(chosen, ["series", "budget", "domain"]).sort_values(["domain", "series"], ignore_index=True)


def cost_points(frame: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: mean cost of an episode, success rate, interval, and whether it is on the Pareto front.

    The cost is averaged over every episode of the configuration, scored or
    not, since an episode that ended in an error was paid for too.  A derived
    (prefix-sweep) row carries the cost up to its checkpoint: what an episode at
    that budget would have cost, so averaging it double counts nothing.
    """
    labelled = frame.assign(series=series_labels(frame), _cost=_costs(frame))
    rates = _rates(labelled, ["series", "budget"])
    costs = labelled.groupby(["series", "budget"], as_index=False).agg(episodes=("status", "size"),
                                                                        cost_per_episode=("_cost", "mean"))
    points = costs.merge(rates, on=["series", "budget"], how="left")
    points = points[points["scored"] > 0].reset_index(drop=True)
    points["label"] = [f"{s} @{b}" for s, b in zip(points["series"], points["budget"], strict=True)]
    points["pareto"] = pareto_front(points["cost_per_episode"].tolist(), points["rate"].tolist())
    return points.sort_values(["cost_per_episode", "rate"], ascending=[True, False], ignore_index=True)


def _costs(frame: pd.DataFrame) -> pd.Series:
    if "usage.cost_usd" not in frame:
        return pd.Series(0.0, index=frame.index)
    return frame["usage.cost_usd"].fillna(0.0).astype(float)


def total_spend(frame: pd.DataFrame) -> float:
    """Dollars actually spent: derived rows re-use their episode's turns, so they are not added again."""
    real = frame["derived_from"].isna() if "derived_from" in frame else pd.Series(True, index=frame.index)
    return float(_costs(frame)[real].sum())


def pareto_front(costs: list[float], rates: list[float]) -> list[bool]:
    """For each point, whether no other point is at most as costly and at least as successful (one strictly).

    Quadratic, which is fine: there is one point per configuration, not per
    episode.
    """
    points = list(zip(costs, rates, strict=True))

    def dominated(cost: float, rate: float) -> bool:
        return any(c <= cost and r >= rate and (c < cost or r > rate) for c, r in points)

    return [not dominated(cost, rate) for cost, rate in points]


def latency_samples(frame: pd.DataFrame) -> pd.DataFrame:
    """Long table (series, metric, seconds) of measured times: episode wall time and per-step model/env time.

    Only episodes that really ran are used (derived rows carry estimated
    times), whatever their status: a timeout's wall time is real time spent.
    Per-step times need at least one step.
    """
    labelled = frame.assign(series=series_labels(frame))
    real = labelled[labelled["derived_from"].isna()] if "derived_from" in labelled else labelled
    stepped = real[real["steps_used"] > 0]
    parts = [
        _metric(real, "episode wall time", real["timings.total"]),
        _metric(stepped, "model time per step", stepped["timings.agent_think"] / stepped["steps_used"]),
        _metric(stepped, "environment time per step", stepped["timings.agent_env"] / stepped["steps_used"]),
    ]
    return pd.concat(parts, ignore_index=True)


LATENCY_METRICS = ("episode wall time", "model time per step", "environment time per step")


def _metric(rows: pd.DataFrame, name: str, seconds: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"series": rows["series"].to_numpy(), "metric": name,
                         "seconds": seconds.astype(float).to_numpy()})


def _rates(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Scored episodes, successes, rate and Wilson interval per group of ``keys`` (groups without scores dropped)."""
    labelled = frame if "series" in frame else frame.assign(series=series_labels(frame))
    scored = labelled[labelled["status"].isin(SCORED)]
    if scored.empty:
        return pd.DataFrame(columns=[*keys, *CURVE_COLUMNS[2:]])
    out = scored.assign(_success=scored["status"].eq("success")).groupby(keys, as_index=False).agg(
        scored=("status", "size"), successes=("_success", "sum"))
    out["successes"] = out["successes"].astype(int)
    out["rate"] = out["successes"] / out["scored"]
    bounds = [wilson_interval(int(k), int(n)) for k, n in zip(out["successes"], out["scored"], strict=True)]
    out["ci_low"] = [low for low, _ in bounds]
    out["ci_high"] = [high for _, high in bounds]
    return out
