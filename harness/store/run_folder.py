"""A run folder: ``episodes.jsonl``, appended one flushed-and-synced line per finished episode.

Appending and syncing each record before the next episode is reported means a
crash or ``kill -9`` loses at most the episode that was running.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from harness.errors import DeskbenchError
from harness.store.records import EpisodeResult

EPISODES = "episodes.jsonl"


class RunFolderError(DeskbenchError):
    """The run folder cannot be written or read."""


class RunFolder:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @property
    def episodes_file(self) -> Path:
        return self.path / EPISODES

    def create(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunFolderError(f"cannot create run folder {self.path}: {exc}") from None

    def append(self, result: EpisodeResult) -> None:
        """Write one record durably (flush + fsync) before returning."""
        line = result.model_dump_json() + "\n"
        with self._lock:
            try:
                with open(self.episodes_file, "a", encoding="utf-8") as fh:
                    fh.write(line)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                raise RunFolderError(f"cannot write {self.episodes_file}: {exc}") from None

    def results(self) -> list[EpisodeResult]:
        """All records; a torn last line (killed mid-write) is ignored, any other bad line is an error."""
        if not self.episodes_file.is_file():
            return []
        lines = self.episodes_file.read_text(encoding="utf-8").split("\n")
        out = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                out.append(EpisodeResult.model_validate(json.loads(line)))
            except (ValueError, ValidationError) as exc:
                if number >= len(lines) - 1:  # the last line may be torn by a crash
                    continue
                raise RunFolderError(f"{self.episodes_file}:{number}: bad record: {exc}") from None
        return out

    def finished_ids(self) -> set[str]:
        return {r.episode_id for r in self.results()}


def load_results(*paths: Path | str) -> pd.DataFrame:
    """One DataFrame of the episodes of one or more run folders (timings and usage as flat columns)."""
    rows = [r.model_dump(mode="json") for p in paths for r in RunFolder(p).results()]
    frame = pd.json_normalize(rows) if rows else pd.DataFrame(columns=list(EpisodeResult.model_fields))
    return frame
