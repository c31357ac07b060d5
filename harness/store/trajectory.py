"""One episode's trajectory on disk: ``steps.jsonl``, screenshots, the final screen, the checker's output.

Layout under the run folder::

    episodes/<trajectory>/steps.jsonl      one StepRecord (JSON) per agent turn
    episodes/<trajectory>/step-0003.png    the screen the agent saw at step 3 (optional)
    episodes/<trajectory>/final.png        the screen that was scored
    episodes/<trajectory>/checker.json     the evaluator's verdict and metric outcomes

``<trajectory>`` is the episode id, plus ``.aN`` for a retried attempt N
(``trajectory_name``): the runner, the viewer and rescore all find the
folder through this module, so the rule lives in one place.

Screenshots are written as the guest encoded them (PNG, already compressed)
and can be turned off; logs never embed image bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.errors import DeskbenchError
from harness.store.steps import StepRecord
from harness.store.values import Screenshot
from harness.store.versions import NewerRecordError

STEPS = "steps.jsonl"
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class TrajectoryError(DeskbenchError):
    """A ``steps.jsonl`` line that is not a step record (other than a last line torn by a crash)."""


def trajectory_name(episode_id: str, attempt: int) -> str:
    """The trajectory folder's name of an attempt: a retry keeps the earlier attempts' folders."""
    return episode_id if attempt == 0 else f"{episode_id}.a{attempt}"


def episode_folder(run_dir: Path, trajectory: str) -> Path:
    """The folder of ``trajectory`` (see ``trajectory_name``) in a run folder, its name made file-safe."""
    return run_dir / "episodes" / safe_name(trajectory)


def safe_name(text: str) -> str:
    """``text`` with every character other than letters, digits, ``.``, ``_`` and ``-`` replaced by ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


@dataclass
class TrajectoryWriter:
    """Appends steps as they happen, so a crash keeps every finished step."""

    folder: Path
    screenshots: bool = True

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / STEPS).write_text("")

    def _image(self, name: str, shot: Screenshot | None, always: bool = False) -> str | None:
        if shot is None or not (self.screenshots or always):
            return None
        file = f"{name}.{EXTENSIONS.get(shot.media_type, 'png')}"
        (self.folder / file).write_bytes(shot.data)
        return file

    def step(self, record: StepRecord, seen: Screenshot) -> None:
        """Append one turn, with the screen the agent saw (saved as its screenshot when screenshots are on)."""
        record = record.model_copy(update={"screenshot": self._image(f"step-{record.step:04d}", seen),
                                           "screen": (seen.width, seen.height)})
        with open(self.folder / STEPS, "a", encoding="utf-8") as fh:
            fh.write(record.model_dump_json() + "\n")

    def final(self, shot: Screenshot | None, checker: dict[str, Any]) -> None:
        """The screen that was scored (kept even with step screenshots off) and the checker's verdict."""
        self._image("final", shot, always=True)
        (self.folder / "checker.json").write_text(json.dumps(checker, indent=1, default=str))


def read_steps(folder: Path) -> list[StepRecord]:
    """The recorded steps of one episode ([] without a ``steps.jsonl``); a torn last line from a crash is skipped.

    Any other line that is not a step record is a ``TrajectoryError``, and a
    record of a newer version a ``NewerRecordError``, each naming file and line.
    """
    file = folder / STEPS
    if not file.is_file():
        return []
    lines = file.read_text(encoding="utf-8").split("\n")
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except ValueError:
            if number >= len(lines) - 1:  # the last line may be torn by a crash
                continue
            raise TrajectoryError(f"{file}:{number}: not a JSON line") from None
        try:
            out.append(StepRecord.model_validate(raw))
        except NewerRecordError as exc:
            raise NewerRecordError(f"{file}:{number}: {exc}") from None
        except ValidationError as exc:
            raise TrajectoryError(f"{file}:{number}: not a step record: {_first_error(exc)}") from None
    return out


def _first_error(exc: ValidationError) -> str:
    """The first problem pydantic found, as ``field.path: message`` (one line, however many there were)."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "(record)"
    return f"{where}: {error['msg']}"
