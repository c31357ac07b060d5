"""Run only the setup of tasks, each in a fresh container of its image, and report what failed.

The static report (:mod:`harness.tasks.compat`) says which tasks *should*
run offline; this proves it: every config step runs for real, and a step
that raises is reported with the task and the step's own message.  No agent
acts and nothing is scored.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness.errors import DeskbenchError
from harness.sandbox import start_sandbox
from harness.setup import SetupContext, run_steps
from harness.tasks.images import image_for_task, runs_privileged
from harness.tasks.schema import Task

SETUP_CHECK_RUN = "setup-check"


@dataclass
class SetupOutcome:
    """One task's setup: the image it ran in, how long it took, and the error if a step failed."""

    key: str
    image: str
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def check_setup(task: Task, run_id: str = SETUP_CHECK_RUN) -> SetupOutcome:
    """Start the task's image, run its config steps, stop; errors become the outcome, never raise."""
    image = image_for_task(task)
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="deskbench-setup-") as cache, \
                start_sandbox(image, labels={"deskbench.run": run_id, "deskbench.episode": task.key},
                              privileged_user=runs_privileged(task)) as box:
            run_steps(SetupContext(box.guest, task, Path(cache)), task.config)
    except DeskbenchError as exc:
        return SetupOutcome(task.key, image, time.monotonic() - started, str(exc))
    except Exception as exc:  # engine errors from the Docker SDK: still this task's outcome
        return SetupOutcome(task.key, image, time.monotonic() - started, f"{type(exc).__name__}: {exc}")
    return SetupOutcome(task.key, image, time.monotonic() - started)


def check_setups(tasks: Iterable[Task], parallel: int = 2, progress: Callable[[SetupOutcome], None] | None = None,
                 run_id: str = SETUP_CHECK_RUN) -> list[SetupOutcome]:
    """Check every task's setup, ``parallel`` containers at once, in the tasks' order."""
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = [pool.submit(check_setup, t, run_id) for t in tasks]
        outcomes = []
        for f in futures:
            outcomes.append(f.result())
            if progress is not None:
                progress(outcomes[-1])
    return outcomes
