"""``--executor ray`` on a real Ray cluster of two nodes on this machine (a head and one more node, each declaring
episode slots): a cluster run's folder matches a local run's; a node killed mid-run loses and duplicates nothing;
Ctrl-C leaves no container; a driver killed with SIGKILL resumes.  Ray starts once for the module."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.runner import RunConfig, execute_run
from harness.runner.executors.ray_node import SLOTS
from harness.sandbox.engine import list_containers
from harness.store import RunFolder, load_results
from harness.tasks import load_tasks

from .conftest import SMOKE

pytestmark = pytest.mark.docker
SUITE = SMOKE / "terminal"  # three short tasks
#: an agent in the installed package (every node imports it): thinks 1 s a turn and never finishes early
SLOW_AGENT = "harness.bench.throughput:FixedThinkMover"
#: each node's object store (Ray's default takes 30% of memory): results of a few episodes need far less
NODE: dict[str, Any] = {"num_cpus": 1, "resources": {SLOTS: 1}, "object_store_memory": 256 * 2**20}
#: how fast the head notices a dead node (Ray's defaults take half a minute)
FAST_FAILURE = {"health_check_initial_delay_ms": 500, "health_check_period_ms": 500,
                "health_check_failure_threshold": 3, "health_check_timeout_ms": 500}


@pytest.fixture(scope="module")
def cluster(desktop_image: str) -> Iterator[Any]:
    """A Ray head and one more node process on this machine, one episode slot each; the driver is not this process."""
    from ray.cluster_utils import Cluster

    made = Cluster(initialize_head=True, connect=False,
                   head_node_args={**NODE, "_system_config": FAST_FAILURE, "include_dashboard": False})
    made.add_node(**NODE)
    made.wait_for_nodes()
    yield made
    made.shutdown()  # type: ignore[no-untyped-call]  # ray's Cluster.shutdown carries no annotations


def deskbench(run_dir: Path, address: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "--suite", str(SUITE), "--parallel", "2",
                             "--quiet", "--executor", "ray", "--ray-address", address, "--run-dir", str(run_dir),
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def containers_of(run_dir: Path) -> list[str]:
    return [str(c.name) for c in list_containers({"label": [f"deskbench.run={run_dir.name}"]})]


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def records(run_dir: Path) -> list[dict[str, Any]]:
    file = run_dir / "episodes.jsonl"
    return [json.loads(line) for line in file.read_text().splitlines()] if file.is_file() else []


def trajectory_files(run_dir: Path) -> set[str]:
    return {str(p.relative_to(run_dir)) for p in (run_dir / "episodes").rglob("*") if p.is_file()}


def finished(proc: subprocess.Popen[str], seconds: float = 240) -> str:
    out, _ = proc.communicate(timeout=seconds)
    assert proc.returncode == 0, out
    return out


def test_a_cluster_run_writes_the_folder_a_local_run_writes(cluster: Any, tmp_path: Path) -> None:
    local, remote = tmp_path / "pytest-ray-local", tmp_path / "pytest-ray-cluster"
    proc = deskbench(remote, cluster.address)
    execute_run(load_tasks(SUITE), RunConfig(agent="oracle", parallel=1), RunFolder(local))
    out = finished(proc)
    assert "3 episodes (success 3)" in out, out
    columns = ["episode_id", "status", "score", "steps_used", "attempt", "agent", "budget", "checkers"]
    ours, theirs = (load_results(p)[columns].sort_values("episode_id").reset_index(drop=True) for p in (remote, local))
    assert ours.equals(theirs), f"cluster:\n{ours}\nlocal:\n{theirs}"
    assert trajectory_files(remote) == trajectory_files(local)
    assert {r["run_id"] for r in records(remote)} == {remote.name}
    assert not containers_of(remote)


def test_a_node_killed_mid_run_loses_and_duplicates_nothing(cluster: Any, tmp_path: Path) -> None:
    run_dir = tmp_path / f"pytest-ray-node-lost-{os.getpid()}"
    proc = deskbench(run_dir, cluster.address, "--agent", SLOW_AGENT, "--budgets", "3")
    wait_for(lambda: len(containers_of(run_dir)) == 2, 120, "an episode on each node")
    worker = next(n for n in cluster.list_all_nodes() if not n.head)
    cluster.remove_node(worker, allow_graceful=False)  # the node's raylet and its workers, killed
    cluster.add_node(**NODE)  # a node that joins later takes the retry, or the head does
    finished(proc)
    rows = records(run_dir)
    assert Counter((r["episode_id"], r["attempt"]) for r in rows).most_common(1)[0][1] == 1, rows
    lost = [r for r in rows if r["status"] == "infra_error"]
    assert len(lost) == 1 and lost[0]["will_retry"] and "Ray node" in lost[0]["error"], rows
    final = load_results(run_dir)
    assert sorted(final["episode_id"]) == sorted(f"terminal.{t.id}.b3.r0" for t in load_tasks(SUITE))
    assert set(final["status"]) == {"failure"}  # the mover never finishes a task: every episode scored
    assert (run_dir / "episodes" / f"{lost[0]['episode_id']}.a1" / "steps.jsonl").is_file()
    assert not containers_of(run_dir)


def test_ctrl_c_leaves_no_container_and_a_driver_killed_with_sigkill_resumes(cluster: Any, tmp_path: Path) -> None:
    run_dir = tmp_path / f"pytest-ray-driver-stopped-{os.getpid()}"
    proc = deskbench(run_dir, cluster.address, "--agent", SLOW_AGENT, "--budgets", "2")
    wait_for(lambda: len(containers_of(run_dir)) == 2, 120, "an episode on each node")
    os.kill(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out
    assert not containers_of(run_dir), out  # the cancelled episodes removed theirs, on both nodes
    assert records(run_dir) == []  # abandoned episodes are not recorded: a resume runs them
    proc = deskbench(run_dir, cluster.address, "--agent", SLOW_AGENT, "--budgets", "2")
    wait_for(lambda: len(records(run_dir)) >= 1, 120, "a first episode")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = records(run_dir)
    finished(deskbench(run_dir, cluster.address, "--agent", SLOW_AGENT, "--budgets", "2"))
    after = records(run_dir)
    assert after[:len(before)] == before
    assert Counter(r["episode_id"] for r in after) == Counter(f"terminal.{t.id}.b2.r0" for t in load_tasks(SUITE))
    assert not containers_of(run_dir)  # what the killed driver's episodes left, removed by the resumed run


@pytest.mark.parametrize(("args", "message"), [
    (["--executor", "threads"], "--executor must be one of local, ray, got 'threads'"),
    (["--ray-address", "10.0.0.1:6379"], "--ray-address 10.0.0.1:6379 needs --executor ray"),
    (["--executor", "ray", "--confirm", "ask"], "--confirm ask needs a terminal beside each episode"),
])
def test_a_bad_executor_option_is_one_line(tmp_path: Path, args: list[str], message: str,
                                           monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    from harness.cli.app import main

    monkeypatch.setattr(sys, "argv", ["deskbench", "run", "--suite", str(SUITE), "--run-dir",
                                      str(tmp_path / "pytest-ray-refused"), *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 1 and message in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "pytest-ray-refused").exists()


def test_gc_cleans_every_node_of_the_cluster(cluster: Any, desktop_image: str) -> None:
    import docker

    run_id = f"pytest-ray-gc-{os.getpid()}"
    left = docker.from_env().containers.run(desktop_image, ["sleep", "120"], detach=True,
                                            labels={"deskbench": "", "deskbench.run": run_id})  # no owner: garbage
    done = subprocess.run([sys.executable, "-m", "harness.cli", "gc", "--run", run_id, "--ray-address",
                           cluster.address], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("node ") == 2, done.stdout  # each node ran gc; the first to get there removed it
    assert str(left.name) in done.stdout
    assert not list_containers({"label": [f"deskbench.run={run_id}"]})


def test_a_node_whose_image_differs_from_the_manifest_refuses_the_episode(desktop_image: str) -> None:
    from harness.runner.episode import EpisodeOptions, EpisodeSpec
    from harness.runner.executors.ray_node import image_refusal
    from harness.store.manifest import RunManifest

    spec = EpisodeSpec(load_tasks(SUITE)[0], budget=2)
    manifest = RunManifest(deskbench_version="test", identity={"images": {"desktop": "sha256:" + "0" * 64}})
    refusal = image_refusal(spec, EpisodeOptions(run_id="pytest-ray-image"), manifest.model_dump_json())
    assert refusal is not None and "the run's manifest says sha256:0000" in refusal, refusal
    manifest.identity["images"]["desktop"] = list_images_id(desktop_image)
    assert image_refusal(spec, EpisodeOptions(run_id="pytest-ray-image"), manifest.model_dump_json()) is None


def list_images_id(tag: str) -> str:
    from harness.sandbox.engine import docker_client

    return str(docker_client().images.get(tag).id)
