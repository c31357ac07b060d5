"""Resuming runs in real containers: after kill -9 nothing is lost or duplicated, a different configuration is
refused, and infrastructure errors are retried with every attempt kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import ClassVar

import pytest

from harness.agents.base import Observation, Turn
from harness.agents.scripted import OracleAgent
from harness.errors import InfraError
from harness.runner import RunConfig, execute_run
from harness.sandbox.gc import leftover_containers
from harness.store import RunFolder, load_results
from harness.tasks import load_tasks

from .conftest import REPO, SMOKE

pytestmark = pytest.mark.docker
TASKS = load_tasks(SMOKE)


class SlowOracle(OracleAgent):
    """The oracle, thinking 0.4 s per turn: slow enough to be killed mid-run."""

    name = "slow-oracle"

    def act(self, observation: Observation) -> Turn:
        time.sleep(0.4)
        return super().act(observation)


class FlakyOracle(OracleAgent):
    """The oracle behind an API that fails its first call of each task (as after the client's own retries)."""

    name = "flaky-oracle"
    failed: ClassVar[set[str]] = set()

    def act(self, observation: Observation) -> Turn:
        if self.task not in FlakyOracle.failed:
            FlakyOracle.failed.add(self.task)
            raise InfraError("model API unavailable (simulated 529 after retries)")
        return super().act(observation)

    def start(self, episode):  # type: ignore[no-untyped-def]
        self.task = episode.task_id
        super().start(episode)


def deskbench_run(run_dir: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "--suite", str(SMOKE), "--agent",
                             "tests.test_run_resume:SlowOracle", "--parallel", "2", "--quiet", "--run-dir",
                             str(run_dir), *extra], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait_for_lines(file: Path, count: int, proc: subprocess.Popen[str], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while not (file.is_file() and file.read_text().count("\n") >= count):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{count} episodes never finished"
        time.sleep(0.1)


def test_kill_9_mid_run_then_resume_loses_and_duplicates_nothing(tmp_path: Path, desktop_image: str,
                                                                  no_leftovers: None) -> None:
    run_dir = tmp_path / "pytest-resume-kill"
    proc = deskbench_run(run_dir)
    wait_for_lines(run_dir / "episodes.jsonl", 2, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    before = (run_dir / "episodes.jsonl").read_text()
    assert 2 <= before.count("\n") < len(TASKS), "the kill should land mid-run"
    resumed = deskbench_run(run_dir)
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    after = (run_dir / "episodes.jsonl").read_text()
    assert after.startswith(before), "finished episodes are kept as they were"
    ids = Counter(r.episode_id for r in RunFolder(run_dir).results())
    assert ids == Counter({f"{t.domain}.{t.id}.b15.r0": 1 for t in TASKS})
    assert (load_results(run_dir)["status"] == "success").all()
    assert leftover_containers(run_dir.name) == [], "the resumed run removes what the killed one left"


def test_resuming_with_another_configuration_is_refused(tmp_path: Path, desktop_image: str) -> None:
    run_dir = tmp_path / "pytest-resume-config"
    task = SMOKE / "terminal" / "count-errors.json"
    first = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--suite", str(task), "--quiet",
                            "--run-dir", str(run_dir)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    again = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--suite", str(task), "--quiet",
                            "--run-dir", str(run_dir), "--parallel", "4"], cwd=REPO, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0 and "resuming: 1 of 1" in again.stdout, again.stderr
    other = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--suite", str(task), "--quiet",
                            "--run-dir", str(run_dir), "--budgets", "15,50"], cwd=REPO, capture_output=True,
                           text=True, timeout=300)
    assert other.returncode == 1
    assert "refusing to resume" in other.stderr and "budgets: was [15], now [15, 50]" in other.stderr
    assert "Traceback" not in other.stderr
    assert (run_dir / "episodes.jsonl").read_text().count("\n") == 1


def test_infrastructure_errors_are_retried_and_every_attempt_kept(tmp_path: Path, desktop_image: str,
                                                                  no_leftovers: None) -> None:
    FlakyOracle.failed.clear()
    tasks = [t for t in TASKS if t.domain == "terminal"][:2]
    folder = RunFolder(tmp_path / "pytest-retry")
    records = execute_run(tasks, RunConfig(agent="tests.test_run_resume:FlakyOracle", retries=1), folder)
    assert [(r.task_id, r.attempt, r.status, r.will_retry) for r in records] == [
        (tasks[0].id, 0, "infra_error", True), (tasks[0].id, 1, "success", False),
        (tasks[1].id, 0, "infra_error", True), (tasks[1].id, 1, "success", False)]
    frame = load_results(folder.path)
    assert list(frame["status"]) == ["success", "success"] and list(frame["attempts"]) == [2, 2]
    assert (folder.path / "episodes" / f"terminal.{tasks[0].id}.b15.r0.a1" / "steps.jsonl").is_file()
    assert execute_run(tasks, RunConfig(agent="tests.test_run_resume:FlakyOracle", retries=1), folder) == []
    FlakyOracle.failed.clear()
    exhausted = execute_run(tasks[:1], RunConfig(agent="tests.test_run_resume:FlakyOracle", retries=0),
                            RunFolder(tmp_path / "pytest-retry-none"))
    assert [(r.status, r.will_retry) for r in exhausted] == [("infra_error", False)]
