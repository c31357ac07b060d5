"""Red team: adversarial agents (tests/redteam_agents.py) try to escape their score from inside the desktop.

Every attack is made by an agent that did not do its task, so the only
honest outcome is a scored failure (status ``failure``, score 0) -- never a
success, never an unscored status that would leave it out of the success
rate, never a retry.  Where the failure has a cause other than the checkers'
verdict, the record names it (``reason``).  The light desktop image and the
smoke tasks keep the suite to about a minute and a half.

Beyond the verdict, each test checks what the attack aimed at: the guest
survived (memory, pids, disk), the host did not read unbounded, the host's
disk and the episode's folders are untouched.
"""

from __future__ import annotations

import http.server
import json
import os
import resource
import shutil
import socketserver
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.agents.base import Agent
from harness.agents.scripted import NoopAgent
from harness.checkers import limits
from harness.runner import EpisodeOptions, EpisodeSpec, run_episode
from harness.sandbox.container import start_sandbox
from harness.sandbox.gc import leftover_containers
from harness.sandbox.guest import GUEST_UID, GuestClient, GuestLost, IntegrityError
from harness.store.records import EpisodeResult
from harness.tasks import load_tasks
from harness.tasks.schema import Task

from . import redteam_agents as red
from .conftest import SMOKE

pytestmark = pytest.mark.docker

TASKS = {t.id: t for t in load_tasks(SMOKE)}
RUN = "pytest-redteam"


@pytest.fixture
def sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The host folder the episode's socket folder is made in (short: a socket path has 107 bytes at most);
    it must be empty again afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="rt-"))
    monkeypatch.setenv("DESKBENCH_SOCKET_DIR", str(folder))
    try:
        yield folder
        assert list(folder.iterdir()) == [], "the episode's socket folder was not removed from the host"
        assert leftover_containers(RUN) == []
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def attack(agent: Agent, task: Task, tmp_path: Path, timeout: float = 120.0) -> EpisodeResult:
    """One episode of ``agent`` on ``task``, trajectories in ``tmp_path/run`` (the run folder an attack must spare)."""
    options = EpisodeOptions(run_id=RUN, timeout=timeout, trajectories=tmp_path / "run")
    return run_episode(EpisodeSpec(task, 8), agent, options)


def assert_honest_failure(record: EpisodeResult, reason: str | None = None) -> None:
    """Scored, failed, score 0, not retried; the reason named when the checkers did not decide it."""
    summary = (record.status, record.score, record.reason, record.error)
    assert (record.status, record.score, record.will_retry) == ("failure", 0.0, False), summary
    assert record.scored
    if reason is not None:
        assert record.reason == reason, summary


def assert_checkers_ran(record: EpisodeResult) -> None:
    """The guest survived to the end: the checkers scored the desktop (no lost guest, no reason)."""
    assert record.checker.get("outcomes"), (record.status, record.reason, record.error)
    assert record.reason in (None, "pids_exhausted", "desktop_broken"), record.reason


def test_the_honest_failure_these_attacks_must_equal(tmp_path: Path, sockets: Path, desktop_image: str) -> None:
    for task_id in ("hello-file", "count-errors"):
        record = attack(NoopAgent(), TASKS[task_id], tmp_path)
        assert_honest_failure(record)
        assert_checkers_ran(record)
        assert record.reason is None


# ------------------------------------------------------------------ the guest and its channel


def test_killing_the_guest_is_not_possible_and_changes_nothing(tmp_path: Path, sockets: Path,
                                                               desktop_image: str) -> None:
    """The agent kills all it can reach (its own desktop, X included): the guest is not among them, and scores."""
    record = attack(red.PkillGuest(), TASKS["hello-file"], tmp_path)
    assert_honest_failure(record)
    assert_checkers_ran(record)


def test_a_fake_guest_server_is_never_reached(tmp_path: Path, sockets: Path, desktop_image: str) -> None:
    """Binding at the socket's path, or anywhere it can write, gains nothing: the host checks owner and peer."""
    record = attack(red.FakeGuestServer(), TASKS["count-errors"], tmp_path)
    assert_honest_failure(record)
    assert_checkers_ran(record)
    assert "3" not in json.dumps(record.checker["outcomes"][0]["result"])


def python_checker_task(tmp_path: Path) -> Task:
    """count-errors, read by a Python checker command (what browser getters do) instead of ``tr``."""
    suite = tmp_path / "suite" / "terminal"
    suite.mkdir(parents=True)
    spec = json.loads((SMOKE / "terminal" / "count-errors.json").read_text())
    spec["id"] = "count-errors-python"
    spec["evaluator"]["result"]["command"] = ("python3 -c \"print(open('/home/user/Desktop/errors.txt')"
                                              ".read().strip())\"")
    (suite / "count-errors-python.json").write_text(json.dumps(spec))
    [task] = load_tasks(tmp_path / "suite")
    return task


@pytest.mark.parametrize("checker", ["tr", "python"])
def test_shadowed_commands_python_site_and_path_do_not_forge_a_checker(checker: str, tmp_path: Path, sockets: Path,
                                                                        desktop_image: str) -> None:
    task = TASKS["count-errors"] if checker == "tr" else python_checker_task(tmp_path)
    record = attack(red.ForgeCheckerCommands(), task, tmp_path)
    assert_honest_failure(record)
    assert record.checker["outcomes"][0]["result"].strip() == "0", record.checker  # what the desktop really holds


# ------------------------------------------------------------------ outputs no checker can read


@pytest.mark.parametrize("agent", [red.SymlinkResult(), red.SymlinkToZero(), red.FifoResult()],
                         ids=["symlink-to-the-right-words", "symlink-to-dev-zero", "fifo"])
def test_links_and_fifos_as_the_result_are_never_followed(agent: Agent, tmp_path: Path, sockets: Path,
                                                          desktop_image: str) -> None:
    started = time.monotonic()
    record = attack(agent, TASKS["hello-file"], tmp_path)
    assert_honest_failure(record, "unscorable_output")
    assert time.monotonic() - started < 30, "a FIFO is refused at once, never waited on"


def test_a_fifo_a_checker_command_reads_is_cut_at_the_episode_time_limit(tmp_path: Path, sockets: Path,
                                                                        desktop_image: str) -> None:
    """The command would block for its own 60 s; the episode's limit (12 s here) covers scoring, so it ends there."""
    started = time.monotonic()
    record = attack(red.FifoForACommand(), TASKS["count-errors"], tmp_path, timeout=12)
    assert_honest_failure(record, "unscorable_output")
    assert time.monotonic() - started < 12 + 10


def test_an_unreadable_result_is_read_anyway_and_scored(tmp_path: Path, sockets: Path, desktop_image: str) -> None:
    """Mode 000 on the file and its folder: the guest reads the final state whatever its modes."""
    record = attack(red.UnreadableResult(), TASKS["hello-file"], tmp_path)
    assert_honest_failure(record)
    assert_checkers_ran(record)


def test_a_huge_sparse_result_is_refused_without_reading_it(tmp_path: Path, sockets: Path,
                                                            desktop_image: str) -> None:
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    record = attack(red.HugeSparseResult(), TASKS["hello-file"], tmp_path)
    assert_honest_failure(record, "unscorable_output")
    assert "too large" in (record.error or "")
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mib < 200, f"the harness grew by {grown_mib:.0f} MiB"


def test_a_deep_tree_leaves_no_trace_on_the_host_and_no_error(tmp_path: Path, sockets: Path,
                                                              desktop_image: str) -> None:
    record = attack(red.DeepTree(), TASKS["hello-file"], tmp_path)
    assert_honest_failure(record)
    assert_checkers_ran(record)
    assert "clean-up" not in (record.error or "")


def test_a_spreadsheet_of_three_million_cells_hits_the_checker_limits(tmp_path: Path, sockets: Path,
                                                                      desktop_image: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A few hundred KB that take a metric to gigabytes and a minute: cut at the limit, scored as a failure."""
    openpyxl = pytest.importorskip("openpyxl")
    suite = tmp_path / "suite" / "spreadsheet"
    (suite / "assets").mkdir(parents=True)
    gold = openpyxl.Workbook()
    gold.active.append([2])
    gold.save(suite / "assets" / "gold.xlsx")
    (suite / "bomb.json").write_text(json.dumps({
        "id": "sum-bomb", "instruction": "Put 2 in A1 of ~/Desktop/result.xlsx.", "config": [],
        "evaluator": {"func": "compare_table",
                      "result": {"type": "vm_file", "path": "/home/user/Desktop/result.xlsx", "dest": "result.xlsx"},
                      "expected": {"type": "cloud_file", "path": "assets/gold.xlsx", "dest": "gold.xlsx"},
                      "options": {"rules": [{"type": "sheet_data", "sheet_idx0": 0, "sheet_idx1": "EI0"}]}}}))
    [task] = load_tasks(tmp_path / "suite")
    monkeypatch.setattr(limits, "MEMORY_BYTES", 1024**3)
    monkeypatch.setattr(limits, "CPU_SECONDS", 20.0)
    record = attack(red.SpreadsheetBomb(), task, tmp_path, timeout=90)
    assert_honest_failure(record)  # the metric may decline such a file quickly, or be cut at its limits
    assert record.reason in (None, "checker_limit"), record.reason
    assert record.timings.total < 90 + 10, "evaluation stays within the episode's time limit"


def test_metric_limits_cut_memory_and_cpu_hogs_without_harm_to_the_harness(monkeypatch: pytest.MonkeyPatch) -> None:
    """The limits themselves, on metrics that do what a bomb makes a metric do (no container needed)."""
    monkeypatch.setattr(limits, "MEMORY_BYTES", 1024**3)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(limits.CheckerLimit, match="memory"):
        limits.run_metric(red.metric_eating_memory, None, None, {})
    started = time.monotonic()
    with limits.metric_deadline(time.monotonic() + 2.5), pytest.raises(limits.CheckerLimit):
        limits.run_metric(red.metric_spinning, None, None, {})
    # RLIMIT_CPU ends it after 2 CPU seconds; the host's own bound is the deadline plus 5 s of grace, which a loaded
    # machine (the CPU seconds take longer in wall time) may need: 2.5 + 5, and a second for the fork and the answer
    assert time.monotonic() - started < 8.5, "cut at the episode's deadline"
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024 < 100, "the harness untouched"


# ------------------------------------------------------------------ exhaustion: the guest survives to score


def test_filling_the_disk_stays_inside_and_the_guest_scores(tmp_path: Path, sockets: Path,
                                                            desktop_image: str) -> None:
    free_before = shutil.disk_usage(tmp_path).free
    record = attack(red.DiskFill(), TASKS["hello-file"], tmp_path)
    assert_honest_failure(record)
    assert_checkers_ran(record)
    assert free_before - shutil.disk_usage(tmp_path).free < 1024**3, "3.5 GB written, none of it on the host"
    assert (tmp_path / "run" / "episodes").is_dir(), "the run folder is written as ever"


def test_a_fork_bomb_is_reclaimed_and_the_guest_scores(tmp_path: Path, sockets: Path, desktop_image: str) -> None:
    record = attack(red.ForkBomb(), TASKS["count-errors"], tmp_path)
    assert_honest_failure(record, "pids_exhausted")
    assert_checkers_ran(record)


def test_a_memory_hog_is_killed_before_the_guest(tmp_path: Path, sockets: Path, desktop_image: str) -> None:
    record = attack(red.MemoryHog(), TASKS["hello-file"], tmp_path)
    assert_honest_failure(record)
    assert_checkers_ran(record)


def test_the_forgery_works_on_a_desktop_user_checker_and_not_on_the_guests(desktop_image: str) -> None:
    """The control for the test above: the same planted files do fool a checker run as the desktop user."""
    spec = json.loads((SMOKE / "terminal" / "count-errors.json").read_text())
    tr_checker = spec["evaluator"]["result"]["command"]
    py_checker = "python3 -c \"print(open('/home/user/Desktop/errors.txt').read().strip())\""
    with start_sandbox(desktop_image, labels={"deskbench.run": RUN}) as box:
        for command in red.ForgeCheckerCommands.commands:
            box.guest.run(["/bin/bash", "-lc", command], timeout=30)
        for checker in (tr_checker, py_checker):
            as_user = box.guest.run(["/bin/bash", "-lc", checker], timeout=30).stdout.strip()
            as_guest = box.guest.run(checker, timeout=30, as_guest=True).stdout.strip()
            assert (as_user, as_guest) == ("3", "0"), checker


# ------------------------------------------------------------------ the host's side of the channel (no desktop needed)


class _OneAnswer(http.server.BaseHTTPRequestHandler):
    """Answers one request, then drops the connection: what a killed or replaced guest looks like."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass


@contextmanager
def _unix_server(path: Path) -> Iterator[list[int]]:
    """A one-answer-per-connection server on ``path``; yields the list it appends each connection to."""
    accepted: list[int] = []

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

        def verify_request(self, request: object, client_address: object) -> bool:
            accepted.append(1)
            return True

    server = Server(str(path), _OneAnswer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield accepted
    finally:
        server.shutdown()
        server.server_close()


def test_the_host_connects_only_to_a_socket_owned_by_the_guest(tmp_path: Path) -> None:
    path = tmp_path / "guest.sock"
    with pytest.raises(GuestLost):  # nothing there
        GuestClient(str(path), owner=GUEST_UID).health()
    path.write_text("not a socket")
    with pytest.raises(IntegrityError, match="not the guest's socket"):
        GuestClient(str(path), owner=GUEST_UID).health()
    path.unlink()
    with _unix_server(tmp_path / "real.sock") as accepted:
        path.symlink_to(tmp_path / "real.sock")  # a link to a live socket is never followed
        with pytest.raises(IntegrityError, match="not the guest's socket"):
            GuestClient(str(path), owner=GUEST_UID).health()
        path.unlink()
        os.link(tmp_path / "real.sock", path)  # a socket of the wrong owner (the test's own user)
        with pytest.raises(IntegrityError, match=f"owned by uid {os.getuid()}"):
            GuestClient(str(path), owner=GUEST_UID).health()
        assert accepted == [], "not one connection was made"
        assert GuestClient(str(path), owner=os.getuid()).health() == {"ok": True}  # the control: the owner's


def test_a_sealed_client_reports_a_lost_guest_instead_of_redialling(tmp_path: Path) -> None:
    with _unix_server(tmp_path / "g.sock") as accepted:
        fresh = GuestClient(str(tmp_path / "g.sock"), owner=os.getuid())
        fresh.health()
        fresh.health()  # before start-up is over, a dropped keep-alive connection is dialled again
        assert len(accepted) == 2
        sealed = GuestClient(str(tmp_path / "g.sock"), owner=os.getuid())
        sealed.health()
        sealed.seal()
        with pytest.raises(GuestLost, match="connection lost"):
            sealed.health()
        assert len(accepted) == 3, "the sealed client did not dial again"
