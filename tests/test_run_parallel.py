"""Parallel episodes in real containers: eight at once on a small machine without infrastructure errors, model
calls capped separately from containers, and Ctrl-C stopping a parallel run cleanly and resumably."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import ClassVar

import pytest

from harness.agents.base import Observation, Turn
from harness.agents.scripted import OracleAgent
from harness.runner import RunConfig, execute_run
from harness.sandbox.gc import leftover_containers
from harness.store import RunFolder, load_results
from harness.tasks import load_tasks

from .conftest import REPO, SMOKE
from .test_run_resume import wait_for_lines

pytestmark = pytest.mark.docker
TASKS = load_tasks(SMOKE)


class CountingOracle(OracleAgent):
    """The oracle, 0.2 s per turn, counting how many turns run at the same moment."""

    name = "counting-oracle"
    lock = threading.Lock()
    now: ClassVar[int] = 0
    most: ClassVar[int] = 0

    def act(self, observation: Observation) -> Turn:
        with CountingOracle.lock:
            CountingOracle.now += 1
            CountingOracle.most = max(CountingOracle.most, CountingOracle.now)
        time.sleep(0.2)
        with CountingOracle.lock:
            CountingOracle.now -= 1
        return super().act(observation)


def test_eight_at_once_with_two_model_calls(tmp_path: Path, desktop_image: str, no_leftovers: None) -> None:
    CountingOracle.most = 0
    folder = RunFolder(tmp_path / "pytest-parallel-8")
    config = RunConfig(agent="tests.test_run_parallel:CountingOracle", repeats=2, parallel=8, model_calls=2)
    records = execute_run(TASKS, config, folder)
    frame = load_results(folder.path)
    assert len(frame) == 2 * len(TASKS)
    assert not [(r.episode_id, r.attempt, r.error) for r in records if r.status != "success"]
    assert (frame["attempts"] == 1).all(), "no infrastructure error, not even a retried one"
    assert CountingOracle.most == 2, "model calls are capped at 2 while 8 containers run"


def test_ctrl_c_stops_a_parallel_run_cleanly_and_it_resumes(tmp_path: Path, desktop_image: str,
                                                            no_leftovers: None) -> None:
    run_dir = tmp_path / "pytest-parallel-interrupt"
    command = [sys.executable, "-m", "harness.cli", "run", "--suite", str(SMOKE), "--agent",
               "tests.test_run_resume:SlowOracle", "--parallel", "3", "--quiet", "--run-dir", str(run_dir)]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_lines(run_dir / "episodes.jsonl", 1, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "to resume" in err
    assert leftover_containers(run_dir.name) == []
    partial = RunFolder(run_dir).results()
    assert len(partial) < len(TASKS) and all(r.status == "success" for r in partial), \
        "abandoned episodes are not recorded (as failures or otherwise)"
    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    ids = Counter(r.episode_id for r in RunFolder(run_dir).results())
    assert set(ids.values()) == {1} and len(ids) == len(TASKS)
