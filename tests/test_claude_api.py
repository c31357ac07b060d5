"""The claude agent against today's API, on the local server: every stop reason, requests the API accepts
(no whitespace-only text, sampling parameters only where taken), retired and unpriced models, streaming,
and pruning that keeps the cached prefix -- each request checked by the server as the real API would."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest

from harness.agents.claude import ClaudeAgent
from harness.agents.claude.agent import THINKING_ONLY_NUDGE, ModelStopped
from harness.errors import ConfigError
from harness.mockapi import MockServer, Script
from harness.tools.result import ToolResult

from .claude_support import client_for, drive, make_claude, result_text, script, tool_results

TASK = "Please do the stop-reason task."
LS = {"tool": "bash", "command": "ls"}
LONG = "word " * 600  # about 600 tokens of text


def serve(*scripts: Script) -> MockServer:
    return MockServer(list(scripts)).start()


def raw_request(server: MockServer, **body: Any) -> anthropic.APIStatusError:
    """What the server answers a hand-made request (expected to be an error)."""
    request: dict[str, Any] = {"model": "claude-sonnet-4-6", "max_tokens": 64,
                               "messages": [{"role": "user", "content": "hello"}], **body}
    with pytest.raises(anthropic.APIStatusError) as caught:
        client_for(server).messages.create(**request)
    return caught.value


# -- stop reasons

def test_a_reply_cut_off_by_max_tokens_is_asked_again_with_more_room_never_taken_as_done() -> None:
    with serve(script(TASK, [{"type": "text", "text": LONG}, LS])) as srv:
        agent = make_claude(srv, max_tokens=400)
        turns = drive(agent, TASK)
        assert [t.control for t in turns] == [None, "DONE"]
        first = turns[0].calls
        assert [c["stop_reason"] for c in first] == ["max_tokens", "tool_use"]
        assert turns[0].usage.calls == 2 and turns[0].actions  # the tool call that did not fit at 400 arrives
        assert [c.stop_reason for c in srv.successful_calls()][:2] == ["max_tokens", "tool_use"]


def test_a_reply_that_never_fits_ends_the_episode_with_a_named_stop_reason() -> None:
    with serve(script(TASK, [{"type": "text", "text": LONG * 4}])) as srv:
        agent = make_claude(srv, max_tokens=200, max_continuations=2)
        with pytest.raises(ModelStopped, match="stop_reason max_tokens: .*cut off at max_tokens=800 3 times"):
            drive(agent, TASK)
        assert [c.stop_reason for c in srv.successful_calls()] == ["max_tokens"] * 3


def test_a_text_only_reply_cut_off_is_not_done() -> None:
    with serve(script(TASK, final=LONG * 4)) as srv:
        agent = make_claude(srv, max_tokens=300, max_continuations=1)
        with pytest.raises(ModelStopped, match="max_tokens"):
            drive(agent, TASK)


def test_a_refusal_ends_the_episode_as_a_refusal() -> None:
    with serve(script(TASK, [{"type": "text", "text": "I can't help with that."}, {"stop_reason": "refusal"}])
               ) as srv:
        with pytest.raises(ModelStopped, match="stop_reason refusal"):
            drive(make_claude(srv), TASK)


def test_pause_turn_is_handed_back_and_the_model_goes_on() -> None:
    paused = [{"type": "text", "text": "Still working on it."}, {"stop_reason": "pause_turn"}]
    with serve(script(TASK, paused, [LS])) as srv:
        agent = make_claude(srv)
        turns = drive(agent, TASK)
        assert [t.control for t in turns] == [None, "DONE"]
        assert [c["stop_reason"] for c in turns[0].calls] == ["pause_turn", "tool_use"]
        assert all(c.status == 200 for c in srv.calls), [c.error_message for c in srv.calls]
        assert agent.messages[1] == {"role": "assistant", "content": [{"type": "text", "text": "Still working on it."}]}


def test_stop_sequence_ends_the_turn_like_end_turn() -> None:
    with serve(script(TASK, [{"type": "text", "text": "The task is done."}, {"stop_reason": "stop_sequence"}])
               ) as srv:
        turns = drive(make_claude(srv), TASK)
    assert [(t.control, t.calls[0]["stop_reason"]) for t in turns] == [("DONE", "stop_sequence")]


def test_a_turn_of_thinking_only_is_nudged_on_not_taken_as_done() -> None:
    with serve(script(TASK, [{"type": "thinking", "thinking": "Let me look at the screen first."}], [LS])) as srv:
        agent = make_claude(srv, thinking_budget=2048, max_tokens=4096)
        turns = drive(agent, TASK)
        assert [t.control for t in turns] == [None, "DONE"]
        assert turns[0].actions and turns[0].usage.calls == 2
        assert agent.messages[1]["content"][0]["type"] == "thinking"
        assert agent.messages[2]["content"] == [{"type": "text", "text": THINKING_ONLY_NUDGE}]
        assert all(c.status == 200 for c in srv.calls), [c.error_message for c in srv.calls]


def test_big_outputs_are_streamed_and_parsed_like_plain_replies() -> None:
    with serve(script(TASK, [{"type": "text", "text": "Listing."}, LS])) as srv:
        agent = make_claude(srv, max_tokens=20000, thinking_budget=16000, stream_from_tokens=16000)
        turns = drive(agent, TASK)
        assert [t.control for t in turns] == [None, "DONE"]
        assert turns[0].actions[0].command == "ls"  # type: ignore[union-attr]
        assert all(c["streamed"] for t in turns for c in t.calls)
        assert turns[0].calls[0]["request_id"].startswith("req_mock_")
        assert agent.messages[1]["content"][0]["type"] == "thinking"  # signature came through the deltas
        assert all(c.status == 200 for c in srv.calls), [c.error_message for c in srv.calls]


# -- requests the API accepts

def test_whitespace_only_tool_output_is_never_sent_as_a_text_block() -> None:
    with serve(script(TASK, [LS, {"type": "text", "text": "  \n"}])) as srv:
        agent = make_claude(srv)
        turns = drive(agent, TASK, lambda action: ToolResult(output=" \n\t "))
        assert [t.control for t in turns] == [None, "DONE"]
        sent = tool_results(agent.messages[2])[0]
        assert result_text(sent) == "(no output)"
        assert all(c.status == 200 for c in srv.calls), [c.error_message for c in srv.calls]


def test_the_server_refuses_whitespace_only_text_as_the_api_does() -> None:
    with serve() as srv:
        error = raw_request(srv, messages=[{"role": "user", "content": [{"type": "text", "text": " \n "}]}])
        assert error.status_code == 400 and "non-whitespace text" in str(error)
        error = raw_request(srv, system=[{"type": "text", "text": "\t"}])
        assert error.status_code == 400 and "non-whitespace text" in str(error)


def test_sampling_parameters_only_where_the_model_takes_them() -> None:
    with serve(script(TASK)) as srv:
        with pytest.raises(ConfigError, match="does not accept temperature"):
            make_claude(srv, model="claude-opus-4-7", temperature=0.2)
        error = raw_request(srv, model="claude-opus-4-7", extra_body={"temperature": 0.2})
        assert error.status_code == 400 and "`temperature` is deprecated" in str(error)
        error = raw_request(srv, model="claude-opus-4-7", max_tokens=4096,
                            thinking={"type": "enabled", "budget_tokens": 2048})
        assert error.status_code == 400 and "thinking.type.enabled" in str(error)
        agent = make_claude(srv, model="claude-opus-4-7", thinking_budget=2048, max_tokens=4096)
        drive(agent, TASK)
        assert agent.request()["thinking"] == {"type": "adaptive"} and "extra_body" not in agent.request()
        agent = make_claude(srv, model="claude-sonnet-4-6", temperature=0.2)
        drive(agent, TASK)
        assert agent.request()["extra_body"] == {"temperature": 0.2}
        assert all(c.status == 200 for c in srv.calls[3:]), [c.error_message for c in srv.calls]


# -- models and prices

def test_a_retired_model_is_refused_by_the_agent_and_by_the_server() -> None:
    with serve(script(TASK)) as srv:
        with pytest.raises(ConfigError, match="'claude-3-7-sonnet-20250219' is retired"):
            make_claude(srv, model="claude-3-7-sonnet-20250219")
        error = raw_request(srv, model="claude-3-7-sonnet-20250219")
        assert error.status_code == 404 and "not_found_error" in str(error.body)
        assert raw_request(srv, model="claude-sonnet-4-20250514").status_code == 404
        assert len(srv.calls) == 2  # the agent never called


def test_a_model_missing_from_the_price_table_needs_a_price() -> None:
    with serve(script(TASK, [LS])) as srv:
        with pytest.raises(ConfigError, match="no price for model 'claude-sonnet-7'.*price=INPUT/OUTPUT"):
            make_claude(srv, model="claude-sonnet-7", tool_version="20251124")
        agent = make_claude(srv, model="claude-sonnet-7", tool_version="20251124", price="2/8")
        turns = drive(agent, TASK)
        billed = [c.usage for c in srv.successful_calls() if c.usage]
    expected = sum((u["input_tokens"] * 2 + u["output_tokens"] * 8 + u["cache_creation_input_tokens"] * 2 * 1.25
                    + u["cache_read_input_tokens"] * 2 * 0.1) / 1e6 for u in billed)
    assert sum(t.usage.cost_usd for t in turns) == pytest.approx(expected) and expected > 0


def test_a_model_the_table_does_not_know_needs_a_tool_version() -> None:
    with pytest.raises(ConfigError, match="not in deskbench's model table.*tool_version="):
        ClaudeAgent(client=object(), model="claude-sonnet-7", price="2/8")  # type: ignore[arg-type]


# -- cache-friendly pruning

def test_batched_pruning_keeps_the_cached_prefix_where_one_at_a_time_loses_it() -> None:
    shot = {"tool": "computer", "action": "screenshot"}
    hits: dict[int, int] = {}
    reads: dict[int, int] = {}
    rewrites: dict[int, int] = {}
    for chunk in (1, 5):
        with serve(script(TASK, *[[shot]] * 12)) as srv:
            agent = make_claude(srv, keep_screenshots=3, screenshot_drop_chunk=chunk)
            drive(agent, TASK, budget=14)
            assert all(c.status == 200 for c in srv.calls), [c.error_message for c in srv.calls]
            hits[chunk] = srv.cache_hits()
            rewrites[chunk] = srv.prefix_rewrites()
            reads[chunk] = sum(c.usage["cache_read_input_tokens"] for c in srv.successful_calls() if c.usage)
    # every call reads the system prompt and tools back; batched, most of the history is read back as well
    assert hits[5] >= hits[1] > 0 and reads[5] > 2 * reads[1], (hits, reads)
    # the server compares each request with the previous one: 14 requests, 3 screenshots kept -- one at a
    # time rewrites the history on every call from the 5th on; in batches of 5, only when a batch goes
    assert rewrites == {1: 10, 5: 2}, rewrites


def test_call_records_are_json_and_name_the_request() -> None:
    with serve(script(TASK, [LS])) as srv:
        turns = drive(make_claude(srv), TASK)
    for turn in turns:
        for call in turn.calls:
            assert json.loads(json.dumps(call)) == call
            assert {"request_id", "latency_s", "retries", "retried_s", "attempts", "stop_reason", "input_tokens",
                    "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd"} <= set(call)
