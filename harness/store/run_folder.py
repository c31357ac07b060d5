"""A run folder: ``episodes.jsonl`` (append-only, the truth), ``manifest.json``, ``results.parquet``, trajectories.

Each finished episode (each *attempt*, when infrastructure errors are retried)
is one JSON line.  The lines of one episode are written with a single
``write`` and synced before the episode is reported, so a crash or ``kill -9``
loses at most the episodes that were running and never half of one.  A line
torn by a power cut is cut off before the next append, so it cannot corrupt
the line written after it.  ``results.parquet`` is a consolidated copy for
fast loading, rebuilt from the JSON lines at the end of a run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from harness.errors import DeskbenchError
from harness.store.records import EpisodeResult
from harness.store.versions import NewerRecordError

EPISODES = "episodes.jsonl"
PARQUET = "results.parquet"
LOCK = ".lock"


class RunFolderError(DeskbenchError):
    """The run folder cannot be written or read."""


class RunFolder:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @property
    def episodes_file(self) -> Path:
        return self.path / EPISODES

    @property
    def parquet_file(self) -> Path:
        return self.path / PARQUET

    def create(self) -> None:
        """Make the folder, and cut a torn last line so the next append starts on a line of its own."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._repair_tail()
        except OSError as exc:
            raise RunFolderError(f"cannot create run folder {self.path}: {exc}") from None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for one process: two runs appending to one folder would run episodes twice.

        The lock is the kernel's (``flock``), so a killed process releases it.
        The lock file is held open for reading only: ``flock`` needs no more,
        and a file held open for writing for the whole run would keep its
        filesystem from being remounted read-only (an administrator's or a
        failing disk's remount should make appends fail with a clear error, not
        be refused).
        """
        try:
            fd = os.open(self.path / LOCK, os.O_RDONLY | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RunFolderError(f"cannot open {self.path / LOCK}: {exc}") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RunFolderError(f"run folder {self.path} is in use by another deskbench process") from None
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _repair_tail(self) -> None:
        if not self.episodes_file.is_file():
            return
        data = self.episodes_file.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(self.episodes_file, "r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)
                os.fsync(fh.fileno())

    def append(self, result: EpisodeResult) -> None:
        """Write one record durably (flush + fsync) before returning."""
        self.append_all([result])

    def append_all(self, results: Sequence[EpisodeResult]) -> None:
        """Write several records as one ``write`` (all or none survive a kill), synced before returning."""
        data = "".join(r.model_dump_json() + "\n" for r in results)
        with self._lock:
            try:
                with open(self.episodes_file, "a", encoding="utf-8") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                raise RunFolderError(f"cannot write {self.episodes_file}: {exc}") from None

    def results(self) -> list[EpisodeResult]:
        """All records, every attempt; a torn last line (killed mid-write) is ignored, any other bad line is an error."""
        if not self.episodes_file.is_file():
            return []
        lines = self.episodes_file.read_text(encoding="utf-8").split("\n")
        out = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                out.append(EpisodeResult.model_validate(json.loads(line)))
            except NewerRecordError as exc:
                raise NewerRecordError(f"{self.episodes_file}:{number}: {exc}") from None
            except (ValueError, ValidationError) as exc:
                if number >= len(lines) - 1:  # the last line may be torn by a crash
                    continue
                raise RunFolderError(f"{self.episodes_file}:{number}: bad record: {exc}") from None
        return out

    def latest(self) -> dict[str, EpisodeResult]:
        """The counted record of each episode: its last attempt."""
        return latest_attempts(self.results())

    def finished_ids(self) -> set[str]:
        """Episodes that need no further attempt (a recorded attempt that is not going to be retried)."""
        return {key for key, r in self.latest().items() if not r.will_retry}

    def consolidate(self) -> Path:
        """Write ``results.parquet`` from the JSON lines (one row per attempt, nested values as JSON text)."""
        frame = _frame([r.model_dump(mode="json") for r in self.results()])
        try:
            frame.assign(**{c: frame[c].map(_json_cell) for c in _nested_columns(frame)}).to_parquet(
                self.parquet_file, index=False)
        except OSError as exc:
            raise RunFolderError(f"cannot write {self.parquet_file}: {exc}") from None
        return self.parquet_file


def latest_attempts(records: Iterable[EpisodeResult]) -> dict[str, EpisodeResult]:
    """Per episode id, the record with the highest attempt (the later line wins a tie)."""
    out: dict[str, EpisodeResult] = {}
    for record in records:
        seen = out.get(record.episode_id)
        if seen is None or record.attempt >= seen.attempt:
            out[record.episode_id] = record
    return out


def load_results(*paths: Path | str, all_attempts: bool = False) -> pd.DataFrame:
    """One DataFrame of the episodes of one or more run folders (timings and usage as flat columns).

    One row per episode -- its last attempt, which is the one that counts --
    with ``attempts`` saying how many there were; ``all_attempts=True`` gives
    one row per attempt instead, for auditing retries.
    """
    rows: list[dict[str, Any]] = []
    for path in paths:
        records = RunFolder(path).results()
        counts: dict[str, int] = {}
        for r in records:
            counts[r.episode_id] = counts.get(r.episode_id, 0) + 1
        chosen = records if all_attempts else list(latest_attempts(records).values())
        rows.extend({**r.model_dump(mode="json"), "attempts": counts[r.episode_id]} for r in chosen)
    return _frame(rows)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=[*EpisodeResult.model_fields, "attempts"])
    return pd.json_normalize(rows)


def _nested_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if frame[c].map(lambda v: isinstance(v, (list, dict))).any()]


def _json_cell(value: Any) -> Any:
    return json.dumps(value, default=str) if isinstance(value, (list, dict)) else value


def folder_lock_holder(path: Path) -> str | None:
    """Who holds the lock of run folder ``path`` now (a process id, or ``a live process``); None when nobody.

    Asked without disturbing the holder: a shared, non-blocking ``flock`` on a
    fresh descriptor fails exactly while a run holds its exclusive lock, and
    is released at once.  The holder's process id comes from ``/proc/locks``
    when the kernel lists it there.
    """
    try:
        fd = os.open(path / LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None  # no lock file (never run) or no folder: nobody holds it
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _lock_pid(os.fstat(fd)) or "a live process"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _lock_pid(info: os.stat_result) -> str | None:
    """The process id ``/proc/locks`` names for a flock on the file ``info`` describes."""
    wanted = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted:
            return fields[4]
    return None
