"""One episode's trajectory on disk: ``steps.jsonl``, screenshots, the final screen, the checker's output.

Layout under the run folder::

    episodes/<episode_id>/steps.jsonl      one JSON object per agent turn
    episodes/<episode_id>/step-0003.png    the screen the agent saw at step 3 (optional)
    episodes/<episode_id>/final.png        the screen that was scored
    episodes/<episode_id>/checker.json     the evaluator's verdict and metric outcomes

Screenshots are written as the guest encoded them (PNG, already compressed)
and can be turned off; logs never embed image bytes.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.actions.vocabulary import action_to_dict
from harness.agents.base import Turn
from harness.sandbox.guest import Screenshot
from harness.tools.result import ToolResult

TRAJECTORY_VERSION = 1
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def episode_folder(run_dir: Path, episode_id: str) -> Path:
    return run_dir / "episodes" / re.sub(r"[^A-Za-z0-9._-]", "_", episode_id)


@dataclass
class TrajectoryWriter:
    """Appends steps as they happen, so a crash keeps every finished step."""

    folder: Path
    screenshots: bool = True

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "steps.jsonl").write_text("")

    def _image(self, name: str, shot: Screenshot | None, always: bool = False) -> str | None:
        if shot is None or not (self.screenshots or always):
            return None
        file = f"{name}.{EXTENSIONS.get(shot.media_type, 'png')}"
        (self.folder / file).write_bytes(shot.data)
        return file

    def step(self, index: int, seen: Screenshot, turn: Turn, results: list[ToolResult], think_s: float,
             env_s: float, extra: dict[str, Any] | None = None) -> None:
        """Record one turn: what the agent saw, what it did, what came back, what it cost."""
        record = {
            "version": TRAJECTORY_VERSION,
            "step": index,
            "time": time.time(),
            "screenshot": self._image(f"step-{index:04d}", seen),
            "screen": [seen.width, seen.height],
            "text": turn.text,
            "control": turn.control,
            "actions": [action_to_dict(a) for a in turn.actions],
            # a result's screenshot is the next step's observation: saved once, there
            "results": [{"output": r.output, "error": r.error, "screenshot": r.screenshot is not None}
                        for r in results],
            "usage": turn.usage.__dict__,
            "calls": turn.calls,  # per model call: request id, latency, retries and their waits, stop reason, usage
            "think_seconds": think_s,
            "env_seconds": env_s,
            **(extra or {}),
        }
        with open(self.folder / "steps.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")

    def final(self, shot: Screenshot | None, checker: dict[str, Any]) -> None:
        """The screen that was scored (kept even with step screenshots off) and the checker's verdict."""
        self._image("final", shot, always=True)
        (self.folder / "checker.json").write_text(json.dumps(checker, indent=1, default=str))


def read_steps(folder: Path) -> list[dict[str, Any]]:
    """The recorded steps of one episode (a torn last line from a crash is skipped)."""
    out = []
    for line in (folder / "steps.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
