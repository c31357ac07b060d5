"""Trajectories of run folders as DataFrames: one row per agent turn, or one row per model call.

``load_results`` answers "how did each episode end"; these answer "where did
the time, the tokens and the retries go inside episodes" -- per turn, and per
model request with every field the agent recorded (a provider's own fields
become columns too).  Each row carries the episode's keys so it joins back
to ``load_results``.  A prefix sweep's smaller budgets share their main
episode's trajectory, so only episodes that ran have rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from harness.store.records import EpisodeResult
from harness.store.run_folder import RunFolder, latest_attempts
from harness.store.steps import StepRecord
from harness.store.trajectory import episode_folder, read_steps, trajectory_name

KEYS = ("run_id", "episode_id", "task_id", "domain", "agent", "model", "budget", "repeat", "attempt")


def load_steps(*paths: Path | str, all_attempts: bool = False) -> pd.DataFrame:
    """One row per recorded turn of the run folders' episodes (their counted attempts; ``all_attempts``: every one).

    Usage becomes ``usage.*`` columns; ``calls`` is the number of model calls
    of the turn (``load_calls`` has them one per row); lists stay lists.
    """
    rows = [{**_keys(record), **_step_row(step)} for path in paths
            for record, steps in _trajectories(Path(path), all_attempts) for step in steps]
    return pd.json_normalize(rows, max_level=1) if rows else pd.DataFrame(columns=[*KEYS, "step"])


def load_calls(*paths: Path | str, all_attempts: bool = False) -> pd.DataFrame:
    """One row per model call of the run folders' episodes, every recorded field a column, with the turn's ``step``."""
    rows = [{**_keys(record), **call.model_dump(mode="json"), "step": step.step}
            for path in paths for record, steps in _trajectories(Path(path), all_attempts)
            for step in steps for call in step.calls]
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=[*KEYS, "step", "request_id"])


def _trajectories(path: Path, all_attempts: bool) -> list[tuple[EpisodeResult, list[StepRecord]]]:
    records = RunFolder(path).results()
    chosen = records if all_attempts else list(latest_attempts(records).values())
    return [(r, read_steps(episode_folder(path, trajectory_name(r.episode_id, r.attempt))))
            for r in chosen if r.derived_from is None]


def _keys(record: EpisodeResult) -> dict[str, Any]:
    return {key: getattr(record, key) for key in KEYS}


def _step_row(step: StepRecord) -> dict[str, Any]:
    row = step.model_dump(mode="json", exclude={"calls"})
    row["calls"] = len(step.calls)
    return row
