"""The claude agent without a desktop: tool versions, the pairing of tool_use ids to results, refusals the
model sees, history pruning, cache breakpoints, thinking, accounting, retries and options -- every request
checked by the local Messages API server as the real API would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.actions import BashAction, ComputerAction, EditorAction
from harness.agents.base import EpisodeInfo, Observation
from harness.agents.claude import TOOLSETS, ClaudeAgent, ModelRequestRejected, toolset_for_model
from harness.agents.claude.history import (
    PRUNED_SCREENSHOT,
    count_cache_breakpoints,
    count_images,
    prune_screenshots,
    with_cache_breakpoints,
)
from harness.agents.claude.versions import ToolsetName, model_spec
from harness.agents.pricing import rates_for
from harness.agents.random_agent import RandomAgent
from harness.agents.registry import AGENTS, make_agent
from harness.agents.spec import build_spec
from harness.errors import ConfigError, InfraError
from harness.mockapi import Faults, MockServer
from harness.tools.result import ToolResult

from .claude_support import SleepLog, drive, make_claude, png, result_text, script, tool_results

TASK = "Please do the test task."
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer() as srv:
        yield srv


def serve(*scripts: Any, faults: Faults | None = None) -> MockServer:
    return MockServer(list(scripts), faults).start()


# -- tool versions

@pytest.mark.parametrize("model,toolset", [
    ("claude-sonnet-4-5", "20250728"), ("claude-sonnet-4-5-20250929", "20250728"),
    ("claude-haiku-4-5-20251001", "20250728"), ("claude-opus-4-5-20251101", "20251124"),
    ("claude-opus-4-6", "20251124"), ("claude-sonnet-4-6", "20251124"), ("claude-opus-4-7", "20251124"),
    ("claude-opus-4-8", "20251124"), ("claude-opus-5", "20251124"), ("claude-sonnet-5", "20251124"),
])
def test_tool_versions_follow_the_model(model: str, toolset: str) -> None:
    assert toolset_for_model(model).name == toolset


def test_the_default_model_is_current_and_speaks_the_newest_computer_tool() -> None:
    agent = ClaudeAgent(client=object())  # type: ignore[arg-type]
    assert agent.toolset.computer_type == "computer_20251124" and agent.toolset.beta == "computer-use-2025-11-24"
    assert model_spec(agent.options.model) is not None and model_spec(agent.options.model).status == "active"  # type: ignore[union-attr]


@pytest.mark.parametrize("model", ["claude-3-5-sonnet-20241022", "claude-3-7-sonnet-20250219",
                                   "claude-sonnet-4-20250514", "claude-opus-4-20250514", "claude-opus-4-1"])
def test_retired_models_are_refused_before_any_call(model: str) -> None:
    with pytest.raises(ConfigError, match=f"model '{model}' is retired"):
        ClaudeAgent(client=object(), model=model)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="is retired"):  # forcing a tool version does not bring it back
        ClaudeAgent(client=object(), model=model, tool_version="20250124")  # type: ignore[arg-type]


def test_models_that_take_only_the_newest_toolset_are_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="computer_toolset_20260801"):
        toolset_for_model("claude-opus-5-5")


def test_unknown_model_needs_a_forced_tool_version() -> None:
    with pytest.raises(ConfigError, match="tool_version="):
        toolset_for_model("claude-2.1")
    assert toolset_for_model("claude-2.1", "20250124").computer_type == "computer_20250124"


@pytest.mark.parametrize("name", list(TOOLSETS))
def test_every_toolset_runs_a_conversation_the_api_accepts(name: ToolsetName) -> None:
    ts = TOOLSETS[name]
    turns: list[list[dict[str, Any]]] = [[{"tool": "computer", "action": "mouse_move", "coordinate": [10, 10]}],
             [{"tool": "bash", "command": "ls"}, {"tool": ts.editor_name, "command": "view", "path": "/tmp"}]]
    with serve(script(TASK, *turns)) as srv:
        agent = make_claude(srv, tool_version=name)
        result = drive(agent, TASK)
        assert [t.control for t in result] == [None, None, "DONE"]
        assert agent.editor_version == ts.editor_version
        tools = {t["name"]: t for t in agent.tool_definitions()}
        assert set(tools) == {"computer", "bash", ts.editor_name}
        assert tools["computer"]["type"] == ts.computer_type
        assert (tools["computer"]["display_width_px"], tools["computer"]["display_height_px"]) == (1280, 800)
        assert ("enable_zoom" in tools["computer"]) == (name == "20251124")
        assert all(c.betas == [ts.beta] and c.status == 200 for c in srv.calls)
        assert isinstance(result[1].actions[1], EditorAction) and result[1].actions[1].tool == ts.editor_name


def test_actions_the_declared_version_lacks_are_errors_the_model_sees() -> None:
    turn = [{"tool": "computer", "action": "scroll", "coordinate": [5, 5], "scroll_direction": "down",
             "scroll_amount": 2},
            {"tool": "computer", "action": "triple_click"},
            {"tool": "computer", "action": "left_click", "coordinate": [5, 5]},
            {"tool": "computer", "action": "key", "text": "a", "duration": 1},
            {"tool": "computer", "action": "left_click"}]
    with serve(script(TASK, turn)) as srv:
        agent = make_claude(srv, model="claude-sonnet-4-5", tool_version="20241022")
        turns = drive(agent, TASK)
        assert turns[0].actions == [ComputerAction(action="left_click")]
        blocks = tool_results(agent.messages[2])
        assert [b.get("is_error", False) for b in blocks] == [True, True, True, True, False]
        assert "'scroll' is not available in computer_20241022" in result_text(blocks[0])
        assert "'triple_click' is not available" in result_text(blocks[1])
        assert "coordinate is not accepted for left_click in computer_20241022" in result_text(blocks[2])
        assert "computer_20241022 has no parameter duration" in result_text(blocks[3])
        assert [b["tool_use_id"] for b in blocks] == [b["id"] for b in agent.messages[1]["content"]
                                                       if b["type"] == "tool_use"]


def test_zoom_exists_only_from_20251124() -> None:
    turn = [{"tool": "computer", "action": "zoom", "region": [0, 0, 512, 400]}]
    with serve(script(TASK, turn)) as srv:
        old = drive(make_claude(srv, model="claude-sonnet-4-5"), TASK)
        new = drive(make_claude(srv, model="claude-opus-4-5"), TASK)
    assert old[0].actions == []
    assert new[0].actions == [ComputerAction(action="zoom", region=(0, 0, 512, 400))]


# -- pairing and refusals

def test_each_tool_use_gets_exactly_its_own_result_in_order() -> None:
    turn = [{"tool": "bash", "command": "echo one"},
            {"tool": "computer", "action": "left_click", "coordinate": [1, 2, 3]},
            {"tool": "nonesuch", "x": 1},
            {"tool": "bash", "command": "echo two"}]
    outputs = iter(["one", "two"])
    with serve(script(TASK, turn)) as srv:
        agent = make_claude(srv)
        turns = drive(agent, TASK, lambda a: ToolResult(output=next(outputs)))
        assert turns[0].actions == [BashAction(command="echo one"), BashAction(command="echo two")]
        blocks = tool_results(agent.messages[2])
        assert [result_text(b) for b in blocks[::3]] == ["one", "two"]
        assert "invalid input for computer: computer coordinate" in result_text(blocks[1])
        assert "unknown tool 'nonesuch'" in result_text(blocks[2])
        assert [bool(b.get("is_error")) for b in blocks] == [False, True, True, False]
        assert srv.calls[-1].status == 200  # the server checked the pairing


def test_error_results_keep_their_screenshot_and_empty_output_is_said_so() -> None:
    turn = [{"tool": "computer", "action": "key", "text": "ctrl+NoSuchKey"}, {"tool": "bash", "command": "true"}]
    results = iter([ToolResult(error="unknown key NoSuchKey", screenshot=png()), ToolResult(output="")])
    with serve(script(TASK, turn)) as srv:
        agent = make_claude(srv)
        drive(agent, TASK, lambda a: next(results))
        key, bash = tool_results(agent.messages[2])
        assert key["is_error"] is True
        assert [b["type"] for b in key["content"]] == ["text", "image"]
        assert result_text(bash) == "(no output)" and "is_error" not in bash


def test_coordinates_are_checked_on_the_scaled_screen_and_mapped_back() -> None:
    turn = [{"tool": "computer", "action": "left_click", "coordinate": [1024, 5]},
            {"tool": "computer", "action": "left_click", "coordinate": [100, 700]},
            {"tool": "computer", "action": "cursor_position"}]
    with serve(script(TASK, turn)) as srv:
        agent = make_claude(srv)
        executed: list[ComputerAction] = []

        def run(action: Any) -> ToolResult:
            executed.append(action)
            if action.action == "cursor_position":
                return ToolResult(output="X=201,Y=1401")
            return ToolResult(screenshot=png(2048, 1536))

        drive(agent, TASK, run, screen=(2048, 1536))
        assert agent.scaling.scaled == (1024, 768)
        assert agent.tool_definitions()[0]["display_width_px"] == 1024
        assert executed[0].coordinate == (201, 1401)
        off, click, cursor = tool_results(agent.messages[2])
        assert off["is_error"] and "(1024, 5) is outside the screen (1024x768)" in result_text(off)
        assert result_text(cursor) == "X=100,Y=700"
        image = click["content"][0]
        from harness.mockapi.tokens import image_size

        assert image_size(image["source"]["data"]) == (1024, 768)
        first_image = agent.messages[0]["content"][1]
        assert image_size(first_image["source"]["data"]) == (1024, 768)


def test_a_final_answer_is_done_and_the_infeasible_marker_is_fail() -> None:
    with serve(script(TASK, final="The file now says hello.")) as srv:
        done = drive(make_claude(srv), TASK)
    assert [(t.control, t.text) for t in done] == [("DONE", "The file now says hello.")]
    with serve(script(TASK, final="INFEASIBLE: there is no printer on this machine.")) as srv:
        agent = make_claude(srv)
        fail = drive(agent, TASK)
        assert [(t.control, t.text) for t in fail] == [("FAIL", "INFEASIBLE: there is no printer on this machine.")]
        assert "start your reply with the word INFEASIBLE" in agent.system


# -- history: screenshots and cache breakpoints

def test_only_the_newest_screenshots_are_sent_and_breakpoints_stay_within_four() -> None:
    shot = {"tool": "computer", "action": "screenshot"}
    with serve(script(TASK, [shot], [shot], [shot], [shot], [shot])) as srv:
        agent = make_claude(srv, keep_screenshots=2, screenshot_drop_chunk=1)
        drive(agent, TASK)
        assert count_images(agent.messages) == 6  # the agent keeps them all...
        request = agent.request()
        assert count_images(request["messages"]) == 2  # ...and sends the newest two
        texts = json.dumps(request["messages"])
        assert texts.count(PRUNED_SCREENSHOT) == 4
        assert count_cache_breakpoints(request) == 4
        assert request["system"][0]["cache_control"] == {"type": "ephemeral"}
        users = [m for m in request["messages"] if m["role"] == "user"]
        assert [("cache_control" in m["content"][-1]) for m in users] == [False, False, False, True, True, True]
        assert all(c.status == 200 for c in srv.calls)
        later = [c.usage for c in srv.calls[1:] if c.usage]
        assert later and all(u["cache_read_input_tokens"] > 0 for u in later)


def test_prompt_caching_can_be_off() -> None:
    with serve(script(TASK, [{"tool": "bash", "command": "ls"}])) as srv:
        agent = make_claude(srv, prompt_caching=False)
        drive(agent, TASK)
        assert count_cache_breakpoints(agent.request()) == 0
        assert all(c.usage and c.usage["cache_creation_input_tokens"] == 0 for c in srv.calls)


def test_pruning_in_chunks_and_breakpoints_as_pure_functions() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "x"}}
    messages = [{"role": "user", "content": [{"type": "text", "text": "go"}, image]}]
    for i in range(6):
        messages.append({"role": "assistant", "content": [{"type": "tool_use", "id": f"t{i}", "name": "c",
                                                           "input": {}}]})
        messages.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"t{i}",
                                                      "content": [image]}]})
    assert count_images(prune_screenshots(messages, 3)) == 3
    assert count_images(prune_screenshots(messages, 3, chunk=3)) == 4  # 7 images: drop 3, not 4
    assert count_images(prune_screenshots(messages, None)) == 7
    assert count_images(messages) == 7  # the input is never changed
    assert count_cache_breakpoints(with_cache_breakpoints(messages)) == 3
    assert count_cache_breakpoints(messages) == 0


# -- thinking, options, accounting

def test_thinking_blocks_go_back_with_their_signature() -> None:
    with serve(script(TASK, [{"tool": "bash", "command": "ls"}], [{"tool": "bash", "command": "pwd"}])) as srv:
        agent = make_claude(srv, thinking_budget=2048, max_tokens=4096)
        turns = drive(agent, TASK)
        assert [t.control for t in turns] == [None, None, "DONE"]
        assert agent.messages[1]["content"][0]["type"] == "thinking"
        assert all(c.status == 200 for c in srv.calls), [c.error_message for c in srv.calls]
        assert agent.request()["thinking"] == {"type": "enabled", "budget_tokens": 2048}


@pytest.mark.parametrize("options,message", [
    ({"thinking_budget": "4096", "max_tokens": "4096"}, "must be below max_tokens"),
    ({"thinking_budget": "2048", "temperature": "0.5"}, "temperature cannot be set"),
    ({"keep_screenshots": "-1"}, "keep_screenshots"),
    ({"tools": "computer,mouse"}, "tools"),
    ({"colour": "blue"}, "colour: unknown option"),
])
def test_bad_options_are_config_errors(options: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ClaudeAgent(client=object(), **options)  # type: ignore[arg-type]


def test_options_from_strings_and_the_system_prompt_suffix() -> None:
    with serve(script(TASK, [{"tool": "bash", "command": "ls"}])) as srv:
        agent = make_claude(srv, max_tokens="2000", temperature="0.2", tools="computer,bash",
                            system_suffix="Always be brief.", keep_screenshots="none")
        drive(agent, TASK)
        request = agent.request()
        assert (request["max_tokens"], request["extra_body"]["temperature"]) == (2000, 0.2)
        assert [t["name"] for t in request["tools"]] == ["computer", "bash"]
        system = request["system"][0]["text"]
        assert system.endswith("Always be brief.")
        for fact in ("no internet", "xterm", "mousepad", "pcmanfm", '"user"', "/home/user"):
            assert fact in system


def test_each_call_is_priced_and_logged_as_the_server_billed_it() -> None:
    turns = [[{"tool": "computer", "action": "screenshot"}], [{"tool": "bash", "command": "ls"}]]
    with serve(script(TASK, *turns)) as srv:
        agent = make_claude(srv, model="claude-opus-4-6")
        result = drive(agent, TASK)
        billed = [c.usage for c in srv.successful_calls() if c.usage]
    assert len(agent.calls) == len(billed) == 3
    for turn, call, usage in zip(result, agent.calls, billed, strict=True):
        expected = (usage["input_tokens"] * 5 + usage["output_tokens"] * 25
                    + usage["cache_creation_input_tokens"] * 5 * 1.25
                    + usage["cache_read_input_tokens"] * 5 * 0.1) / 1e6
        assert turn.usage.cost_usd == pytest.approx(expected)
        assert (turn.usage.input_tokens, turn.usage.output_tokens, turn.usage.cache_write_tokens,
                turn.usage.cache_read_tokens) == (usage["input_tokens"], usage["output_tokens"],
                                                  usage["cache_creation_input_tokens"],
                                                  usage["cache_read_input_tokens"])
        assert call["cost_usd"] == turn.usage.cost_usd and call["latency_s"] > 0 and call["retries"] == 0
        assert call["request_id"].startswith("req_mock_")


def test_prices_come_from_the_table_and_can_be_extended(tmp_path: Path) -> None:
    assert rates_for("claude-opus-4-20250514").model == "claude-opus-4"
    assert rates_for("claude-opus-4-5-20251101").model == "claude-opus-4-5"
    assert rates_for("claude-sonnet-4-5").cost(1_000_000, 1_000_000, 1_000_000, 1_000_000) == pytest.approx(
        3 + 15 + 3.75 + 0.3)
    with pytest.raises(ConfigError, match="no price for model 'claude-future-9'"):
        rates_for("claude-future-9")
    extra = tmp_path / "prices.json"
    extra.write_text(json.dumps({"models": {"claude-future-9": {"input": 2, "output": 10,
                                                                "cache_read_multiplier": 0.2}}}))
    rates = rates_for("claude-future-9-20300101", extra)
    assert rates.cost(1_000_000, 0, 1_000_000, 1_000_000) == pytest.approx(2 + 2.5 + 0.4)


# -- retries and API errors

def test_overloaded_answers_are_retried_honouring_retry_after() -> None:
    with serve(script(TASK, [{"tool": "bash", "command": "ls"}]),
               faults=Faults(fail_first=2, status=529, retry_after=0.25)) as srv:
        sleep = SleepLog()
        agent = make_claude(srv, sleep=sleep)
        turns = drive(agent, TASK)
    assert [t.control for t in turns] == [None, "DONE"]
    assert sleep.waits == [0.25, 0.25]
    assert agent.calls[0]["retries"] == 2 and agent.total_retries == 2
    attempts = agent.calls[0]["attempts"]
    assert [(a["status"], a["error"], a["wait_s"]) for a in attempts] == [
        (529, "HTTP 529 overloaded_error: Overloaded", 0.25)] * 2
    assert turns[0].usage.retries == 2 and turns[0].usage.retried_seconds >= 0


def test_without_retry_after_the_backoff_grows_exponentially() -> None:
    with serve(script(TASK), faults=Faults(fail_first=4, status=429)) as srv:
        sleep = SleepLog()
        drive(make_claude(srv, sleep=sleep, retry_base_delay=1.0, retry_max_delay=5.0), TASK)
    assert len(sleep.waits) == 4
    for retry, wait in enumerate(sleep.waits):
        ceiling = min(5.0, 2.0 ** retry)
        assert ceiling / 2 <= wait <= ceiling


@pytest.mark.parametrize("status", [500, 529, 429])
def test_a_persistent_failure_is_an_infrastructure_error(status: int) -> None:
    with serve(script(TASK), faults=Faults(fail_always=True, status=status, retry_after=0)) as srv:
        with pytest.raises(InfraError, match=f"after 3 retries.*HTTP {status}"):
            drive(make_claude(srv, max_retries=3), TASK)
        assert len(srv.calls) == 4


def test_an_unreachable_api_is_an_infrastructure_error() -> None:
    srv = serve()
    srv.stop()  # nothing listens on its port any more
    with pytest.raises(InfraError, match="APIConnectionError"):
        drive(make_claude(srv, max_retries=2), TASK)


def test_a_slow_answer_times_out_and_is_retried() -> None:
    with serve(script(TASK), faults=Faults(delay=1.5, delay_first=1)) as srv:
        agent = ClaudeAgent(client=__import__("anthropic").Anthropic(api_key="k", base_url=srv.url, max_retries=0,
                                                                       timeout=0.5), sleep=SleepLog())
        turns = drive(agent, TASK)
    assert turns[-1].control == "DONE"
    assert agent.calls[0]["retries"] == 1 and "Timeout" in agent.calls[0]["attempts"][0]["error"]
    assert agent.calls[0]["attempts"][0]["status"] is None


def test_a_rejected_request_raises_with_the_api_message() -> None:
    with serve(script(TASK)) as srv:
        agent = make_claude(srv, model="claude-sonnet-4-5", beta="computer-use-2024-10-22")  # needs 2025-01-24
        with pytest.raises(ModelRequestRejected, match="HTTP 400 invalid_request_error: tools.0: Input tag "
                                                       "'computer_20250124'"):
            drive(agent, TASK)
        assert len(srv.calls) == 1  # a 400 is never retried


# -- registry, CLI and the other agents

def test_claude_fail_and_random_are_registered_and_options_reach_the_factory(monkeypatch: pytest.MonkeyPatch
                                                                              ) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    assert {"claude", "fail", "random", "oracle", "noop"} <= set(AGENTS)
    assert make_agent("noop").name == "noop"
    agent = make_agent("claude", {"model": "claude-haiku-4-5", "tool_version": "20250124", "thinking_budget": "1024"})
    assert isinstance(agent, ClaudeAgent) and agent.toolset.name == "20250124" and agent.editor_version == "20250124"
    spec = build_spec("claude", {"model": "claude-opus-4-5", "system_suffix": "a&b=c?", "thinking_budget": "2048"})
    assert spec.options == {"model": "claude-opus-4-5", "system_suffix": "a&b=c?", "thinking_budget": 2048}
    assert make_agent(spec).model_name() == "claude-opus-4-5"
    with pytest.raises(ConfigError, match="agent 'oracle' option model: unknown option"):
        make_agent("oracle", {"model": "x"})


def test_claude_without_an_api_key_fails_before_any_container(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        make_agent("claude")


@pytest.mark.parametrize("args,needle", [
    (["--model", "gpt-4o"], "model 'gpt-4o' is not in deskbench's model table"),
    (["--agent-option", "thinking_budget"], "key=value"),
    (["--agent-option", "max_tokens=lots"], "max_tokens"),
])
def test_cli_options_reach_the_agent(args: list[str], needle: str, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--agent", "claude", *args,
                           "--run-dir", str(tmp_path / "pytest-cli")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "ANTHROPIC_API_KEY": "k"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert needle in proc.stderr, proc.stderr


def test_random_agent_is_seeded_and_stays_on_screen() -> None:
    def actions(seed: int) -> list[Any]:
        agent = RandomAgent(seed=seed, actions=4)
        agent.start(EpisodeInfo("t", "d", "x", 5, (800, 600)))
        return [a for _ in range(5) for a in agent.act(Observation(0, png(800, 600))).actions]

    first = actions(7)
    assert first == actions(7) and first != actions(8)
    assert all(a.coordinate is None or (0 <= a.coordinate[0] < 800 and 0 <= a.coordinate[1] < 600) for a in first)
    with pytest.raises(ConfigError):
        RandomAgent(seed="many")  # type: ignore[arg-type]


def test_fail_agent_says_fail_at_once() -> None:
    agent = make_agent("fail")
    agent.start(EpisodeInfo("t", "d", "x", 5, (800, 600)))
    assert agent.act(Observation(0, png())).control == "FAIL"
