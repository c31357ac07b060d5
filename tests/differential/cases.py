"""A differential case, and the registry of case generators by metric.

A generator gets the metric's task uses and a scratch folder and returns
cases: inputs both implementations score.  Cases built from a task's own
rules and options are *task-derived* (``tasks`` names them) and count
towards the parity figure; edge cases (``tasks`` empty) are reported apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.differential.uses import Use


class _NoExpected:
    """OSWorld calls the metric without an expected argument (the task has no expected getter)."""

    def __repr__(self) -> str:
        return "NO_EXPECTED"


NO_EXPECTED: Any = _NoExpected()


@dataclass(frozen=True)
class Case:
    metric: str
    label: str
    result: Any
    expected: Any
    options: dict[str, Any] = field(default_factory=dict)
    tasks: tuple[str, ...] = ()

    @property
    def task_derived(self) -> bool:
        return bool(self.tasks)

    @property
    def key(self) -> str:
        return f"{self.metric}/{self.label}"


Generator = Callable[[list[Use], Path], list[Case]]
GENERATORS: dict[str, Generator] = {}


def generates(*metrics: str) -> Callable[[Generator], Generator]:
    """Register ``fn(uses, folder) -> cases`` for the metrics named."""
    def register(fn: Generator) -> Generator:
        for name in metrics:
            GENERATORS[name] = fn
        return fn
    return register


def expected_of(use: Use, value: Any) -> Any:
    """``value`` as the expected argument, or ``NO_EXPECTED`` where the task has no expected getter."""
    return value if use.has_expected else NO_EXPECTED


def from_uses(metric: str, uses: list[Use], results: list[tuple[str, Any]], expected: Callable[[Use], Any] | None = None
              ) -> list[Case]:
    """Each result value against each task's own rules and options, one case per (task, value)."""
    cases = []
    for use in uses:
        value = expected(use) if expected else use.rules
        for label, result in results:
            cases.append(Case(metric, f"{use.task[:8]}:{label}", result, expected_of(use, value), use.options,
                              (use.task,)))
    return cases


def constant(value: Any) -> Callable[[Use], Any]:
    """An ``expected`` function for ``from_uses`` that gives every task the same value (a gold file)."""
    def expected(_: Use) -> Any:
        return value
    return expected
