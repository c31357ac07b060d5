"""What the viewer shows: run folders read into episodes and steps, and where each lands in the site.

The trajectory of a record is found the way the runner named it
(``EpisodeSpec.trajectory_id``): the episode id, plus ``.aN`` for a retried
attempt N.  A prefix-sweep record at a smaller budget has no trajectory of its
own: it is a checkpoint of the episode named in ``derived_from``, so it shows
that episode's first ``steps_used`` turns.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.store.records import EpisodeResult
from harness.store.run_folder import EPISODES, RunFolder, latest_attempts
from harness.store.steps import ModelCall, StepRecord
from harness.store.trajectory import TrajectoryError, episode_folder, read_steps, trajectory_name
from harness.store.trajectory import safe_name as safe_name


@dataclass(frozen=True)
class Step:
    """One agent turn as recorded in ``steps.jsonl`` (a ``StepRecord``; fields older files lack read as empty)."""

    index: int
    screenshot: str | None
    screen: tuple[int, int] | None
    text: str
    control: str | None
    actions: list[dict[str, Any] | str]
    results: list[dict[str, Any]]
    usage: dict[str, Any]
    think_seconds: float
    env_seconds: float
    time: float | None = None
    calls: list[ModelCall] = field(default_factory=list)
    policy: list[dict[str, str]] = field(default_factory=list)
    other: dict[str, Any] = field(default_factory=dict)  # fields this viewer has no place for, shown as recorded


@dataclass(frozen=True)
class Shot:
    """A screenshot worth showing apart from the steps: what was scored, and why this picture."""

    file: str
    caption: str


@dataclass
class Episode:
    """One row of the index and one page: the counted record, its earlier attempts, its trajectory."""

    run_slug: str
    record: EpisodeResult
    earlier: list[EpisodeResult]
    trajectory: Path | None
    steps: list[Step]
    scored_screen: Shot | None
    checker: dict[str, Any]
    unreadable: str | None = None  # why steps.jsonl could not be read (its page says so; the site is still built)

    @property
    def slug(self) -> str:
        return safe_name(self.record.episode_id)

    @property
    def page(self) -> str:
        """The page's path from the site's top folder."""
        return f"runs/{self.run_slug}/{self.slug}.html"

    @property
    def shots(self) -> str:
        """The folder (from the top) that holds this trajectory's screenshots; shared by derived records."""
        return f"runs/{self.run_slug}/shots/{self.trajectory.name}" if self.trajectory else ""

    @property
    def agent_label(self) -> str:
        """The agent with its model, as the index filters by it: two models of one agent are two agents."""
        model = self.record.model
        return f"{self.record.agent} ({model})" if model else self.record.agent


@dataclass
class Run:
    path: Path
    slug: str
    run_id: str
    episodes: list[Episode] = field(default_factory=list)


def load_runs(paths: list[Path]) -> list[Run]:
    """Every run folder, checked; each gets a distinct slug (folder names may repeat across parents)."""
    used: set[str] = set()
    return [load_run(path, _unique(safe_name(path.resolve().name), used)) for path in paths]


def _unique(name: str, used: set[str]) -> str:
    slug, n = name, 2
    while slug in used:
        slug, n = f"{name}-{n}", n + 1
    used.add(slug)
    return slug


def load_run(path: Path, slug: str) -> Run:
    """One run folder's episodes (last attempt of each), in a stable order; ConfigError if it is not a run."""
    records = _records(path)
    attempts: dict[str, list[EpisodeResult]] = {}
    for r in records:
        attempts.setdefault(r.episode_id, []).append(r)
    counted = sorted(latest_attempts(records).values(),
                     key=lambda r: (r.domain, r.task_id, r.budget, r.repeat, r.episode_id))
    run = Run(path, slug, counted[0].run_id)
    run.episodes = [_episode(path, slug, r, [a for a in attempts[r.episode_id] if a is not r]) for r in counted]
    return run


def _records(path: Path) -> list[EpisodeResult]:
    if not path.is_dir():
        raise ConfigError(f"not a run folder: {path} (no such folder)")
    if not (path / EPISODES).is_file():
        raise ConfigError(f"not a run folder: {path} (no {EPISODES})")
    records = RunFolder(path).results()
    if not records:
        raise ConfigError(f"run folder {path} has no finished episodes yet")
    return records


def trajectory_id(record: EpisodeResult) -> str:
    """The folder name the runner wrote this record's turns under (see ``EpisodeSpec.trajectory_id``)."""
    return trajectory_name(record.derived_from or record.episode_id, record.attempt)


def _episode(path: Path, slug: str, record: EpisodeResult, earlier: list[EpisodeResult]) -> Episode:
    folder = episode_folder(path, trajectory_id(record))
    if not folder.is_dir():
        return Episode(slug, record, earlier, None, [], None, record.checker)
    try:
        records = read_steps(folder)
    except TrajectoryError as exc:  # one damaged file is shown on its own page, not a reason to show no run
        episode = _with_steps(slug, record, earlier, folder, [])
        episode.unreadable = str(exc)
        return episode
    return _with_steps(slug, record, earlier, folder, [_kept(folder, _step(n, raw)) for n, raw in enumerate(records)])


def _with_steps(slug: str, record: EpisodeResult, earlier: list[EpisodeResult], folder: Path,
                steps: list[Step]) -> Episode:
    if record.derived_from is None:
        final = _final_image(folder)
        shot = Shot(final, "the screen that was scored") if final else None
        return Episode(slug, record, earlier, folder, steps, shot, _checker(folder, record))
    return _derived(slug, record, earlier, folder, steps)


def _derived(slug: str, record: EpisodeResult, earlier: list[EpisodeResult], folder: Path,
             steps: list[Step]) -> Episode:
    """A checkpoint shows the turns up to it; one past the main episode's end is the main episode entirely."""
    if record.steps_used >= len(steps):
        final = _final_image(folder)
        shot = Shot(final, f"the screen that was scored (end of {record.derived_from})") if final else None
        return Episode(slug, record, earlier, folder, steps, shot, record.checker)
    after = steps[record.steps_used].screenshot
    shot = Shot(after, f"the screen after turn {record.steps_used}, when the checkpoint was scored "
                       f"(the next screenshot of {record.derived_from})") if after else None
    return Episode(slug, record, earlier, folder, steps[:record.steps_used], shot, record.checker)


def _kept(folder: Path, step: Step) -> Step:
    """A screenshot named in ``steps.jsonl`` but gone from disk (deleted to save space) shows as not kept."""
    if step.screenshot is None or (folder / step.screenshot).is_file():
        return step
    return replace(step, screenshot=None)


def _final_image(folder: Path) -> str | None:
    return next((p.name for p in sorted(folder.glob("final.*")) if p.is_file()), None)


def _checker(folder: Path, record: EpisodeResult) -> dict[str, Any]:
    """``checker.json`` (the verdict as the evaluator wrote it), else what the record kept of it."""
    try:
        value = json.loads((folder / "checker.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return record.checker
    return value if isinstance(value, dict) else record.checker


def _step(position: int, raw: StepRecord) -> Step:
    return Step(
        index=raw.step if raw.step >= 0 else position,
        screenshot=_file_name(raw.screenshot),
        screen=raw.screen if raw.screen and min(raw.screen) > 0 else None,
        text=raw.text,
        control=raw.control or None,
        actions=raw.actions,
        results=[r.model_dump() for r in raw.results],
        usage=raw.usage.model_dump(),
        think_seconds=raw.think_seconds,
        env_seconds=raw.env_seconds,
        time=raw.time,
        calls=raw.calls,
        policy=raw.policy,
        other=dict(raw.model_extra or {}),
    )


def _file_name(value: Any) -> str | None:
    """A screenshot named in the file must be a plain name in the trajectory folder, never a path out of it."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9._-]+", value) or value.startswith("."):
        return None
    return value
