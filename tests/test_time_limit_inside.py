"""The episode's time limit is enforced inside a long command, not only between steps: a setup step or an agent's
bash command that would run for a minute is cut at the limit."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from harness.actions.vocabulary import BashAction
from harness.agents import Agent, EpisodeInfo, Observation, Turn
from harness.runner.run import RunConfig, execute_run
from harness.store.run_folder import RunFolder
from harness.tasks.loader import load_tasks

pytestmark = pytest.mark.docker
LIMIT = 12.0  # seconds: the episode's --timeout in both tests


class SleepyAgent(Agent):
    """Runs one bash command that takes a minute (under the bash tool's own 120 s timeout)."""

    name = "sleepy"

    def start(self, episode: EpisodeInfo) -> None:
        pass

    def act(self, observation: Observation) -> Turn:
        if observation.step == 0:
            return Turn(actions=[BashAction(command="sleep 60")])
        return Turn(control="DONE")


def _task(folder: Path, config: list[dict[str, object]]) -> Path:
    (folder / "os").mkdir(parents=True)
    path = folder / "os" / "slow.json"
    path.write_text(json.dumps({"id": "slow", "instruction": "x", "config": config,
                                "evaluator": {"func": "infeasible"}}))
    return path


def test_a_setup_step_that_outlasts_the_limit_is_cut_as_a_setup_error(tmp_path: Path, desktop_image: str,
                                                                      no_leftovers: None) -> None:
    tasks = load_tasks(_task(tmp_path / "suite", [{"type": "execute", "parameters": {"command": "sleep 60"}}]))
    started = time.monotonic()
    [record] = execute_run(tasks, RunConfig(agent="noop", timeout=LIMIT, retries=0),
                           RunFolder(tmp_path / "pytest-limit-setup"))
    assert record.status == "setup_error" and "time limit" in (record.error or ""), (record.status, record.error)
    assert time.monotonic() - started < LIMIT + 15, "cut at the limit, not after the step's own 60 s"


def test_an_agent_command_that_outlasts_the_limit_ends_the_episode_as_its_timeout(tmp_path: Path,
                                                                                  desktop_image: str,
                                                                                  no_leftovers: None) -> None:
    tasks = load_tasks(_task(tmp_path / "suite", []))
    started = time.monotonic()
    [record] = execute_run(tasks, RunConfig(agent="tests.test_time_limit_inside:SleepyAgent", timeout=LIMIT,
                                            retries=0), RunFolder(tmp_path / "pytest-limit-agent"))
    assert record.status == "failure" and record.reason == "timeout", (record.status, record.reason, record.error)
    assert record.steps_used == 1
    assert time.monotonic() - started < LIMIT + 15, "cut at the limit, not after the command's own 60 s"
