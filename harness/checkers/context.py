"""What a getter may use: the desktop's guest, the task, and a local folder for copied files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.checkers.semantics import Semantics
from harness.sandbox.guest import GuestClient
from harness.tasks.schema import Task


@dataclass
class EvalContext:
    guest: GuestClient
    task: Task
    cache_dir: Path
    last_control: str | None = None  # "DONE" / "FAIL" / None: how the agent ended, for ``infeasible``
    semantics: Semantics | None = None  # checker semantics for this evaluation; None: the one in force (the run's)
