"""Episodes of run folders as files other tools read: Parquet, and a Hugging Face ``datasets.Dataset``.

One row per episode (its counted attempt; ``all_attempts`` for every
attempt), with the same flat columns as ``load_results``; or, with ``rows``,
one row per agent turn (``load_steps``) or per model call (``load_calls``).  Values that are
lists or dicts (checkpoints, checker outcomes) become JSON text, because
their shapes differ between tasks and a columnar file wants one type per
column; the times become UTC timestamps.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from harness.errors import ConfigError
from harness.report.runs import check_run_folder, load_runs
from harness.store.step_frames import load_calls, load_steps

if TYPE_CHECKING:
    from datasets import Dataset

TIME_COLUMNS = ("started_at", "finished_at")
Paths = Path | str | Sequence[Path | str]
Rows = Literal["episodes", "steps", "calls"]


def _as_list(paths: Paths) -> list[Path | str]:
    return [paths] if isinstance(paths, (str, Path)) else list(paths)


def export_frame(paths: Paths, all_attempts: bool = False, rows: Rows = "episodes") -> pd.DataFrame:
    """The episodes (or turns, or model calls) of the run folders at ``paths``, one plain type per column."""
    frame = _rows(_as_list(paths), all_attempts, rows)
    out = frame.assign(**{c: frame[c].map(_json_cell) for c in frame.columns if _has_nested(frame[c])})
    for column in TIME_COLUMNS:
        if column in out:
            out[column] = pd.to_datetime(out[column], utc=True, format="ISO8601")
    return out


def _rows(paths: list[Path | str], all_attempts: bool, rows: Rows) -> pd.DataFrame:
    if rows == "episodes":
        return load_runs(paths, all_attempts=all_attempts)
    if not paths:
        raise ConfigError("no run folder given")
    folders = [check_run_folder(path) for path in paths]
    load = load_steps if rows == "steps" else load_calls
    return load(*folders, all_attempts=all_attempts)


def _has_nested(column: pd.Series) -> bool:
    return bool(column.map(lambda v: isinstance(v, (list, dict))).any())


def _json_cell(value: Any) -> Any:
    """Lists and dicts as JSON text; a missing value stays missing rather than becoming the text 'null'."""
    return json.dumps(value, default=str, sort_keys=True) if isinstance(value, (list, dict)) else value


def write_parquet(paths: Paths, out: Path | str, all_attempts: bool = False, rows: Rows = "episodes") -> Path:
    """Write the episodes (or ``rows``) to the Parquet file ``out`` (its folder is made); returns the file."""
    target = Path(out)
    if target.is_dir():
        raise ConfigError(f"--out {target} is a folder; give a file name such as {target / 'episodes.parquet'}")
    target.parent.mkdir(parents=True, exist_ok=True)
    export_frame(paths, all_attempts, rows).to_parquet(target, index=False)
    return target


def to_dataset(paths: Paths, all_attempts: bool = False, rows: Rows = "episodes") -> Dataset:
    """The episodes (or ``rows``) of the run folders at ``paths`` as a ``datasets.Dataset``."""
    from datasets import Dataset

    return Dataset.from_pandas(export_frame(paths, all_attempts, rows), preserve_index=False)


def save_dataset(dataset: Dataset, out: Path | str) -> Path:
    """``save_to_disk`` into the folder ``out``, which must not hold anything else (it would be replaced)."""
    target = Path(out)
    if target.is_file() or (target.is_dir() and any(target.iterdir())):
        raise ConfigError(f"--out {target} already exists and is not empty; give a new folder for the dataset")
    dataset.save_to_disk(str(target))
    return target


def push_dataset(dataset: Dataset, repo_id: str, private: bool = True) -> str:
    """Upload to the Hub as ``repo_id`` (private by default); a clear error without a token or a network.

    The check runs before the upload so that a missing login is reported as
    such, not as an HTTP error from the middle of an upload.  Failures of the
    Hub or the network are expected at this boundary, so any of them becomes
    a ``ConfigError`` naming the repository.
    """
    token = hub_token()
    from huggingface_hub import HfApi

    try:
        HfApi().whoami(token=token)
        dataset.push_to_hub(repo_id, token=token, private=private)
    except Exception as exc:  # network, authentication, permissions: all reported the same way
        raise ConfigError(f"could not push the dataset to the Hugging Face Hub as {repo_id}: "
                          f"{type(exc).__name__}: {exc}") from None
    return f"https://huggingface.co/datasets/{repo_id}"


def hub_token() -> str:
    """The Hugging Face token (``HF_TOKEN`` or a saved login); ``ConfigError`` when offline or logged out."""
    from huggingface_hub import get_token

    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise ConfigError("cannot push: HF_HUB_OFFLINE is set (no network access to the Hugging Face Hub)")
    token = get_token()
    if not token:
        raise ConfigError("cannot push: no Hugging Face token (set HF_TOKEN, or log in with `hf auth login`)")
    return token
