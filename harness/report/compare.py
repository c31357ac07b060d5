"""Paired comparison of two runs: which episodes one run solved and the other did not, and whether it matters.

Pairing: an episode of run A is paired with the episode of run B that has
the same task (``domain/task_id``), the same step budget and the same repeat
index; episodes without a partner are counted, never paired by guess.  A pair
is *scored* when both of its episodes are (success or failure); pairs with an
error on either side are left out of the statistics and counted.

Per budget, the scored pairs make a 2x2 table: both succeeded, only A, only
B, neither.  McNemar's test (``stats.mcnemar_test``: exact binomial below 25
discordant pairs, chi-square with continuity correction from 25) asks
whether "only A" and "only B" are equally likely; Newcombe's hybrid score
interval (``stats.paired_difference_interval``) bounds the difference of
success rates A - B at 95%.  Both treat pairs as independent: repeats of one
task are not quite, so with repeats read the per-task table as well.
Budgets are never pooled: in a prefix sweep the budgets of one episode share
their start.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from harness.errors import ConfigError
from harness.report.stats import McNemar, mcnemar_test, paired_difference_interval
from harness.report.tables import NO_MODEL, labelled, task_keys
from harness.store.records import SCORED

PAIR_KEY = ["task", "budget", "repeat"]
SUMMARY_COLUMNS = ["budget", "pairs", "both", "only_a", "only_b", "neither", "rate_a", "rate_b", "difference",
                   "ci_low", "ci_high", "mcnemar_p", "test", "unpaired_a", "unpaired_b", "unscored_pairs"]
PER_TASK_COLUMNS = ["task", "budget", "pairs", "successes_a", "successes_b", "only_a", "only_b", "difference"]


@dataclass(frozen=True)
class Comparison:
    """Run A against run B: the pairs, per-budget statistics and per-task differences."""

    run_a: str
    run_b: str
    label_a: str  # agent (model) of run A
    label_b: str
    pairs: pd.DataFrame  # every paired episode: task, budget, repeat, status_a, status_b, success_a, success_b
    summary: pd.DataFrame  # one row per budget of either run (0 pairs when only one has it), SUMMARY_COLUMNS
    per_task: pd.DataFrame  # one row per task and budget over scored pairs, PER_TASK_COLUMNS

    @property
    def discordant_tasks(self) -> pd.DataFrame:
        """Tasks where at least one pair went one way in A and the other in B."""
        table = self.per_task
        return table[(table["only_a"] > 0) | (table["only_b"] > 0)].reset_index(drop=True)

    def tests(self) -> dict[int, McNemar]:
        """McNemar's test per budget that has scored pairs."""
        return {int(row.budget): mcnemar_test(int(row.only_a), int(row.only_b))
                for row in self.summary.itertuples() if int(row.pairs) > 0}


def compare_runs(frame_a: pd.DataFrame, frame_b: pd.DataFrame) -> Comparison:
    """Pair the episodes of two runs (one run each, as from ``load_results``) and compare them per budget."""
    side_a, side_b = _side(frame_a, "A"), _side(frame_b, "B")
    if _run(frame_a) == _run(frame_b):
        raise ConfigError(f"both sides are run {_run(frame_a)}; compare two different runs")
    merged = side_a.merge(side_b, on=PAIR_KEY, how="outer", suffixes=("_a", "_b"), indicator=True)
    pairs = merged[merged["_merge"] == "both"].drop(columns="_merge")
    if pairs.empty:
        raise ConfigError(f"runs {_run(frame_a)} and {_run(frame_b)} share no episode (same task, budget and "
                          f"repeat): A has {_extent(side_a)}; B has {_extent(side_b)}")
    pairs = pairs.assign(success_a=pairs["status_a"].eq("success"), success_b=pairs["status_b"].eq("success"),
                         scored=pairs["status_a"].isin(SCORED) & pairs["status_b"].isin(SCORED))
    pairs = pairs.sort_values(PAIR_KEY).reset_index(drop=True)
    summary = pd.DataFrame([_budget_row(int(budget), merged[merged["budget"] == budget])
                            for budget in sorted(merged["budget"].unique())], columns=SUMMARY_COLUMNS)
    return Comparison(_run(frame_a), _run(frame_b), _label(frame_a), _label(frame_b), pairs, summary,
                      _per_task(pairs[pairs["scored"]]))


def _side(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """One run's episodes keyed for pairing; a frame of several runs, or with a key twice, cannot be paired."""
    if frame.empty:
        raise ConfigError(f"run {name} has no episodes to compare")
    runs = sorted(str(r) for r in frame["run_id"].unique())
    if len(runs) > 1:
        raise ConfigError(f"side {name} holds {len(runs)} runs ({', '.join(runs)}); compare takes one run per side")
    side = pd.DataFrame({"task": task_keys(frame), "budget": frame["budget"].astype(int),
                         "repeat": frame["repeat"].astype(int), "status": frame["status"].astype(str)})
    twice = side[side.duplicated(PAIR_KEY, keep=False)]
    if not twice.empty:
        first = twice.iloc[0]
        raise ConfigError(f"run {runs[0]} has {first['task']} at budget {first['budget']}, repeat {first['repeat']} "
                          "more than once; it cannot be paired")
    return side


def _run(frame: pd.DataFrame) -> str:
    return str(frame["run_id"].iloc[0])


def _label(frame: pd.DataFrame) -> str:
    row = labelled(frame.iloc[:1]).iloc[0]
    return str(row["agent"]) if row["model"] == NO_MODEL else f"{row['agent']} ({row['model']})"


def _extent(side: pd.DataFrame) -> str:
    """What one side covers, to say why nothing pairs."""
    return (f"{side['task'].nunique()} task(s) at budget(s) {sorted(int(b) for b in side['budget'].unique())}, "
            f"repeat(s) {sorted(int(r) for r in side['repeat'].unique())}")


def _budget_row(budget: int, merged: pd.DataFrame) -> dict[str, object]:
    """The 2x2 table of one budget's scored pairs, its rates, interval and test; unpaired episodes counted."""
    paired = merged[merged["_merge"] == "both"]
    scored = paired[paired["status_a"].isin(SCORED) & paired["status_b"].isin(SCORED)]
    a, b = scored["status_a"].eq("success"), scored["status_b"].eq("success")
    both, only_a, only_b, neither = int((a & b).sum()), int((a & ~b).sum()), int((~a & b).sum()), int((~a & ~b).sum())
    n = len(scored)
    low, high = paired_difference_interval(both, only_a, only_b, neither)
    test = mcnemar_test(only_a, only_b)
    nan = float("nan")
    p_value, method = (test.p_value, test.method) if n else (nan, "no scored pairs")
    return {"budget": budget, "pairs": n, "both": both, "only_a": only_a, "only_b": only_b, "neither": neither,
            "rate_a": (both + only_a) / n if n else nan, "rate_b": (both + only_b) / n if n else nan,
            "difference": (only_a - only_b) / n if n else nan, "ci_low": low, "ci_high": high,
            "mcnemar_p": p_value, "test": method,
            "unpaired_a": int((merged["_merge"] == "left_only").sum()),
            "unpaired_b": int((merged["_merge"] == "right_only").sum()),
            "unscored_pairs": len(paired) - n}


def _per_task(scored: pd.DataFrame) -> pd.DataFrame:
    """Per task and budget: pairs, successes on each side, discordant counts and the difference of rates."""
    if scored.empty:
        return pd.DataFrame(columns=PER_TASK_COLUMNS)
    table = scored.assign(_only_a=scored["success_a"] & ~scored["success_b"],
                          _only_b=~scored["success_a"] & scored["success_b"]).groupby(
        ["task", "budget"], as_index=False).agg(pairs=("repeat", "size"), successes_a=("success_a", "sum"),
                                                successes_b=("success_b", "sum"), only_a=("_only_a", "sum"),
                                                only_b=("_only_b", "sum"))
    for column in ("successes_a", "successes_b", "only_a", "only_b"):
        table[column] = table[column].astype(int)
    table["difference"] = (table["successes_a"] - table["successes_b"]) / table["pairs"]
    return table[PER_TASK_COLUMNS]
