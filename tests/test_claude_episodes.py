"""Claude episodes in real desktops against the local Messages API: the smoke suite solved by replayed reference
solutions, tokens and dollars matching what the server billed, retries, and how failures are classified."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.agents.claude import ClaudeAgent
from harness.agents.spec import build_spec
from harness.mockapi import Faults, MockServer, load_scripts
from harness.runner import EpisodeOptions, EpisodeSpec, RunConfig, execute_run, run_episode
from harness.store import RunFolder
from harness.tasks import load_tasks

from .claude_support import SleepLog, client_for
from .conftest import REPO, SMOKE

pytestmark = [pytest.mark.docker,
              pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")]
TASKS = load_tasks(SMOKE)
SCRIPTS = load_scripts(SMOKE)
MODEL = "claude-sonnet-4-5"


def task(task_id: str) -> Any:
    return next(t for t in TASKS if t.id == task_id)


def claude_containers() -> set[str]:
    """Containers of this module's runs (all named pytest-claude-...): other suites may run at the same time."""
    from harness.sandbox.engine import docker_client

    # the low-level listing: no per-container inspect that races with other suites removing theirs
    found = docker_client().api.containers(all=True, filters={"label": ["deskbench.run"]})
    return {str(c["Id"]) for c in found if str(c["Labels"].get("deskbench.run", "")).startswith("pytest-claude-")}


@pytest.fixture
def no_claude_leftovers() -> Iterator[None]:
    before = claude_containers()
    yield
    after = claude_containers() - before
    assert not after, f"containers left behind: {sorted(after)}"


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "pytest-key")


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer(SCRIPTS) as srv:
        yield srv


def priced(usage: dict[str, int]) -> float:
    """Cost of one call computed here from the price file, independently of harness.agents.pricing."""
    table = json.loads((REPO / "harness" / "agents" / "pricing.json").read_text())
    price = table["models"][MODEL]
    return float(usage["input_tokens"] * price["input"] + usage["output_tokens"] * price["output"]
            + usage["cache_creation_input_tokens"] * price["input"] * table["cache_write_multiplier"]
            + usage["cache_read_input_tokens"] * price["input"] * table["cache_read_multiplier"]) / 1e6


def test_smoke_suite_solved_by_claude_replaying_reference_solutions_and_billed_exactly(
        server: MockServer, api_key: None, tmp_path: Path, desktop_image: str, no_claude_leftovers: None) -> None:
    spec = build_spec("claude", {"model": MODEL, "base_url": server.url})
    results = execute_run(TASKS, RunConfig(agent=spec, budgets=(15,)), RunFolder(tmp_path / "pytest-claude-smoke"))
    by_task = {r.task_id: r for r in results}
    assert set(by_task) == {t.id for t in TASKS}
    wrong = {k: (r.status, r.score, r.error) for k, r in by_task.items() if r.status != "success"}
    assert not wrong, wrong
    for t in TASKS:  # one model turn per solution action, then the final answer
        assert by_task[t.id].steps_used == len(t.solution or []) + 1
        assert by_task[t.id].last_control == "DONE" and by_task[t.id].model == MODEL
    billed = [c.usage for c in server.successful_calls() if c.usage]
    assert len(billed) == sum(r.steps_used for r in results)
    for field, key in [("input_tokens", "input_tokens"), ("output_tokens", "output_tokens"),
                       ("cache_write_tokens", "cache_creation_input_tokens"),
                       ("cache_read_tokens", "cache_read_input_tokens")]:
        assert sum(getattr(r.usage, field) for r in results) == sum(u[key] for u in billed), field
    assert sum(r.usage.cost_usd for r in results) == pytest.approx(sum(priced(u) for u in billed), rel=1e-9)
    for r in results:  # and per episode, from the calls of that episode's script
        mine = [c.usage for c in server.successful_calls() if c.script == r.task_id and c.usage]
        assert r.usage.cost_usd == pytest.approx(sum(priced(u) for u in mine), rel=1e-9)
    assert all(c.status == 200 for c in server.calls)


def test_injected_overloads_are_retried_and_the_episode_still_succeeds(desktop_image: str,
                                                                        no_claude_leftovers: None) -> None:
    with MockServer(SCRIPTS, Faults(fail_first=3, status=529, retry_after=0.2)) as srv:
        sleep = SleepLog()
        agent = ClaudeAgent(MODEL, client=client_for(srv), sleep=sleep)
        record = run_episode(EpisodeSpec(task("sort-downloads"), 15), agent, EpisodeOptions(run_id="pytest-claude-529"))
        assert (record.status, record.score) == ("success", 1.0), record.error
        assert sleep.waits == [0.2, 0.2, 0.2]
        assert agent.calls[0]["retries"] == 3 and [c["retries"] for c in agent.calls[1:]] == [0] * 3
        assert [c.status for c in srv.calls][:4] == [529, 529, 529, 200]


def test_a_persistent_api_failure_ends_as_infra_error(desktop_image: str, no_claude_leftovers: None) -> None:
    with MockServer(SCRIPTS, Faults(fail_always=True, status=500)) as srv:
        agent = ClaudeAgent(MODEL, client=client_for(srv), sleep=SleepLog(), max_retries=2)
        record = run_episode(EpisodeSpec(task("count-errors"), 15), agent, EpisodeOptions(run_id="pytest-claude-500"))
        assert record.status == "infra_error" and record.score is None
        assert "after 2 retries" in (record.error or "") and "HTTP 500 api_error" in (record.error or "")
        assert len(srv.calls) == 3 and record.steps_used == 0


class UnknownToolType(ClaudeAgent):
    """Declares a computer tool version that does not exist."""

    def tool_definitions(self) -> list[dict[str, Any]]:
        return [{**d, "type": "computer_20990101"} if d["name"] == "computer" else d for d in super().tool_definitions()]


class DropsAResult(ClaudeAgent):
    """Forgets the tool_result of the previous turn's tool_use."""

    def request(self, max_tokens: int | None = None) -> dict[str, Any]:
        request = super().request(max_tokens)
        last = request["messages"][-1]
        if last["role"] == "user" and any(b.get("type") == "tool_result" for b in last["content"]):
            request["messages"][-1] = {"role": "user", "content": [{"type": "text", "text": "go on"}]}
        return request


@pytest.mark.parametrize("make,needle", [
    (lambda client: UnknownToolType(MODEL, client=client), "Input tag 'computer_20990101'"),
    (lambda client: ClaudeAgent(MODEL, client=client, beta="computer-use-2024-10-22"),
     "Input tag 'computer_20250124'"),
    (lambda client: DropsAResult(MODEL, client=client),
     "`tool_use` ids were found without `tool_result` blocks immediately after"),
])
def test_requests_the_api_rejects_end_as_agent_error_with_its_message(make: Any, needle: str, desktop_image: str,
                                                                      server: MockServer, no_claude_leftovers: None) -> None:
    agent = make(client_for(server))
    record = run_episode(EpisodeSpec(task("sort-downloads"), 15), agent, EpisodeOptions(run_id="pytest-claude-400"))
    assert record.status == "agent_error", record.error
    assert "HTTP 400 invalid_request_error" in (record.error or "") and needle in (record.error or "")
    assert server.calls[-1].status == 400


def test_the_cli_runs_claude_against_the_mock_with_model_and_agent_options(server: MockServer, tmp_path: Path,
                                                                            desktop_image: str,
                                                                            no_claude_leftovers: None) -> None:
    run_dir = tmp_path / "pytest-claude-cli"
    proc = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "--suite", str(SMOKE / "text_editor" / "change-port.json"),
         "--agent", "claude", "--model", "claude-haiku-4-5-20251001", "--agent-option", f"base_url={server.url}",
         "--agent-option", "keep_screenshots=2", "--agent-option", "tool_version=20250124", "--run-dir", str(run_dir)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "ANTHROPIC_API_KEY": "pytest-key"})
    assert proc.returncode == 0, proc.stderr
    record = json.loads((run_dir / "episodes.jsonl").read_text().splitlines()[0])
    assert (record["status"], record["model"], record["agent"]) == ("success", "claude-haiku-4-5-20251001", "claude")
    assert record["usage"]["cost_usd"] > 0
    # the forced 20250124 tools: the server saw str_replace_editor and the matching beta
    assert all(c.betas == ["computer-use-2025-01-24"] for c in server.calls)


def test_fail_and_random_agents_run_episodes(tmp_path: Path, desktop_image: str, no_claude_leftovers: None) -> None:
    hello = [task("hello-file")]
    fail = execute_run(hello, RunConfig(agent="fail", budgets=(5,)), RunFolder(tmp_path / "pytest-claude-fail"))
    assert [(r.status, r.steps_used, r.last_control) for r in fail] == [("failure", 1, "FAIL")]
    rand = execute_run(hello, RunConfig(agent=build_spec("random", {"seed": 1, "actions": 2}), budgets=(3,)),
                       RunFolder(tmp_path / "pytest-claude-random"))
    assert [(r.status, r.steps_used) for r in rand] == [("failure", 3)]
