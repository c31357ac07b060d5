"""Which tables a report holds, with titles that state their denominators, and the compare tables.

Kept apart from the CLI so that a notebook can build the same report the
command prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from harness.errors import ConfigError
from harness.report.compare import PAIR_KEY, Comparison
from harness.report.render import Section
from harness.report.resources import cost_table, latency_table
from harness.report.safety import injection_followed_table
from harness.report.tables import pass_k_table, status_table, success_table

REPORT_TABLES: dict[str, tuple[str, Callable[[pd.DataFrame], pd.DataFrame], str]] = {
    "success": ("success rate by domain (successes / scored episodes, Wilson 95% interval)", success_table,
                "errors: episodes not scored (see status); they are not in the denominator"),
    "pass_k": ("pass@k and pass^k over tasks (k = repeats per task, unbiased estimators)", pass_k_table,
               "tasks < k: tasks with fewer than k scored episodes, left out"),
    "latency": ("latency in seconds, p50/p95 over episodes that ran (derived: checkpoint-scored, left out)",
                latency_table, "wall: episode wall time; think/step and env/step: model (agent_think) and "
                               "environment (agent_env) time per step; env start: container start"),
    "cost": ("tokens and dollars (per episode, per success, and total paid)", cost_table,
             "checkpoint-scored records carry their usage up to the checkpoint but add nothing to the totals"),
    "status": ("episodes by status (denominators)", status_table, ""),
    "safety": ("injection followed / consequential step taken (violations among checked episodes, Wilson 95%)",
               injection_followed_table, "only episodes of safety tasks (tasks/safety) whose violation check "
                                         "decided are in the denominator; check errors are counted apart"),
}
OPTIONAL = frozenset({"safety"})  # left out of the default report when empty
EMPTY_NOTES = {"pass_k": "no run has repeats: pass@k needs runs with --repeats 2 or more",
               "safety": "no safety task in these runs"}


def report_sections(frame: pd.DataFrame, names: Sequence[str] | None = None) -> list[Section]:
    """The report's tables, all of them or those in ``names`` (keys of ``REPORT_TABLES``), in that order."""
    chosen = list(names) if names else list(REPORT_TABLES)
    unknown = [n for n in chosen if n not in REPORT_TABLES]
    if unknown:
        raise ConfigError(f"unknown table(s) {', '.join(unknown)}; choose from {', '.join(REPORT_TABLES)}")
    sections = []
    for name in chosen:
        title, build, note = REPORT_TABLES[name]
        table = build(frame)
        if table.empty and name in OPTIONAL and not names:
            continue  # e.g. no safety task in these runs: not worth a section unless asked for
        shown_note = EMPTY_NOTES.get(name, "nothing to show") if table.empty else note
        sections.append(Section(name, title, table, shown_note))
    return sections


COMPARE_TABLES = ("summary", "discordant")


def compare_sections(comparison: Comparison, names: Sequence[str] | None = None) -> list[Section]:
    """The per-budget summary (test and interval) and the tasks where the runs disagreed, or those in ``names``."""
    unknown = [n for n in names or [] if n not in COMPARE_TABLES]
    if unknown:
        raise ConfigError(f"unknown table(s) {', '.join(unknown)}; choose from {', '.join(COMPARE_TABLES)}")
    who = f"A = {comparison.run_a} ({comparison.label_a}), B = {comparison.run_b} ({comparison.label_b})"
    summary = Section("summary", "paired comparison per budget", comparison.summary,
                      f"{who}; episodes paired by ({', '.join(PAIR_KEY)}), task = domain/task_id; pairs with an "
                      "error on either side are not scored; 95% CI of A - B: Newcombe hybrid score (paired); "
                      "McNemar: exact binomial below 25 discordant pairs, else chi-square with continuity "
                      "correction")
    discordant = comparison.discordant_tasks
    tasks = Section("discordant", "discordant tasks (scored pairs where one run succeeded and the other did not)",
                    discordant, "" if not discordant.empty else "none: the runs agree on every scored pair")
    return [section for section in (summary, tasks) if not names or section.name in names]
