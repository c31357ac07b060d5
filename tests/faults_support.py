"""Helpers of tests/test_faults.py: a pausable oracle, runs in the background, the audit of a run folder,
the figures each fault test reports, and the machine-level faults (engine crash, read-only run folder).

The fault tests do real damage -- they kill containers, the guest, even the
Docker engine -- so the tools for it live here, each saying what it needs
(root, a local engine, a mountable filesystem) and what it leaves behind
(nothing: every fault is undone in a ``finally``).
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from harness.agents.base import EpisodeInfo, Observation, Turn
from harness.agents.scripted import OracleAgent
from harness.sandbox.engine import engine_answers, list_containers
from harness.store.records import EpisodeResult
from harness.store.run_folder import RunFolder
from harness.tasks.schema import Task

T = TypeVar("T")


# -- a pausable oracle ------------------------------------------------------------------------------------------

class Pause:
    """A point mid-episode where the oracle stops until the test has done its damage.

    Each armed task pauses once (its first attempt only), so the retry runs
    straight through.  The test learns which episode reached the point from
    ``wait_reached`` and lets it go on with ``release``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._targets: set[str] = set()
        self.step = 1
        self._reached: queue.Queue[str] = queue.Queue()
        self._go = threading.Event()

    def arm(self, task_ids: Sequence[str], step: int = 1) -> None:
        with self._lock:
            self._targets = set(task_ids)
            self.step = step
            self._reached = queue.Queue()
            self._go = threading.Event()

    def take(self, task_id: str) -> bool:
        """Whether this episode pauses now (true once per armed task)."""
        with self._lock:
            if task_id not in self._targets:
                return False
            self._targets.discard(task_id)
            return True

    def hold(self, task_id: str, timeout: float = 180.0) -> None:
        self._reached.put(task_id)
        if not self._go.wait(timeout):
            raise RuntimeError(f"the test never released the paused episode of {task_id}")

    def wait_reached(self, timeout: float = 120.0) -> str:
        try:
            return self._reached.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no episode reached the pause within {timeout:.0f} s") from None

    def release(self) -> None:
        self._go.set()

    def disarm(self) -> None:
        with self._lock:
            self._targets = set()
        self._go.set()


PAUSE = Pause()


class PausingOracle(OracleAgent):
    """The oracle, stopping at ``PAUSE.step`` of each armed task (its first attempt) until the test releases it.

    The pause comes after the previous step's action ran and before the next
    is returned, i.e. while the agent "thinks": the container is busy with an
    episode, and the next action is the first to meet the fault.
    """

    name = "pausing-oracle"

    def start(self, episode: EpisodeInfo) -> None:
        self.task_id = episode.task_id
        super().start(episode)

    def act(self, observation: Observation) -> Turn:
        if observation.step == PAUSE.step and PAUSE.take(self.task_id):
            PAUSE.hold(self.task_id)
        return super().act(observation)


AGENT = "tests.faults_support:PausingOracle"


# -- runs in the background -------------------------------------------------------------------------------------

class Background(Generic[T]):
    """``fn(*args)`` in a thread, so that the test can break things while it runs; ``result`` joins it."""

    def __init__(self, fn: Callable[..., T], *args: object) -> None:
        self._value: list[T] = []
        self._error: list[BaseException] = []

        def target() -> None:
            try:
                self._value.append(fn(*args))
            except BaseException as exc:  # handed to the test's thread by result()
                self._error.append(exc)

        self._thread = threading.Thread(target=target, name="fault-run", daemon=True)
        self._thread.start()

    def result(self, timeout: float) -> T:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the run did not finish within {timeout:.0f} s"
        if self._error:
            raise self._error[0]
        return self._value[0]


# -- what a run left ---------------------------------------------------------------------------------------------

def episode_ids(tasks: Sequence[Task], budget: int = 15) -> list[str]:
    return [f"{t.domain}.{t.id}.b{budget}.r0" for t in tasks]


def audit(folder: RunFolder, planned: Sequence[str]) -> dict[str, list[EpisodeResult]]:
    """Every attempt of every episode, checked: all planned episodes there, each attempt once, exactly one counted.

    The attempts of an episode must be 0, 1, ... in order, each but the last
    marked ``will_retry`` and the last not: then the last is the one record
    that counts, none is missing and none is there twice.
    """
    by_id: dict[str, list[EpisodeResult]] = defaultdict(list)
    for record in folder.results():
        by_id[record.episode_id].append(record)
    assert sorted(by_id) == sorted(planned), f"lost: {set(planned) - set(by_id)}, unplanned: {set(by_id) - set(planned)}"
    for episode, records in by_id.items():
        assert [r.attempt for r in records] == list(range(len(records))), f"{episode}: attempts {records}"
        assert all(r.will_retry for r in records[:-1]) and not records[-1].will_retry, \
            f"{episode}: exactly one counted record, the last: {[(r.attempt, r.will_retry) for r in records]}"
    return dict(by_id)


def running_episodes(run_id: str) -> set[str]:
    """The episodes of ``run_id`` that have a container now (running or not yet removed)."""
    found = list_containers({"label": [f"deskbench.run={run_id}"]})
    return {str(c.labels.get("deskbench.episode")) for c in found}


def kill_container(run_id: str, episode_id: str) -> str:
    """``docker kill`` the episode's container, as the engine or an operator would; returns its name."""
    found = list_containers({"label": [f"deskbench.run={run_id}", f"deskbench.episode={episode_id}"]}, all=False)
    assert len(found) == 1, f"one running container of {episode_id}, found {[c.name for c in found]}"
    found[0].kill()
    return str(found[0].name)


def kill_guest(run_id: str, episode_id: str) -> str:
    """Kill the guest server inside the episode's container (the init's one child), as a crash would."""
    found = list_containers({"label": [f"deskbench.run={run_id}", f"deskbench.episode={episode_id}"]}, all=False)
    assert len(found) == 1, f"one running container of {episode_id}, found {[c.name for c in found]}"
    result = found[0].exec_run(["sh", "-c", "kill -KILL $(pgrep -P 1)"])
    assert result.exit_code == 0, result.output
    return str(found[0].name)


# -- the figures of each fault, for the closing note -----------------------------------------------------------

@dataclass
class Figures:
    fault: str
    planned: int
    affected: int  # episodes the fault hit (in flight when it struck, or failing because of it)
    retried: int  # of those, episodes run again (a further attempt, or again on resume)
    lost: int  # planned episodes without a counted record at the end
    seconds: float
    note: str = ""

    def line(self) -> str:
        return (f"{self.fault:<34} planned {self.planned:>2}  affected {self.affected:>2}  retried {self.retried:>2}  "
                f"lost {self.lost}  ({self.seconds:.0f} s){'  ' + self.note if self.note else ''}")


FIGURES: list[Figures] = []


# -- the engine: crash it, start it again ------------------------------------------------------------------------

#: where scripts/ensure-docker.sh sends the log of a dockerd it starts (appended to here, never truncated)
DOCKERD_LOG = Path("/var/log/deskbench-dockerd.log")
DOCKERD_PIDFILE = Path("/var/run/docker.pid")
_started: list[subprocess.Popen[bytes]] = []  # dockerd processes started here (kept so none is reaped early)


def engine_restart_unavailable() -> str | None:
    """Why this machine's engine cannot be crashed and restarted by a test (None: it can)."""
    if os.environ.get("DESKBENCH_SKIP_ENGINE_RESTART"):
        return "DESKBENCH_SKIP_ENGINE_RESTART is set"
    if os.geteuid() != 0:
        return "restarting dockerd needs root"
    host = os.environ.get("DOCKER_HOST", "")
    if host and not host.startswith("unix://"):
        return f"the engine is remote (DOCKER_HOST={host})"
    if dockerd_pid() is None:
        return "no local dockerd process found"
    return None


def dockerd_pid() -> int | None:
    """The local dockerd's pid, from its pid file or, failing that, from the process table."""
    candidates: list[int] = []
    try:
        candidates.append(int(DOCKERD_PIDFILE.read_text().strip()))
    except (OSError, ValueError):
        pass
    found = subprocess.run(["pidof", "dockerd"], capture_output=True, text=True)
    candidates += [int(p) for p in found.stdout.split()]
    for pid in candidates:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "dockerd":
                return pid
        except OSError:
            continue
    return None


def crash_dockerd() -> int:
    """SIGKILL dockerd (a crash: no clean shutdown) and wait until it is gone and the socket refuses."""
    pid = dockerd_pid()
    assert pid is not None, "no dockerd to crash"
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() or engine_answers(timeout=1):
        assert time.monotonic() < deadline, "dockerd did not die"
        time.sleep(0.05)
    return pid


def start_dockerd() -> None:
    """Start the engine again the way scripts/ensure-docker.sh does (systemd's service, else dockerd in the
    background), without waiting for it: the run under test is what has to wait."""
    if Path("/proc/1/comm").read_text().strip() == "systemd" and shutil.which("systemctl"):
        subprocess.run(["systemctl", "start", "docker"], check=False, timeout=120)
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    with open(DOCKERD_LOG, "ab") as log:
        _started.append(subprocess.Popen(["dockerd"], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True, env=env))


# -- an unwritable run folder ------------------------------------------------------------------------------------

class UnwritableFolder:
    """A place for a run folder that the test can make unwritable, and writable again, under a running process.

    Root ignores file modes, so ``chmod`` proves nothing.  In order of
    preference: a small tmpfs mounted for the test and remounted read-only
    (the whole folder becomes unwritable, trajectories included, as when a
    disk goes read-only); else ``chattr +i`` on ``episodes.jsonl`` (only the
    records become unwritable); ``mode`` says which, None when neither works
    here (the test then injects the failure at the write call instead).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.mount: Path | None = None
        self.mode: str | None = None
        self.folder: Path = root

    def __enter__(self) -> UnwritableFolder:
        mount = self.root / "fs"
        mount.mkdir(parents=True)
        if os.geteuid() == 0 and _run("mount", "-t", "tmpfs", "-o", "size=512m,mode=0755", "tmpfs", str(mount)):
            self.mount, self.mode, self.folder = mount, "read-only remount of a tmpfs", mount
            return self
        probe = self.root / "chattr-probe"
        probe.write_text("")
        if _run("chattr", "+i", str(probe)) and _run("chattr", "-i", str(probe)):
            self.mode, self.folder = "chattr +i on episodes.jsonl", self.root
        return self

    def __exit__(self, *exc: object) -> None:
        if self.mount is not None:
            _run("umount", "-l", str(self.mount))

    def break_it(self, run_dir: Path) -> None:
        """Make ``run_dir`` unwritable now (a remount is retried while a write is in progress: EBUSY)."""
        if self.mount is not None:
            deadline = time.monotonic() + 20
            while not _run("mount", "-o", "remount,ro", str(self.mount)):
                assert time.monotonic() < deadline, "the tmpfs stayed busy"
                time.sleep(0.01)
        else:
            assert _run("chattr", "+i", str(run_dir / "episodes.jsonl"))

    def repair(self, run_dir: Path) -> None:
        if self.mount is not None:
            assert _run("mount", "-o", "remount,rw", str(self.mount))
        else:
            assert _run("chattr", "-i", str(run_dir / "episodes.jsonl"))


def _run(*command: str) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextmanager
def released_on_exit() -> Iterator[None]:
    """Whatever happens in the test, no paused episode keeps waiting for it."""
    try:
        yield
    finally:
        PAUSE.disarm()
