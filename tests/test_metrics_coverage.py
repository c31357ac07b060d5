"""How much of OSWorld's public task set deskbench can score: every metric a task names must be registered."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from harness.checkers import METRICS
from harness.tasks import load_tasks

SHARED = Path(__file__).resolve().parents[2] / "shared"
INDEX = SHARED / "osworld" / "test_all.json"


@pytest.mark.skipif(not INDEX.is_file(), reason="shared/osworld is not beside the repository")
def test_most_osworld_tasks_have_all_their_metrics() -> None:
    tasks = load_tasks(INDEX)
    assert len(tasks) == 369
    covered = 0
    missing: Counter[str] = Counter()
    for task in tasks:
        needed = set(task.evaluator.funcs) - {"infeasible"}  # the evaluator itself scores infeasible tasks
        absent = needed - METRICS.keys()
        covered += not absent
        missing.update(absent)
    share = covered / len(tasks)
    report = ", ".join(f"{name} ({n} tasks)" for name, n in missing.most_common())
    print(f"\n{covered}/{len(tasks)} OSWorld tasks ({share:.1%}) have every metric; unimplemented: {report}")
    assert share >= 0.80, f"only {covered}/{len(tasks)} tasks have all metrics; unimplemented, most used first: {report}"
