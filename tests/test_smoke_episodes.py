"""The smoke suite end to end in real containers: oracle scores 1 and noop 0 on every task,
and no container outlives its episode -- including one whose agent raises."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.agents import Agent, EpisodeInfo, Observation, Turn
from harness.agents.registry import AGENTS
from harness.runner import EpisodeOptions, EpisodeSpec, RunConfig, execute_run, run_episode
from harness.sandbox.gc import leftover_containers
from harness.store import RunFolder, load_results
from harness.tasks import load_tasks
from harness.tasks.schema import Getter, Task

from .conftest import SMOKE

pytestmark = pytest.mark.docker
TASKS = load_tasks(SMOKE)


def test_smoke_suite_has_the_promised_shape() -> None:
    domains = {t.domain for t in TASKS}
    assert len(TASKS) >= 5
    assert {"terminal", "text_editor", "files"} <= domains
    assert all(t.solution for t in TASKS)
    getters = {g.type for t in TASKS for g in _getters(t)}
    metrics = {f for t in TASKS for f in t.evaluator.funcs}
    assert {"vm_file", "vm_command_line", "rule"} <= getters
    assert {"exact_match", "check_include_exclude", "compare_text_file"} <= metrics


def _getters(task: Task) -> Iterator[Getter]:
    """Every getter of a task's evaluator; an aligned list's None (no expected value for that metric) is none."""
    for side in (task.evaluator.result, task.evaluator.expected):
        yield from (g for g in (side if isinstance(side, list) else [side]) if g is not None)


@pytest.mark.parametrize("agent,expected", [("oracle", 1.0), ("noop", 0.0)])
def test_every_smoke_task_scores_as_calibrated(agent: str, expected: float, tmp_path: Path, desktop_image: str,
                                                no_leftovers: None) -> None:
    folder = RunFolder(tmp_path / f"pytest-run-{agent}")
    results = execute_run(TASKS, RunConfig(agent=agent, budgets=(15,)), folder)
    by_task = {r.task_id: r for r in results}
    assert set(by_task) == {t.id for t in TASKS}
    wrong = {k: (r.status, r.score, r.error) for k, r in by_task.items() if r.score != expected}
    assert not wrong, f"{agent} should score {expected} everywhere: {wrong}"
    frame = load_results(folder.path)
    assert len(frame) == len(TASKS)
    assert (frame["timings.env_start"] > 0).all() and (frame["timings.evaluation"] > 0).all()


class ExplodingAgent(Agent):
    name = "exploding"

    def start(self, episode: EpisodeInfo) -> None:
        pass

    def act(self, observation: Observation) -> Turn:
        raise RuntimeError(f"boom at step {observation.step}")


def test_agent_that_raises_is_an_agent_error_and_leaves_no_container(desktop_image: str,
                                                                      no_leftovers: None) -> None:
    task = next(t for t in TASKS if t.id == "hello-file")
    record = run_episode(EpisodeSpec(task, 5), ExplodingAgent(), EpisodeOptions(run_id="pytest-explode"))
    assert record.status == "agent_error"
    assert "boom at step 0" in (record.error or "")
    assert record.score is None
    assert leftover_containers("pytest-explode") == []


def test_budget_caps_turns_and_results_append(tmp_path: Path, desktop_image: str, no_leftovers: None) -> None:
    """With budget 1 the oracle gets one turn: multi-step tasks fail, and a re-run resumes (skips all)."""
    task = next(t for t in TASKS if t.id == "sort-downloads")  # needs 3 actions
    folder = RunFolder(tmp_path / "pytest-run")
    first = execute_run([task], RunConfig(agent="oracle", budgets=(1, 15)), folder)
    scores = {r.budget: (r.steps_used, r.score) for r in first}
    assert scores == {1: (1, 0.0), 15: (4, 1.0)}
    assert execute_run([task], RunConfig(agent="oracle", budgets=(1, 15)), folder) == []
    assert len(folder.results()) == 2


def test_oracle_and_noop_are_registered() -> None:
    assert {"oracle", "noop"} <= set(AGENTS)
