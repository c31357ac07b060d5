"""Build the cases, run both implementations, and format the parity table (used by the test and the benchmark)."""

from __future__ import annotations

import logging
from pathlib import Path

from harness.checkers.semantics import Semantics
from tests.differential import (  # noqa: F401  (generators register on import)
    gen_a11y,
    gen_apps,
    gen_audio,
    gen_browser,
    gen_chrome_data,
    gen_files,
    gen_misc,
    gen_odt,
    gen_pdf,
    gen_registry,
    gen_sheets,
    gen_text,
    gen_video,
)
from tests.differential.runner import Outcome, Row, build_cases, run_case, tally
from tests.differential.uses import Use, load_uses


def sweep(folder: Path, semantics: Semantics = "osworld", metrics: list[str] | None = None,
          tasks_per_metric: int | None = None, tasks: set[str] | None = None
          ) -> tuple[dict[str, list[Use]], list[Outcome]]:
    """Every case for ``metrics`` (default: all the tasks use), scored by both sides.

    ``tasks_per_metric`` keeps a slice: each metric's uses by its first N
    tasks (in index order), for a CI run shorter than the full sweep;
    ``tasks`` keeps only the uses by those tasks.
    """
    logging.disable(logging.CRITICAL)  # the reference logs every comparison it makes
    uses = load_uses()
    if tasks_per_metric is not None:
        uses = {name: [u for u in us if u.task in _first_tasks(us, tasks_per_metric)] for name, us in uses.items()}
    if tasks is not None:
        uses = {name: [u for u in us if u.task in tasks] for name, us in uses.items()}
    gen_files.register(uses)
    cases = build_cases(uses, folder, metrics)
    return uses, [run_case(c, semantics) for c in cases]


def _first_tasks(uses: list[Use], n: int) -> set[str]:
    return set(list(dict.fromkeys(u.task for u in uses))[:n])


def table(rows: list[Row]) -> str:
    head = f"{'metric':44} {'tasks':>5} {'cases':>5} {'agree':>5} {'disagr':>6} {'err ds':>6} {'err ref':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.metric:44} {r.tasks:5} {r.cases:5} {r.agree:5} {r.disagree:6} {r.ours_errors:6} "
                     f"{r.ref_errors:7}")
    cases, agree = sum(r.cases for r in rows), sum(r.agree for r in rows)
    tc, ta = sum(r.task_cases for r in rows), sum(r.task_agree for r in rows)
    covered = sum(1 for r in rows if r.cases)
    lines.append("-" * len(head))
    lines.append(f"all cases: {agree}/{cases} agree; task-derived: {ta}/{tc} agree "
                 f"({100 * ta / max(tc, 1):.2f}%); metrics with cases: {covered}/{len(rows)}")
    return "\n".join(lines)


def summary(uses: dict[str, list[Use]], outcomes: list[Outcome]) -> str:
    return table(tally(outcomes, uses))
