"""Tasks left out of a run by ``--skip-invalid``: one ``invalid`` record per planned episode, nothing started.

They stay in the run folder so the run says what it did not do; ``invalid``
is not a scored status, so no success rate counts them (the report lists
them beside the other unscored statuses).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from harness.runner.episode import EpisodeSpec
from harness.store.records import EpisodeResult
from harness.store.run_folder import RunFolder
from harness.tasks.schema import Evaluator, Task
from harness.tasks.validation import InvalidTask


def invalid_records(invalid: Sequence[InvalidTask], budgets: Sequence[int], repeats: int, agent: str,
                    run_id: str) -> list[EpisodeResult]:
    """A record per (task, budget, repeat), with the task's refusal line as the error."""
    now = datetime.now(UTC)
    records = []
    for bad in invalid:
        stand_in = Task.model_construct(id=bad.task_id, domain=bad.domain, instruction="",
                                        evaluator=Evaluator.model_construct(func="infeasible"))
        for budget in sorted(set(budgets)):
            for repeat in range(repeats):
                spec = EpisodeSpec(stand_in, budget, repeat)
                records.append(EpisodeResult(run_id=run_id, episode_id=spec.episode_id, task_id=bad.task_id,
                                             domain=bad.domain, agent=agent, budget=budget, repeat=repeat,
                                             status="invalid", error=bad.message, started_at=now, finished_at=now))
    return records


def record_invalid(folder: RunFolder, invalid: Sequence[InvalidTask], budgets: Sequence[int], repeats: int,
                   agent: str) -> list[EpisodeResult]:
    """Append the records of ``invalid`` not yet in ``folder`` (a resumed run does not add them twice)."""
    done = folder.latest()
    records = [r for r in invalid_records(invalid, budgets, repeats, agent, folder.path.name)
               if r.episode_id not in done]
    if records:
        folder.append_all(records)
    return records
