"""Score a finished run again without re-running its agent: ``deskbench rescore``.

At the end of each scored episode ``keep_snapshot`` archives the desktop's
writable places (home, /tmp, /var/tmp: the only places it can write, so the
whole changed part of its file system) after postconfig and the checkers ran.
A rescore restores each archive into a fresh container of the same image id
and runs the evaluator again, without postconfig: postconfig already ran
before the snapshot (an episode whose checker failed keeps its state too,
so that a fixed checker can score it), and running it twice (a second "save" keystroke, a
relaunched app) would score another state than the one recorded.  Getters
that read live application state (the accessibility tree, browser tabs over
DevTools, window geometry, a player's status, a terminal's text) cannot see it
in restored files: such episodes keep their original score and are named.
The original records are never touched: the new view goes to its own folder.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import docker.errors

from harness.checkers import EvalContext, Verdict, evaluate
from harness.checkers.limits import metric_deadline
from harness.checkers.semantics import Semantics, parse_semantics
from harness.errors import CheckerError, DeskbenchError
from harness.sandbox.container import Sandbox, start_sandbox
from harness.sandbox.engine import docker_client
from harness.sandbox.ownership import owned_folder_prefix
from harness.store.manifest import read_manifest as read_run_manifest
from harness.store.manifest import suite_hash
from harness.store.records import RECORD_VERSION, EpisodeResult
from harness.store.run_folder import RunFolder
from harness.store.snapshot import (
    DEFAULT_CAP,
    SNAPSHOT_PATHS,
    SnapshotError,
    SnapshotManifest,
    read_archive,
    read_manifest,
    write_snapshot,
)
from harness.store.trajectory import episode_folder, trajectory_name
from harness.tasks.images import runs_privileged
from harness.tasks.schema import Getter, Task

logger = logging.getLogger(__name__)

#: getters whose value lives in running applications, not in files: a restored file system cannot give it
LIVE_GETTERS: frozenset[str] = frozenset({
    "accessibility_tree", "active_url_from_accessTree", "active_tab_info", "active_tab_url_parse", "url_dashPart",
    "active_tab_html_parse", "open_tabs_info", "vm_window_size", "vlc_playing_info", "vm_terminal_output",
    "info_from_website", "gotoRecreationPage_and_get_html_content", "page_info",
})
_ARCHIVE = "/tmp/.deskbench-snapshot.tgz"
_RESTORE = "/tmp/.deskbench-restore.tgz"
EVALUATION_TIMEOUT = 900.0


class RescoreError(DeskbenchError):
    """A run that cannot be rescored; the message is one line naming what and where."""


def keep_snapshot(box: Sandbox, episode_dir: Path, cap: int = DEFAULT_CAP) -> None:
    """Archive the desktop's writable places into the episode folder; a failure is logged, never a verdict."""
    started = time.monotonic()
    try:
        manifest = SnapshotManifest(image=box.image, image_id=str(box.container.attrs.get("Image", "")),
                                    paths=list(SNAPSHOT_PATHS), cap=cap)
        archive = _archive(box, cap)
        manifest.kept = archive is not None
        manifest.seconds = time.monotonic() - started
        write_snapshot(episode_dir, manifest, archive)
    except Exception as exc:  # noqa: BLE001 - the episode is scored already; a missing snapshot only stops rescore
        logger.warning("episode folder %s: desktop snapshot not kept: %s", episode_dir, exc)


def _archive(box: Sandbox, cap: int) -> bytes | None:
    """The tar.gz of the writable places (read as the checkers' user, who may read any file); None over ``cap``."""
    command = (f"tar -czf {_ARCHIVE} --ignore-failed-read --warning=none --exclude=./{_ARCHIVE[1:]} "
               f"--exclude={_ARCHIVE[1:]} -C / {' '.join(SNAPSHOT_PATHS)}; code=$?; "
               f"stat -c %s {_ARCHIVE}; exit $code")
    with box.guest.checkers():
        made = box.guest.run(command, timeout=120)
        try:
            if made.exit_code not in (0, 1):  # 1: a file changed while read (a log being written), still whole
                raise SnapshotError(f"tar exited {made.exit_code}: {made.stderr.strip()[:200]}")
            size = int(made.stdout.split()[-1])
            return box.guest.read_file(_ARCHIVE, max_bytes=cap) if size <= cap else None
        finally:
            box.guest.run(f"rm -f {_ARCHIVE}", timeout=30)


def live_getters(task: Task) -> list[str]:
    """The getters of the task's evaluator that read live application state (none: the task is re-scorable)."""
    specs: list[Getter | None] = []
    for part in (task.evaluator.result, task.evaluator.expected):
        specs.extend(part if isinstance(part, list) else [part])
    return sorted({s.type for s in specs if s is not None and s.type in LIVE_GETTERS})


@dataclass
class Row:
    """One episode of the compare table."""

    episode_id: str
    old: float | None
    new: float | None
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class Rescored:
    """What a rescore did: the folder it wrote and one row per episode."""

    folder: Path
    semantics: Semantics
    rows: list[Row] = field(default_factory=list)
    suite_changed: bool = False  # the given tasks differ from the run's (a fixed checker, an edited expected file)

    @property
    def not_rescorable(self) -> list[Row]:
        return [r for r in self.rows if r.note.startswith("not re-scorable")]


@dataclass(frozen=True)
class _Plan:
    record: EpisodeResult
    task: Task | None = None
    snapshot: SnapshotManifest | None = None
    archive: bytes = b""
    keep: str = ""  # why the original score stays ("" : rescored)


def rescore_run(run_dir: Path, tasks: Sequence[Task], semantics: str | None = None, out: Path | None = None,
                log: Callable[[str], None] | None = None) -> Rescored:
    """Score every re-scorable episode of ``run_dir`` again; write the new view to ``out``; return the rows.

    Every check (record version, snapshots, image ids, the output folder)
    happens before the first container starts, and nothing under ``run_dir``
    except the new folder is written.
    """
    records = _records(run_dir)
    chosen = _semantics(run_dir, semantics)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = out if out is not None else run_dir / f"rescored-{stamp}"
    if folder.exists():
        raise RescoreError(f"{folder}: already exists; rescore never overwrites (choose another --out)")
    plans = [_plan(run_dir, record, tasks) for record in records]
    _check_images(plans)
    result = Rescored(folder, chosen, suite_changed=_suite_changed(run_dir, tasks))
    new_records = []
    for plan in plans:
        if log is not None and not plan.keep:
            log(f"rescoring {plan.record.episode_id}")
        new, row = _rescore(plan, chosen, _screen(run_dir))
        new_records.append(new)
        result.rows.append(row)
    _write(folder, new_records, result)
    return result


def _records(run_dir: Path) -> list[EpisodeResult]:
    """The counted record of each episode; one line when the folder is not a run this deskbench can rescore."""
    run = RunFolder(run_dir)
    if not run.episodes_file.is_file():
        raise RescoreError(f"{run_dir}: not a run folder (no {run.episodes_file.name})")
    records = [r for r in run.latest().values() if not r.will_retry]
    old = sorted({r.record_version for r in records if r.record_version < RECORD_VERSION})
    if old:
        raise RescoreError(f"{run.episodes_file}: records of version {old[0]} (this deskbench writes {RECORD_VERSION});"
                           f" runs before version {RECORD_VERSION} kept no desktop snapshots to rescore")
    return records


def _semantics(run_dir: Path, value: str | None) -> Semantics:
    """The semantics asked for, else the run's own."""
    if value is None:
        manifest = read_run_manifest(run_dir)
        value = manifest.checkers if manifest is not None else "osworld"
    try:
        return parse_semantics(value)
    except ValueError as exc:
        raise RescoreError(f"--checkers: {exc}") from None


def _plan(run_dir: Path, record: EpisodeResult, tasks: Sequence[Task]) -> _Plan:
    """What to do with one episode; a corrupt snapshot stops the whole rescore (RescoreError)."""
    task = next((t for t in tasks if t.id == record.task_id and (t.domain or "") == record.domain), None)
    if task is None:
        return _Plan(record, keep=f"task {record.domain}/{record.task_id} is not in the given tasks")
    live = live_getters(task)
    if live:
        return _Plan(record, task, keep=f"not re-scorable: live application state ({', '.join(live)})")
    if record.status not in ("success", "failure", "checker_error") or record.reason is not None:
        return _Plan(record, keep=f"not scored by the checkers ({record.reason or record.status})")
    episode_dir = episode_folder(run_dir, trajectory_name(record.episode_id, record.attempt))
    try:
        snapshot = read_manifest(episode_dir)
        if snapshot is None:
            return _Plan(record, task, keep="no snapshot kept")
        if not snapshot.kept:
            return _Plan(record, task, keep=f"snapshot over its cap of {snapshot.cap} bytes: not kept")
        return _Plan(record, task, snapshot, read_archive(episode_dir, snapshot))
    except SnapshotError as exc:
        raise RescoreError(str(exc)) from None


def _check_images(plans: Sequence[_Plan]) -> None:
    """Every snapshot's image id is in the engine: a rebuilt image would score another desktop."""
    ids = {p.snapshot.image_id: p for p in plans if p.snapshot is not None and not p.keep}
    if not ids:
        return
    client = docker_client()
    for image_id, plan in ids.items():
        try:
            client.images.get(image_id)
        except docker.errors.ImageNotFound:
            raise RescoreError(f"episode {plan.record.episode_id}: image {image_id or '(none recorded)'} "
                               f"({plan.snapshot.image if plan.snapshot else '?'}) is no longer in the Docker "
                               f"engine; rescore needs the exact image the run used") from None


def _suite_changed(run_dir: Path, tasks: Sequence[Task]) -> bool:
    """Whether the given tasks hash otherwise than the run's suite did (only the run's tasks are hashed)."""
    manifest = read_run_manifest(run_dir)
    recorded = manifest.identity.get("suite_hash") if manifest is not None else None
    used = {(r.domain, r.task_id) for r in RunFolder(run_dir).results()}
    return recorded is not None and recorded != suite_hash([t for t in tasks if (t.domain or "", t.id) in used])


def _screen(run_dir: Path) -> tuple[int, int]:
    manifest = read_run_manifest(run_dir)
    screen = manifest.identity.get("screen") if manifest is not None else None
    return (int(screen[0]), int(screen[1])) if isinstance(screen, list) and len(screen) == 2 else (1280, 800)


def _rescore(plan: _Plan, semantics: Semantics, screen: tuple[int, int]) -> tuple[EpisodeResult, Row]:
    """The episode's new record and its compare row (the original score when it is kept)."""
    old = plan.record
    if plan.keep or plan.task is None or plan.snapshot is None:
        return old.model_copy(deep=True), Row(old.episode_id, old.score, old.score, plan.keep)
    new = old.model_copy(deep=True)
    new.checkers = semantics
    with tempfile.TemporaryDirectory(prefix=owned_folder_prefix("rescore")) as cache:
        try:
            verdict = _score_restored(plan.task, plan.snapshot.image_id, plan.archive, old, Path(cache), screen,
                                      semantics)
        except CheckerError as exc:
            new.status, new.score, new.error = "checker_error", None, str(exc)
            new.checker = {"rescored": {"from_score": old.score, "from_checkers": old.checkers}}
            return new, Row(old.episode_id, old.score, None, f"checker error: {exc}")
    new.score, new.error = verdict.score, None  # a checker error the fix removed is no longer this record's
    new.status = "success" if verdict.score >= 1.0 else "failure"
    new.checker = {"note": verdict.note, "outcomes": [o.__dict__ for o in verdict.outcomes],
                   "rescored": {"from_score": old.score, "from_checkers": old.checkers}}
    return new, Row(old.episode_id, old.score, verdict.score)


def _score_restored(task: Task, image_id: str, archive: bytes, record: EpisodeResult, cache: Path,
                    screen: tuple[int, int], semantics: Semantics) -> Verdict:
    """Start a fresh desktop of ``image_id``, restore the archive into it, run the evaluator (no postconfig)."""
    labels = {"deskbench.rescore": record.run_id, "deskbench.episode": record.episode_id}
    with start_sandbox(image_id, labels=labels, screen=screen, privileged_user=runs_privileged(task)) as box:
        _restore(box, archive)
        deadline = time.monotonic() + EVALUATION_TIMEOUT
        with box.guest.checkers(deadline), metric_deadline(deadline):
            return evaluate(task.evaluator, EvalContext(box.guest, task, cache, record.last_control,
                                                     semantics))


def _restore(box: Sandbox, archive: bytes) -> None:
    """Unpack the archive over the fresh desktop as its user (so the files are the user's, as they were)."""
    box.guest.write_file(_RESTORE, archive, mode=0o644)
    done = box.guest.run(f"tar -xzf {_RESTORE} -C / --no-overwrite-dir --warning=none; code=$?; rm -f {_RESTORE}; "
                         f"exit $code", timeout=300, as_guest=False)
    problems = [line for line in done.stderr.splitlines() if line.strip() and not _harmless(line)]
    if done.exit_code != 0 and problems:
        raise CheckerError(f"restoring the snapshot failed: {'; '.join(problems)[:300]}")


def _harmless(line: str) -> bool:
    """tar's complaint that the user may not chmod/utime the mount points themselves (root's, as in the run)."""
    mount = any(line.startswith(f"tar: {path}: Cannot ") for path in SNAPSHOT_PATHS)
    return mount or line.startswith("tar: Exiting with failure status")


def _write(folder: Path, records: Sequence[EpisodeResult], result: Rescored) -> None:
    """The new scored view: its own episodes.jsonl and a table of what changed, beside (never over) the run."""
    folder.mkdir(parents=True)
    RunFolder(folder).append_all(records)
    lines = [f"{r.episode_id}\t{_score(r.old)}\t{_score(r.new)}\t{r.note}" for r in result.rows]
    (folder / "compare.tsv").write_text("episode\told\tnew\tnote\n" + "".join(line + "\n" for line in lines),
                                        encoding="utf-8")


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def compare_table(result: Rescored) -> str:
    """The rows as aligned text: changed episodes marked, kept ones with why."""
    width = max([len("episode")] + [len(r.episode_id) for r in result.rows])
    out = [f"{'episode':<{width}}  {'old':>5}  {'new':>5}  note"]
    for r in result.rows:
        mark = "changed" if r.changed else ""
        note = "; ".join(x for x in (mark, r.note) if x)
        out.append(f"{r.episode_id:<{width}}  {_score(r.old):>5}  {_score(r.new):>5}  {note}")
    changed = sum(r.changed for r in result.rows)
    suite = "tasks changed since the run" if result.suite_changed else "tasks as the run had them"
    out.append(f"{changed} of {len(result.rows)} episodes changed under {result.semantics} ({suite}); "
               f"{len(result.not_rescorable)} not re-scorable; new view: {result.folder}")
    return "\n".join(out)
