"""Tables of success from a results DataFrame (``load_results``), with explicit denominators.

Every table is per *configuration*: one run (``run_id``) of one agent and
model at one step budget.  Runs are kept apart even when they share agent
and model, since two runs may differ in options the table cannot see
(prompt, agent options, suite).  An agent without a model shows ``-``.

Episodes that ended in an error (setup, checker, infrastructure, agent,
timeout, needs_*) are not scored: they are counted in their own columns and
never folded into a rate's denominator silently.  Beside each success rate,
``success_floor`` counts every unscored episode as a failure (successes over
all episodes): a lower bound, so that abstention -- an episode that ends
without a score -- can never lift the rate unseen.
"""

from __future__ import annotations

from typing import get_args

import pandas as pd

from harness.report.stats import pass_at_k, pass_hat_k, wilson_interval
from harness.store.records import SCORED, Status

#: the columns that make a configuration
GROUP = ["run_id", "agent", "model", "budget"]
NO_MODEL = "-"
OVERALL = "overall"
STATUSES: tuple[str, ...] = get_args(Status)

SUCCESS_COLUMNS = [*GROUP, "domain", "episodes", "scored", "successes", "success_rate", "ci_low", "ci_high",
                   "success_floor", "errors", "mean_steps"]
PASS_K_COLUMNS = [*GROUP, "k", "tasks", "tasks_short", "pass_at_1", "pass_at_k", "pass_hat_k"]
STATUS_COLUMNS = [*GROUP, "episodes", "scored", *STATUSES, "attempts", "summary"]


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the grouping columns present and no missing model (groupby would drop those rows)."""
    out = frame.copy()
    if "run_id" not in out:
        out["run_id"] = NO_MODEL
    model = out["model"] if "model" in out else pd.Series(None, index=out.index, dtype=object)
    out["model"] = model.astype(object).where(model.notna(), NO_MODEL)
    return out


def task_keys(frame: pd.DataFrame) -> pd.Series:
    """``domain/task_id``: task ids are unique within a domain only."""
    return frame["domain"].astype(str) + "/" + frame["task_id"].astype(str)


def success_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per configuration and domain plus an ``overall`` row per configuration, with Wilson 95% bounds.

    ``success_rate`` is successes over *scored* episodes (NaN when none was
    scored); ``errors`` counts the episodes left out of that denominator;
    ``success_floor`` is successes over all episodes (unscored ones as failures).
    """
    if frame.empty:
        return pd.DataFrame(columns=SUCCESS_COLUMNS)
    data = labelled(frame)
    overall = _summarise(data, GROUP).assign(domain=OVERALL)
    table = pd.concat([_summarise(data, [*GROUP, "domain"]), overall], ignore_index=True)
    table = table.sort_values([*GROUP, "domain"], key=_overall_last).reset_index(drop=True)
    return _with_interval(table)[SUCCESS_COLUMNS]


def _summarise(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    scored = frame["status"].isin(SCORED)
    grouped = frame.assign(_scored=scored, _success=frame["status"].eq("success"),
                           _error=~scored).groupby(keys, as_index=False)
    out = grouped.agg(episodes=("status", "size"), scored=("_scored", "sum"), successes=("_success", "sum"),
                      errors=("_error", "sum"), mean_steps=("steps_used", "mean"))
    for column in ("scored", "successes", "errors"):
        out[column] = out[column].astype(int)
    out["success_rate"] = out["successes"] / out["scored"].where(out["scored"] > 0)
    out["success_floor"] = out["successes"] / out["episodes"]
    return out


def _with_interval(table: pd.DataFrame) -> pd.DataFrame:
    bounds = [wilson_interval(int(k), int(n)) for k, n in zip(table["successes"], table["scored"], strict=True)]
    return table.assign(ci_low=[low for low, _ in bounds], ci_high=[high for _, high in bounds])


def _overall_last(col: pd.Series) -> pd.Series:
    return col.map(lambda v: "\uffff" if v == OVERALL else v) if col.name == "domain" else col


def status_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """How many episodes ended in each status, per agent and budget (only the statuses that occur)."""
    if frame.empty:
        return pd.DataFrame()
    return frame.pivot_table(index=["agent", "budget"], columns="status", values="episode_id",
                             aggfunc="count", fill_value=0).reset_index()


def status_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: every status's count, attempts, and a ``summary`` such as "scored 12 of 14; 2 infra_error".

    All statuses are columns, zero or not, so tables of different runs line
    up; ``attempts`` exceeds ``episodes`` by the retried infrastructure errors.
    """
    if frame.empty:
        return pd.DataFrame(columns=STATUS_COLUMNS)
    data = labelled(frame)
    counts = pd.crosstab([data[c] for c in GROUP], data["status"]).reindex(columns=list(STATUSES), fill_value=0)
    counts.columns.name = None
    table = counts.reset_index()
    attempts = data["attempts"] if "attempts" in data else pd.Series(1, index=data.index)
    per_group = data.assign(_attempts=attempts).groupby(GROUP, as_index=False)["_attempts"].sum()
    table = table.merge(per_group.rename(columns={"_attempts": "attempts"}), on=GROUP)
    table["episodes"] = table[list(STATUSES)].sum(axis=1)
    table["scored"] = table[list(SCORED)].sum(axis=1)
    table["summary"] = [_describe(row) for row in table.to_dict("records")]
    return table[STATUS_COLUMNS]


def _describe(row: dict[str, object]) -> str:
    """The denominators of one configuration in words."""
    text = f"scored {row['scored']} of {row['episodes']}"
    unscored = [f"{row[s]} {s}" for s in STATUSES if s not in SCORED and int(str(row[s])) > 0]
    if unscored:
        text += "; " + ", ".join(unscored)
    retried = int(str(row["attempts"])) - int(str(row["episodes"]))
    text += f"; {retried} attempt(s) retried" if retried > 0 else ""
    if int(str(row.get("harness_error", 0))) > 0:
        text += " -- harness_error is a deskbench bug to fix: episodes/<id>/traceback.txt has its traceback"
    return text


def pass_k_table(frame: pd.DataFrame) -> pd.DataFrame:
    """pass@k and pass^k per configuration that has repeats, k being its number of repeats per task.

    For each task (``domain/task_id``) with n scored episodes of which c
    succeeded, pass@k = 1 - C(n-c, k)/C(n, k) and pass^k = C(c, k)/C(n, k)
    (unbiased estimators), averaged over tasks.  A task with fewer than k
    scored episodes (errors) cannot be estimated at k: it is left out and
    counted in ``tasks_short``.  ``pass_at_1`` is the mean of c/n over the
    same tasks.  Configurations with a single repeat give no row.
    """
    if frame.empty:
        return pd.DataFrame(columns=PASS_K_COLUMNS)
    data = labelled(frame)
    data = data.assign(_task=task_keys(data), _scored=data["status"].isin(SCORED),
                       _success=data["status"].eq("success"))
    rows = [_pass_k_row(keys, group) for keys, group in data.groupby(GROUP, sort=True)]
    return pd.DataFrame([r for r in rows if r is not None], columns=PASS_K_COLUMNS)


def _pass_k_row(keys: tuple[object, ...], group: pd.DataFrame) -> dict[str, object] | None:
    k = int(group["repeat"].nunique())
    if k < 2:
        return None
    per_task = group.groupby("_task").agg(n=("_scored", "sum"), c=("_success", "sum"))
    usable = per_task[per_task["n"] >= k]
    estimates = [(c / n, pass_at_k(n, c, k), pass_hat_k(n, c, k))
                 for n, c in zip(usable["n"].astype(int), usable["c"].astype(int), strict=True)]
    means = [sum(values) / len(values) for values in zip(*estimates, strict=True)] if estimates else [float("nan")] * 3
    return {**dict(zip(GROUP, keys, strict=True)), "k": k, "tasks": len(usable),
            "tasks_short": len(per_task) - len(usable), "pass_at_1": means[0], "pass_at_k": means[1],
            "pass_hat_k": means[2]}
