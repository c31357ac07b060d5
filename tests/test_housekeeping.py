"""Housekeeping next to live runs: race-free listing, gc by owner, host leftovers, options refused up front."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker.errors
import pytest

from harness.sandbox.container import LABEL
from harness.sandbox.engine import docker_client, list_containers
from harness.sandbox.gc import collect_garbage, keep_reason, leftover_containers, remove_dead_folders
from harness.sandbox.ownership import current_owner, folder_owner, is_alive
from harness.sandbox.removal import remove_tree
from harness.store.run_folder import RunFolder, folder_lock_holder

REPO = Path(__file__).resolve().parents[1]
TERMINAL = REPO / "tasks" / "smoke" / "terminal"  # three quick tasks


# -- listing and removal under concurrent change ------------------------------------------------------------------

def _idle_containers(image: str, run_id: str, count: int) -> list[str]:
    client = docker_client()
    names = []
    for _ in range(count):
        c = client.containers.create(image, command=["sleep", "60"], labels={LABEL: "1", f"{LABEL}.run": run_id},
                                     network_mode="none", user="1000:1000")
        names.append(str(c.name))
    return names


def test_listing_while_another_process_removes_containers_never_raises(desktop_image: str) -> None:
    """A thread removes containers in a loop while the listing functions are asked again and again."""
    run_id = f"pytest-list-race-{os.getpid()}"
    names = _idle_containers(desktop_image, run_id, 16)
    errors: list[BaseException] = []
    done = threading.Event()

    def remover() -> None:
        client = docker_client()
        try:
            for name in names:
                try:
                    client.containers.get(name).remove(force=True)
                except docker.errors.NotFound:
                    pass  # the listers' gc got there first
                except docker.errors.APIError as exc:
                    if "already in progress" not in str(exc):  # the listers' gc removing it at this moment
                        errors.append(exc)
        finally:
            done.set()

    def lister() -> None:
        deadline = time.monotonic() + 120
        while not done.is_set() and time.monotonic() < deadline:
            try:
                list_containers({"label": [f"{LABEL}.run={run_id}"]})
                leftover_containers(run_id)
                collect_garbage(run_id)  # removes concurrently too: "already gone" is done, not an error
            except BaseException as exc:  # noqa: BLE001 - any exception is the failure under test
                errors.append(exc)
                return

    threads = [threading.Thread(target=remover), threading.Thread(target=lister), threading.Thread(target=lister)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert leftover_containers(run_id) == []


# -- gc by owner, beside a live run and after a killed one --------------------------------------------------------

def _run(run_dir: Path, env: dict[str, str], parallel: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "--suite", str(TERMINAL), "--agent",
                             "tests.gated_agent:GatedAgent", "--parallel", str(parallel), "--quiet", "--retries",
                             "2", "--run-dir", str(run_dir)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_containers(run_id: str, count: int, proc: subprocess.Popen[str], seconds: float = 120) -> list[str]:
    deadline = time.monotonic() + seconds
    while True:
        running = [c for c in list_containers({"label": [f"{LABEL}.run={run_id}"]}, all=False)]
        if len(running) >= count:
            return sorted(str(c.name) for c in running)
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{run_id}: {count} containers never ran"
        time.sleep(0.1)


@pytest.fixture
def host_folders(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment whose socket and temporary folders are the test's own, so their leftovers can be counted."""
    short = Path(tempfile.mkdtemp(prefix="dbhk-", dir="/tmp"))  # a Unix socket's path must stay under 108 bytes
    sockets, temp = short / "s", short / "t"
    sockets.mkdir()
    temp.mkdir()
    yield {**os.environ, "DESKBENCH_SOCKET_DIR": str(sockets), "TMPDIR": str(temp),
           "GATED_AGENT_GATE": str(tmp_path / "gate")}
    remove_tree(short)


def _owned_by(pid: int, *roots: str) -> list[Path]:
    return [p for root in roots for p in Path(root).iterdir() if (o := folder_owner(p)) is not None and o.pid == pid]


def test_gc_keeps_a_live_runs_containers_and_removes_a_killed_runs(tmp_path: Path, desktop_image: str,
                                                                   host_folders: dict[str, str],
                                                                   no_leftovers: None) -> None:
    tag = uuid.uuid4().hex[:8]  # run ids are container labels: unique, so no other run's containers are counted
    live_dir, dead_dir = tmp_path / f"pytest-gc-live-{tag}", tmp_path / f"pytest-gc-killed-{tag}"
    live = _run(live_dir, host_folders, parallel=2)
    dead = _run(dead_dir, host_folders, parallel=1)
    try:
        live_names = _wait_for_containers(live_dir.name, 2, live)
        dead_names = _wait_for_containers(dead_dir.name, 1, dead)
        roots = (host_folders["DESKBENCH_SOCKET_DIR"], host_folders["TMPDIR"])
        assert len(_owned_by(dead.pid, *roots)) == 2, "the killed run's socket folder and episode cache"
        os.kill(dead.pid, signal.SIGKILL)
        dead.communicate(timeout=30)
        assert leftover_containers(dead_dir.name) == dead_names, "kill -9 leaves its container behind"

        gc = subprocess.run([sys.executable, "-m", "harness.cli", "gc"], cwd=REPO, env=host_folders,
                            capture_output=True, text=True, timeout=120)
        assert gc.returncode == 0, gc.stderr
        assert leftover_containers(dead_dir.name) == [], gc.stdout
        # other sessions on the same engine may have garbage of their own for this gc: the killed run's is among it
        removed = next((line.split(": ", 1)[1].split(", ") for line in gc.stdout.splitlines()
                        if line.startswith("removed ")), [])
        assert dead_names[0] in removed, gc.stdout
        still = sorted(leftover_containers(live_dir.name))
        assert set(live_names) <= set(still), f"the live run's containers stay: {live_names} -> {still}"
        for name in still:
            assert f"kept {name}: its run folder {live_dir} is in use by process {live.pid}" in gc.stdout, gc.stdout
        assert _owned_by(dead.pid, *roots) == [], "the killed run's host folders are removed"
        assert len(_owned_by(live.pid, *roots)) == 4, "the live run's host folders stay"
    finally:
        (tmp_path / "gate").touch()
        if dead.poll() is None:
            dead.kill()
        _, err = live.communicate(timeout=300)
    assert live.returncode == 0, err
    records = RunFolder(live_dir).results()
    assert len(records) == 3 and all(r.attempt == 0 and r.status == "failure" for r in records), \
        [(r.episode_id, r.attempt, r.status, r.error) for r in records]


# -- ownership, locks and trees, without Docker -------------------------------------------------------------------

def test_an_owner_is_alive_only_while_its_process_runs(tmp_path: Path) -> None:
    me = current_owner()
    assert is_alive(me)
    child = subprocess.Popen([sys.executable, "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(30)"],
                             stdout=subprocess.PIPE, text=True)
    try:
        pid = int(child.stdout.readline()) if child.stdout else 0
        from harness.sandbox.ownership import Owner, process_start

        start = process_start(pid)
        assert start is not None
        other = Owner(me.host, me.boot, pid, start)
        assert is_alive(other)
        assert not is_alive(Owner(me.host, me.boot, pid, start + 1)), "a reused pid is not the same owner"
        assert keep_reason(other.labels()) == f"its owner, process {pid} on {me.host}, is alive"
    finally:
        child.kill()
        child.wait()
    assert not is_alive(other)
    assert keep_reason(other.labels()) is None
    assert keep_reason(Owner("elsewhere", me.boot, pid, start).labels()) == \
        "its owner is on host elsewhere; run gc there"


def test_the_lock_holder_of_a_run_folder_is_found_without_taking_the_lock(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path / "run")
    folder.create()
    assert folder_lock_holder(folder.path) is None
    with folder.lock():
        assert folder_lock_holder(folder.path) == str(os.getpid())
        assert folder_lock_holder(folder.path) == str(os.getpid()), "asking does not take or break the lock"
    assert folder_lock_holder(folder.path) is None


def test_a_dead_owners_folders_are_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    from harness.sandbox.ownership import process_start

    me = current_owner()
    mine = tmp_path / f"deskbench-sock-{me.pid}.{me.start}-abc"
    dead = tmp_path / f"deskbench-episode-{child.pid}.{(process_start(os.getpid()) or 0) + 7}-xyz"
    other = tmp_path / "deskbench-unrelated"
    for path in (mine, dead, other):
        (path / "sub").mkdir(parents=True)
    assert remove_dead_folders([tmp_path]) == [dead]
    assert mine.exists() and other.exists() and not dead.exists()


def test_remove_tree_copes_with_deep_trees_links_and_fifos(tmp_path: Path) -> None:
    """1,500 folders deep (``shutil.rmtree`` raises RecursionError), links out of the tree, a FIFO, a locked folder."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("precious")
    root = tmp_path / "tree"
    here = root
    for depth in range(1500):
        here = here / "d"
        if depth % 300 == 0:
            here.mkdir(parents=True)
            (here / "out").symlink_to(outside)
            (here / "file").symlink_to(outside / "keep.txt")
            os.mkfifo(here / "pipe")
    here.mkdir(parents=True, exist_ok=True)
    (here / "leaf.txt").write_text("x")
    locked = root / "locked"
    (locked / "inner").mkdir(parents=True)
    locked.chmod(0o000)
    remove_tree(root)
    assert not root.exists()
    assert (outside / "keep.txt").read_text() == "precious", "links are removed, never followed"
    remove_tree(root)  # already gone: nothing to do
    link = tmp_path / "link"
    link.symlink_to(outside)
    remove_tree(link)
    assert not link.exists() and outside.exists()
