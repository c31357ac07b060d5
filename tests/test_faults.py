"""Faults on real runs: each test breaks something mid-run and checks the run still ends complete and clean.

The faults: the container is killed mid-episode; the guest server dies; the
Docker engine crashes and comes back; the model API answers 529 for a
minute; the harness gets SIGINT, or SIGKILL, and is resumed; the run folder
becomes unwritable; a checker raises.  Each test ends with the same three
checks: every planned episode has exactly one counted record (none lost,
none twice), the episodes the fault hit ended as they should (an
infrastructure error retried to success, with every attempt kept, or the
right status), and no container of the run is left.  Each test adds one line
of figures -- planned, affected, retried, lost -- printed at the end of the
module.

The engine test crashes the machine's ``dockerd``: it needs root and a local
engine, and ``DESKBENCH_SKIP_ENGINE_RESTART=1`` keeps it from running on a
machine where something else needs the engine.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.agents.spec import build_spec
from harness.checkers import METRICS
from harness.errors import EngineUnavailable, TaskFileError
from harness.mockapi import Faults, MockServer, load_scripts
from harness.runner import RunConfig, execute_run
from harness.sandbox.engine import engine_answers, wait_for_engine
from harness.sandbox.gc import leftover_containers
from harness.store import RunFolder, load_results
from harness.store.run_folder import RunFolderError
from harness.tasks import load_tasks
from harness.tasks.schema import Task

from .conftest import SMOKE
from .faults_support import (
    AGENT,
    FIGURES,
    PAUSE,
    Background,
    Figures,
    UnwritableFolder,
    audit,
    crash_dockerd,
    engine_restart_unavailable,
    episode_ids,
    kill_container,
    kill_guest,
    released_on_exit,
    running_episodes,
    start_dockerd,
)
from .test_run_resume import deskbench_run, wait_for_lines

pytestmark = pytest.mark.docker
SESSION = os.getpid()  # in every run id: two test sessions on one engine must not share a container label

TASKS = load_tasks(SMOKE)
BY_ID = {t.id: t for t in TASKS}
CLAUDE_MODEL = "claude-sonnet-4-5"


@pytest.fixture(scope="module", autouse=True)
def figures_table(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print every fault's figures once the module is done (past pytest's capture: they are for the report)."""
    yield
    if not FIGURES:
        return
    capture = request.config.pluginmanager.getplugin("capturemanager")
    lines = ["", "fault figures (episodes):", *(f.line() for f in FIGURES)]
    if capture is None:
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))


@pytest.fixture
def pause() -> Iterator[None]:
    with released_on_exit():
        yield


def _tasks(*ids: str) -> list[Task]:
    return [BY_ID[i] for i in ids]


# -- the container, and the guest inside it ----------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["container killed", "guest dies"])
def test_a_dead_desktop_mid_episode_is_retried_to_success(fault: str, tmp_path: Path, desktop_image: str,
                                                          pause: None, no_leftovers: None) -> None:
    """``docker kill`` of the container, or SIGKILL of the guest server inside it, while the agent thinks."""
    started = time.monotonic()
    tasks = _tasks("hello-file", "count-errors")
    planned = episode_ids(tasks)
    folder = RunFolder(tmp_path / f"pytest-faults-{fault.replace(' ', '-')}-{SESSION}")
    PAUSE.arm([tasks[0].id])
    run = Background(execute_run, tasks, RunConfig(agent=AGENT, parallel=1), folder)
    PAUSE.wait_reached()
    (kill_container if fault == "container killed" else kill_guest)(folder.path.name, planned[0])
    PAUSE.release()
    run.result(timeout=300)

    by_id = audit(folder, planned)
    first, retry = by_id[planned[0]]
    assert (first.status, first.will_retry, retry.status) == ("infra_error", True, "success"), first.error
    assert first.error is not None and "did not answer" in first.error, first.error
    assert "exited with code 137 (SIGKILL: " in first.error, "the error says what became of the container"
    assert [(r.attempt, r.status) for r in by_id[planned[1]]] == [(0, "success")]
    assert (folder.path / "episodes" / f"{planned[0]}.a1" / "steps.jsonl").is_file(), "the retry's trajectory"
    assert leftover_containers(folder.path.name) == []
    FIGURES.append(Figures(fault, len(planned), 1, 1, 0, time.monotonic() - started,
                           note=_clip(first.error.rsplit("; ", 1)[-1])))


# -- the engine ---------------------------------------------------------------------------------------------------

def test_the_engine_crashes_and_comes_back_mid_run(tmp_path: Path, desktop_image: str, pause: None,
                                                   no_leftovers: None, caplog: pytest.LogCaptureFixture) -> None:
    """SIGKILL to dockerd mid-episode, started again 8 s later: the run waits for it and ends complete."""
    reason = engine_restart_unavailable()
    if reason is not None:
        pytest.skip(reason)
    started = time.monotonic()
    tasks = _tasks("hello-file", "count-errors", "env-report", "fix-typo", "change-port")
    planned = episode_ids(tasks)
    folder = RunFolder(tmp_path / f"pytest-faults-engine-{SESSION}")
    PAUSE.arm([tasks[0].id])
    run = Background(execute_run, tasks, RunConfig(agent=AGENT, parallel=2), folder)
    restart = threading.Timer(8.0, start_dockerd)
    try:
        PAUSE.wait_reached()
        in_flight = running_episodes(folder.path.name)
        try:
            crash_dockerd()
        finally:
            restart.start()  # whatever happened, the engine is started again (a second dockerd would just quit)
        PAUSE.release()
        run.result(timeout=300)
    finally:
        if restart.ident is not None:
            restart.join()
            wait_for_engine(120)

    by_id = audit(folder, planned)
    assert all(records[-1].status == "success" for records in by_id.values()), \
        {e: [(r.status, r.error) for r in rs] for e, rs in by_id.items()}
    waited = {e for e, rs in by_id.items() if any("the Docker engine stopped answering" in (r.error or "")
                                                   for r in rs)}
    assert waited, "an episode started while the engine was away, and its attempt says it waited for the engine"
    for episode in waited:
        failed = [r for r in by_id[episode] if r.status == "infra_error"]
        assert failed and all(r.will_retry for r in failed) and by_id[episode][-1].attempt >= 1
    assert engine_answers()
    outlived = [r for r in caplog.records if "not removed: the Docker engine does not answer" in r.getMessage()]
    assert leftover_containers(folder.path.name) == [], "containers that outlived the crash are removed"
    failed_ids = {e for e, rs in by_id.items() if len(rs) > 1}
    note = (f"{len(outlived)} containers outlived the crash, removed at the end; " +
            _clip(next(r.error for rs in by_id.values() for r in rs if r.error and "Docker engine" in r.error)))
    FIGURES.append(Figures("engine crashed and restarted", len(planned), len(in_flight | failed_ids),
                           len(failed_ids), 0, time.monotonic() - started, note=note))


def test_waiting_for_the_engine_is_bounded_and_stoppable() -> None:
    """The wait the runner does after an engine outage: polls until it answers, gives up after its patience,
    and a stopping run does not wait."""
    answers = iter([False, False, True])
    waited = wait_for_engine(30, answers=lambda: next(answers))
    assert 1.0 <= waited < 5.0, "polled after 0.5 s, then 1 s"
    assert wait_for_engine(30, answers=lambda: True) == 0.0
    with pytest.raises(EngineUnavailable, match="did not come back within 1 s"):
        wait_for_engine(1, answers=lambda: False)
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    assert wait_for_engine(30, stop, answers=lambda: False) < 2.0


# -- the model API ------------------------------------------------------------------------------------------------

def test_the_model_api_overloaded_for_a_minute(tmp_path: Path, desktop_image: str, no_leftovers: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """529 for 60 s from the second call on; the API asks for 5 s between tries.

    The claude agent retries 6 times (30 s of waiting) and then gives up with
    an infrastructure error; the run retries the episode in a fresh desktop,
    whose calls get through once the minute is over.
    """
    started = time.monotonic()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "pytest-key")  # the mock ignores it; the SDK wants one
    tasks = _tasks("hello-file")
    planned = episode_ids(tasks)
    folder = RunFolder(tmp_path / f"pytest-faults-overloaded-{SESSION}")
    faults = Faults(fail_for_seconds=60.0, fail_from_call=2, status=529, retry_after=5.0)
    with MockServer(load_scripts(SMOKE), faults) as server:
        spec = build_spec("claude", {"model": CLAUDE_MODEL, "base_url": server.url})
        execute_run(tasks, RunConfig(agent=spec, parallel=1), folder)
        calls = server.log()

    by_id = audit(folder, planned)
    first, retry = by_id[planned[0]]
    assert (first.status, first.will_retry, retry.status) == ("infra_error", True, "success"), first.error
    assert "still failing after 6 retries" in (first.error or "") and "HTTP 529 overloaded_error" in (first.error or "")
    overloaded = [c for c in calls if c["status"] == 529]
    assert len(overloaded) >= 12, "both attempts met the outage, each retrying on the API's retry-after"
    assert faults.outage_over()
    assert calls[-1]["status"] == 200 and retry.usage.input_tokens > 0
    assert leftover_containers(folder.path.name) == []
    FIGURES.append(Figures("model API 529 for 60 s", len(planned), 1, 1, 0, time.monotonic() - started,
                           note=f"{len(overloaded)} calls answered 529, all retried"))


# -- the harness process ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_the_harness_stopped_then_resumed(sig: signal.Signals, tmp_path: Path, desktop_image: str,
                                          no_leftovers: None) -> None:
    """SIGINT (a clean stop: exit 130, containers removed) or SIGKILL (containers left) mid-run, then a resume."""
    started = time.monotonic()
    planned = episode_ids(TASKS)
    run_dir = tmp_path / f"pytest-faults-{sig.name}-{SESSION}"
    proc = deskbench_run(run_dir)
    wait_for_lines(run_dir / "episodes.jsonl", 2, proc)
    in_flight = running_episodes(run_dir.name)
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    orphans = leftover_containers(run_dir.name)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "Traceback" not in err, err
        assert orphans == [], "a clean stop removes its containers"
    else:
        assert proc.returncode == -signal.SIGKILL
    before = (run_dir / "episodes.jsonl").read_text()
    recorded = {r.episode_id for r in RunFolder(run_dir).results()}
    assert len(recorded) < len(planned), "the signal should land mid-run"

    resumed = deskbench_run(run_dir)
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    assert (run_dir / "episodes.jsonl").read_text().startswith(before), "finished episodes are kept as they were"
    by_id = audit(RunFolder(run_dir), planned)
    assert all(len(rs) == 1 and rs[0].status == "success" for rs in by_id.values())
    assert leftover_containers(run_dir.name) == []
    hit = in_flight - recorded
    FIGURES.append(Figures(f"harness {sig.name}, then resume", len(planned), len(hit), len(hit), 0,
                           time.monotonic() - started,
                           note=f"{len(planned) - len(recorded)} run on resume; {len(orphans)} containers left "
                                "by the stopped process, removed by the resume"))


# -- the run folder -----------------------------------------------------------------------------------------------

def test_the_run_folder_becomes_unwritable(tmp_path: Path, desktop_image: str, no_leftovers: None,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Mid-run the run folder turns read-only: one clear error naming the file, exit 1, nothing lost; a resume
    once it is writable again completes without duplicates."""
    started = time.monotonic()
    planned = episode_ids(TASKS)
    with UnwritableFolder(tmp_path) as place:
        if place.mode is None:
            rerun = _unwritable_by_injection(tmp_path, planned, monkeypatch)
            note = f"failure injected at the write (no mount, no chattr here); {rerun} run on resume"
        else:
            run_dir = place.folder / f"pytest-faults-unwritable-{SESSION}"
            proc = deskbench_run(run_dir)
            wait_for_lines(run_dir / "episodes.jsonl", 2, proc)
            place.break_it(run_dir)
            _, err = proc.communicate(timeout=180)
            errors = [line for line in err.splitlines() if line.strip()]
            assert proc.returncode == 1, err
            assert "Traceback" not in err and len(errors) == 1, err
            assert errors[0].startswith(f"deskbench: error: cannot write {run_dir / 'episodes.jsonl'}: "), err
            assert leftover_containers(run_dir.name) == []
            before = (run_dir / "episodes.jsonl").read_text()
            kept = RunFolder(run_dir).results()
            assert len(kept) >= 2 and all(r.status == "success" for r in kept), "every record written is kept"
            place.repair(run_dir)
            resumed = deskbench_run(run_dir)
            _, err = resumed.communicate(timeout=600)
            assert resumed.returncode == 0, err
            assert (run_dir / "episodes.jsonl").read_text().startswith(before)
            by_id = audit(RunFolder(run_dir), planned)
            assert all(len(rs) == 1 and rs[0].status == "success" for rs in by_id.values())
            assert leftover_containers(run_dir.name) == []
            note = f"{place.mode}; {len(planned) - len(kept)} run on resume; error: {_clip(errors[0], 90)}"
            FIGURES.append(Figures("run folder unwritable", len(planned), len(planned) - len(kept),
                                   len(planned) - len(kept), 0, time.monotonic() - started, note=note))
            return
    FIGURES.append(Figures("run folder unwritable", len(planned), rerun, rerun, 0, time.monotonic() - started,
                           note=note))


def _unwritable_by_injection(tmp_path: Path, planned: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """Where neither a remount nor ``chattr`` is possible: appends fail at the ``open`` of the run folder's code.

    Returns how many episodes the resume ran (those without a record when the writes began to fail).
    """
    import errno

    from harness.store import run_folder as module

    folder = RunFolder(tmp_path / f"pytest-faults-unwritable-{SESSION}")
    broken = threading.Event()
    real_open: Callable[..., object] = open

    def failing_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if broken.is_set() and "a" in mode:
            raise OSError(errno.EROFS, "Read-only file system (injected)", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(module, "open", failing_open, raising=False)
    threading.Thread(target=_wait_records, args=(folder, 2, broken), daemon=True).start()
    with pytest.raises(RunFolderError, match=f"cannot write {folder.episodes_file}: "):
        execute_run(TASKS, RunConfig(agent="tests.test_run_resume:SlowOracle", parallel=2), folder)
    kept = folder.results()
    assert len(kept) >= 2 and leftover_containers(folder.path.name) == []
    broken.clear()
    execute_run(TASKS, RunConfig(agent="tests.test_run_resume:SlowOracle", parallel=2), folder)
    by_id = audit(folder, planned)
    assert all(len(rs) == 1 and rs[0].status == "success" for rs in by_id.values())
    return len(planned) - len(kept)


def _wait_records(folder: RunFolder, count: int, then: threading.Event) -> None:
    """Set ``then`` once ``count`` records are on disk."""
    deadline = time.monotonic() + 180
    while not (folder.episodes_file.is_file() and folder.episodes_file.read_text().count("\n") >= count):
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)
    then.set()


# -- the checker --------------------------------------------------------------------------------------------------

def _raising_metric(result: object, expected: object, **options: object) -> float:
    raise RuntimeError("checker exploded (on purpose)")


def test_a_checker_that_raises_is_a_checker_error_and_the_run_goes_on(tmp_path: Path, desktop_image: str,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      no_leftovers: None) -> None:
    """A suite's metric that raises: checker_error with the message, not retried; one that is not there is refused
    before any container starts (static validation)."""
    started = time.monotonic()
    monkeypatch.setitem(METRICS, "pytest_faults_raises", _raising_metric)
    base = BY_ID["hello-file"]
    raising = base.model_copy(update={"id": "hello-file-raising-checker",
                                      "evaluator": base.evaluator.model_copy(update={"func": "pytest_faults_raises"})})
    unknown = base.model_copy(update={"id": "hello-file-unknown-metric",
                                      "evaluator": base.evaluator.model_copy(update={"func": "pytest_faults_nope"})})
    with pytest.raises(TaskFileError, match=r"\$\.evaluator\.func: unknown metric 'pytest_faults_nope'"):
        execute_run([*_tasks("hello-file"), unknown], RunConfig(agent="oracle"), RunFolder(tmp_path / "refused"))
    assert not (tmp_path / "refused").exists()
    tasks = [raising, *_tasks("hello-file", "count-errors")]
    planned = episode_ids(tasks)
    folder = RunFolder(tmp_path / f"pytest-faults-checker-{SESSION}")
    execute_run(tasks, RunConfig(agent="oracle", parallel=2), folder)

    by_id = audit(folder, planned)
    status = {e: [(r.status, r.error) for r in rs] for e, rs in by_id.items()}
    assert status[planned[0]] == [("checker_error",
                                   "metric pytest_faults_raises raised RuntimeError: checker exploded (on purpose)")]
    assert status[planned[1]] == status[planned[2]] == [("success", None)], "the other episodes are scored"
    frame = load_results(folder.path)
    assert Counter(frame["status"]) == {"checker_error": 1, "success": 2} and (frame["attempts"] == 1).all()
    assert leftover_containers(folder.path.name) == []
    FIGURES.append(Figures("checker raises", len(planned), 1, 0, 0, time.monotonic() - started,
                           note="checker_error, not retried; the other episodes scored"))


def _clip(text: str | None, width: int = 150) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 3] + "..."
