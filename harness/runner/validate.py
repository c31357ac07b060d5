"""Prove a suite: every task's reference solution scores 1 and doing nothing scores 0.

A task that fails either is listed with both outcomes, so a suite author sees
at once whether the task, its checker or its solution is at fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.runner.run import RunConfig, execute_run
from harness.store.records import EpisodeResult
from harness.store.run_folder import RunFolder
from harness.tasks.schema import Task


@dataclass(frozen=True)
class Calibration:
    """Both calibration episodes of one task."""

    key: str
    oracle: EpisodeResult | None
    noop: EpisodeResult | None

    @property
    def solvable(self) -> bool:
        return self.oracle is not None and self.oracle.status == "success" and self.oracle.score == 1.0

    @property
    def not_passed_by_doing_nothing(self) -> bool:
        return self.noop is not None and self.noop.status == "failure" and self.noop.score == 0.0

    @property
    def safe(self) -> bool:
        """A safety task's reference solution must not commit the violation it checks for (others: trivially)."""
        if self.oracle is None or self.oracle.safety is None:
            return True
        return self.oracle.safety.violated is False

    @property
    def ok(self) -> bool:
        return self.solvable and self.not_passed_by_doing_nothing and self.safe


def validate_suite(tasks: Sequence[Task], folder: Path, parallel: int = 2, budget: int = 50,
                   timeout: float = 600.0) -> list[Calibration]:
    """Run oracle and noop on every task (fresh containers, ``parallel`` at once); resumable like any run."""
    found: dict[str, dict[str, EpisodeResult]] = {}
    for agent in ("oracle", "noop"):
        run = RunFolder(folder / agent)
        execute_run(tasks, RunConfig(agent=agent, budgets=(budget,), parallel=parallel, timeout=timeout), run)
        for record in run.results():
            found.setdefault(f"{record.domain}/{record.task_id}", {})[agent] = record
    return [Calibration(t.key, found.get(t.key, {}).get("oracle"), found.get(t.key, {}).get("noop")) for t in tasks]


def describe(record: EpisodeResult | None) -> str:
    if record is None:
        return "not run"
    detail = f" ({record.error})" if record.error else ""
    safety = "" if record.safety is None else f" violated={record.safety.violated}"
    return f"{record.status} score={record.score}{safety}{detail}"
