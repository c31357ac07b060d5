"""Score each case with deskbench and with the reference, and tally agreement per metric.

A crash is a score of 0 on that side (OSWorld's runs count an evaluator that
raises as a failed task) and is counted in the error columns; deskbench's
``CheckerError`` carries the reason.  Two scores agree when they differ by
less than 1e-6.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import harness.checkers.metrics  # noqa: F401  (registers deskbench's metrics)
from harness.checkers.evaluate import score_metric
from harness.checkers.semantics import Semantics
from tests.differential.cases import GENERATORS, NO_EXPECTED, Case
from tests.differential.reference import reference_metric
from tests.differential.uses import Use


@dataclass(frozen=True)
class Outcome:
    case: Case
    ours: float
    ours_error: str | None
    ref: float
    ref_error: str | None

    @property
    def agree(self) -> bool:
        return math.isclose(self.ours, self.ref, abs_tol=1e-6)


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def run_ours(case: Case, semantics: Semantics) -> tuple[float, str | None]:
    expected = None if case.expected is NO_EXPECTED else case.expected
    try:
        return score_metric(case.metric, case.result, expected, case.options, semantics), None
    except Exception as exc:
        return 0.0, _short(exc)


def run_reference(case: Case) -> tuple[float, str | None]:
    try:
        fn = reference_metric(case.metric)
    except KeyError:
        return 0.0, "the reference has no such metric"
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the reference prints its comparisons
            if case.expected is NO_EXPECTED:
                value: Any = fn(case.result, **case.options)
            else:
                value = fn(case.result, case.expected, **case.options)
        return float(value), None
    except Exception as exc:
        return 0.0, _short(exc)


def run_case(case: Case, semantics: Semantics) -> Outcome:
    ours, ours_error = run_ours(case, semantics)
    ref, ref_error = run_reference(case)
    return Outcome(case, ours, ours_error, ref, ref_error)


def build_cases(uses: dict[str, list[Use]], folder: Path, metrics: Iterable[str] | None = None) -> list[Case]:
    """Every generator's cases for the metrics named (all metrics the tasks use by default)."""
    cases: list[Case] = []
    for name in sorted(metrics if metrics is not None else uses):
        generator = GENERATORS.get(name)
        if generator is None:
            continue
        sub = folder / name
        sub.mkdir(parents=True, exist_ok=True)
        cases.extend(generator(uses.get(name, []), sub))
    return cases


@dataclass
class Row:
    metric: str
    tasks: int
    cases: int = 0
    agree: int = 0
    disagree: int = 0
    ours_errors: int = 0
    ref_errors: int = 0
    task_cases: int = 0
    task_agree: int = 0


def tally(outcomes: list[Outcome], uses: dict[str, list[Use]]) -> list[Row]:
    """One row per metric the tasks use (a metric without cases shows 0 cases: never dropped)."""
    rows: dict[str, Row] = {name: Row(name, len({u.task for u in us})) for name, us in uses.items()}
    for o in outcomes:
        row = rows.setdefault(o.case.metric, Row(o.case.metric, 0))
        row.cases += 1
        row.agree += o.agree
        row.disagree += not o.agree
        row.ours_errors += o.ours_error is not None
        row.ref_errors += o.ref_error is not None
        if o.case.task_derived:
            row.task_cases += 1
            row.task_agree += o.agree
    return sorted(rows.values(), key=lambda r: (-r.tasks, r.metric))


def by_metric(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    grouped: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        grouped[o.case.metric].append(o)
    return grouped
