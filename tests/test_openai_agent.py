"""The openai agent against the local Responses API: translation into deskbench's actions, 1 px coordinate round
trips, request validation in OpenAI's error shape, retries on 429/5xx, and pending safety checks decided by the
confirmation policy.  No desktop: each action's result is made up here."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.actions.vocabulary import ComputerAction, EditorAction
from harness.agents.base import EpisodeInfo, Observation, Turn
from harness.agents.claude.agent import ModelStopped
from harness.agents.openai import OpenAIAgent, choose_display
from harness.agents.openai.translate import CallInputError, computer_actions, function_action
from harness.agents.pricing import rates_for
from harness.agents.registry import make_agent
from harness.agents.retry import ModelRequestRejected
from harness.agents.spec import build_spec
from harness.errors import ConfigError, InfraError
from harness.mockapi import Faults, Script
from harness.mockapi.openai_responses import MALICIOUS, ResponsesMockServer
from harness.mockapi.openai_script import computer_steps
from harness.mockapi.script import _rescale
from harness.runner.policy import ConfirmationPolicy, Rule, denial_message
from harness.tools.result import ToolResult

from .claude_support import SleepLog, png

INSTRUCTION = "Save the report and close the editor."
SCREEN = (1280, 800)


def script(*turns: list[dict[str, Any]]) -> Script:
    """Turns of vocabulary actions, as the Messages mock's scripts hold them."""
    return Script(INSTRUCTION, [[{"type": "tool_use", "name": a["tool"],
                                  "input": {k: v for k, v in a.items() if k != "tool"}} for a in turn]
                                for turn in turns])


@pytest.fixture
def server() -> Iterator[ResponsesMockServer]:
    turns = script([{"tool": "computer", "action": "left_click", "coordinate": [640, 400], "text": "ctrl"}],
                   [{"tool": "computer", "action": "key", "text": "ctrl+s"}],
                   [{"tool": "bash", "command": "ls ~"}])
    with ResponsesMockServer([turns]) as srv:
        yield srv


def agent_for(server: ResponsesMockServer, **options: Any) -> OpenAIAgent:
    return OpenAIAgent(base_url=server.base_url, api_key="pytest-key", sleep=SleepLog(), **options)


def drive(agent: OpenAIAgent, policy: ConfirmationPolicy | None = None, budget: int = 8) -> list[Turn]:
    """The runner's loop without a desktop: each action shown to ``policy`` first, a denied one not run."""
    agent.start(EpisodeInfo("t", "d", INSTRUCTION, budget, SCREEN))
    turns: list[Turn] = []
    results: list[ToolResult] = []
    for step in range(budget):
        turn = agent.act(Observation(step, png(*SCREEN), results))
        turns.append(turn)
        if turn.control in ("DONE", "FAIL"):
            break
        results = []
        for action in turn.actions:
            found = policy.review(action, turn.text) if policy is not None else None
            if found is not None and found.verdict == "denied":
                results.append(ToolResult(error=denial_message(found)))
            else:
                results.append(ToolResult(output="done", screenshot=png(*SCREEN)))
    return turns


# -- scaling and translation

@settings(max_examples=300, deadline=None)
@given(st.integers(32, 3072), st.integers(32, 3072), st.data())
def test_screen_point_survives_the_round_trip_through_the_declared_display_within_one_pixel(
        width: int, height: int, data: st.DataObject) -> None:
    if min(width, height) > 1536:  # past that the display is under half the screen: 1 px is not promised
        width, height = min(width, 1536), min(height, 1536)
    scaling = choose_display((width, height))
    assert max(scaling.scaled) <= 2048 and min(scaling.scaled) <= 768
    x, y = data.draw(st.integers(0, width - 1)), data.draw(st.integers(0, height - 1))
    mx, my = scaling.to_model(x, y)
    click = computer_actions({"type": "click", "button": "left", "x": mx, "y": my}, scaling)[0]
    assert click.coordinate is not None
    assert abs(click.coordinate[0] - x) <= 1 and abs(click.coordinate[1] - y) <= 1
    # the local server's replay: screen coordinates rescaled to the display, then mapped back by the agent
    shown = _rescale({"coordinate": [x, y]}, (width, height), scaling.scaled)["coordinate"]
    back = scaling.to_screen(*shown)
    assert abs(back[0] - x) <= 1 and abs(back[1] - y) <= 1


def test_every_openai_action_becomes_deskbench_actions() -> None:
    s = choose_display(SCREEN)
    assert s.scaled == (1228, 768)

    def one(action: dict[str, Any]) -> list[dict[str, Any]]:
        return [a.model_dump(exclude_none=True) for a in computer_actions(action, s)]

    assert one({"type": "click", "button": "right", "x": 0, "y": 0, "keys": ["SHIFT"]}) == [
        {"tool": "computer", "action": "right_click", "coordinate": (0, 0), "text": "shift"}]
    assert one({"type": "double_click", "x": 1227, "y": 767})[0]["coordinate"] == (1279, 799)
    assert one({"type": "keypress", "keys": ["CTRL", "ALT", "ARROWLEFT"]})[0]["text"] == "ctrl+alt+Left"
    assert one({"type": "keypress", "keys": ["ENTER"]})[0]["text"] == "Return"
    assert one({"type": "type", "text": "hi\n"})[0] == {"tool": "computer", "action": "type", "text": "hi\n"}
    assert one({"type": "scroll", "x": 10, "y": 10, "scroll_x": -200, "scroll_y": 300}) == [
        {"tool": "computer", "action": "scroll", "coordinate": (10, 10), "scroll_direction": "down", "scroll_amount": 3},
        {"tool": "computer", "action": "scroll", "coordinate": (10, 10), "scroll_direction": "left", "scroll_amount": 2}]
    drag = one({"type": "drag", "path": [{"x": 0, "y": 0}, {"x": 5, "y": 5}, {"x": 9, "y": 9}]})
    assert [a["action"] for a in drag] == ["left_mouse_down", "mouse_move", "left_mouse_up"]
    assert one({"type": "drag", "path": [{"x": 0, "y": 0}, {"x": 9, "y": 9}]})[0]["action"] == "left_click_drag"
    assert one({"type": "wait"})[0]["action"] == "wait" and one({"type": "screenshot"})[0]["action"] == "screenshot"
    assert one({"type": "move", "x": 3, "y": 4})[0]["action"] == "mouse_move"
    # and back: the local server says each of deskbench's actions as OpenAI's model would
    assert computer_steps({"action": "key", "text": "ctrl+s Return"}) == [
        {"type": "keypress", "keys": ["CTRL", "S"]}, {"type": "keypress", "keys": ["ENTER"]}]
    assert computer_steps({"action": "scroll", "coordinate": [5, 6], "scroll_direction": "up", "scroll_amount": 2}) == [
        {"type": "scroll", "x": 5, "y": 6, "scroll_x": 0, "scroll_y": -200}]


@pytest.mark.parametrize(("action", "says"), [
    ({"type": "click", "button": "back", "x": 1, "y": 1}, "no 'back' mouse button"),
    ({"type": "click", "button": "left", "x": 1228, "y": 1}, "outside the display (1228x768)"),
    ({"type": "drag", "path": [{"x": 1, "y": 1}]}, "at least two points"),
    ({"type": "keypress", "keys": []}, "non-empty list"),
    ({"type": "teleport"}, "unknown computer action type 'teleport'"),
    ({"type": "type"}, "malformed type action"),
])
def test_an_action_the_desktop_cannot_perform_is_a_message_for_the_model(action: dict[str, Any], says: str) -> None:
    with pytest.raises(CallInputError, match=None) as caught:
        computer_actions(action, choose_display(SCREEN))
    assert says in str(caught.value)


def test_function_calls_are_checked_by_the_action_vocabulary() -> None:
    names = ("bash", "str_replace_based_edit_tool")
    edit = function_action("str_replace_based_edit_tool", json.dumps({"command": "view", "path": "/tmp/a",
                                                                      "old_str": None}), names)
    assert isinstance(edit, EditorAction) and edit.path == "/tmp/a"
    for name, arguments, says in [("bash", "{", "not valid JSON"), ("python", "{}", "unknown function 'python'"),
                                  ("str_replace_based_edit_tool", '{"command": "zap", "path": "/a"}', "command"),
                                  ("bash", "[1]", "must be a JSON object")]:
        with pytest.raises(CallInputError) as caught:
            function_action(name, arguments, names)
        assert says in str(caught.value)


# -- the agent against the local server

def test_agent_replays_a_script_with_conversation_state_and_bills_what_the_server_reported(
        server: ResponsesMockServer) -> None:
    agent = agent_for(server)
    turns = drive(agent)
    assert [t.control for t in turns] == [None, None, None, "DONE"]
    click = turns[0].actions[0]
    assert isinstance(click, ComputerAction) and click.action == "left_click" and click.text == "ctrl"
    assert click.coordinate is not None and abs(click.coordinate[0] - 640) <= 1 and abs(click.coordinate[1] - 400) <= 1
    assert turns[2].actions[0].model_dump(exclude_none=True)["command"] == "ls ~"
    calls = server.successful_calls()
    assert [c.previous_response_id is None for c in calls] == [True, False, False, False]  # type: ignore[attr-defined]
    rates = rates_for("computer-use-preview")
    for turn, call in zip(turns, calls, strict=True):
        assert call.usage is not None
        assert turn.usage.input_tokens == call.usage["input_tokens"]
        assert turn.usage.output_tokens == call.usage["output_tokens"]
        assert turn.usage.cost_usd == pytest.approx(call.usage["input_tokens"] * 3e-6 + call.usage["output_tokens"] * 12e-6)
        record = turn.calls[0]
        assert record["request_id"].startswith("req_") and record["model"] == "computer-use-preview"
        assert record["reasoning_tokens"] == call.usage["reasoning_tokens"] > 0
        assert record["response_id"].startswith("resp_")
        assert record["cost_usd"] == pytest.approx(rates.cost(call.usage["input_tokens"], call.usage["output_tokens"]))
    # the whole context is billed again on every call, as previous_response_id does
    assert calls[1].usage is not None and calls[0].usage is not None
    assert calls[1].usage["input_tokens"] > calls[0].usage["input_tokens"] + calls[0].usage["output_tokens"]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_overloaded_calls_are_retried_counted_and_recorded(status: int) -> None:
    with ResponsesMockServer([script([{"tool": "computer", "action": "screenshot"}])],
                             Faults(fail_first=2, status=status, retry_after=0.25)) as srv:
        agent = agent_for(srv)
        turns = drive(agent)
    assert [t.control for t in turns] == [None, "DONE"]
    record = turns[0].calls[0]
    assert record["retries"] == 2 and [a["status"] for a in record["attempts"]] == [status, status]
    assert all(a["wait_s"] == 0.25 for a in record["attempts"])  # the server's retry-after, honoured
    assert turns[0].usage.retries == 2 and agent.total_retries == 2


def test_a_service_that_stays_down_is_an_infrastructure_error_and_a_rejected_request_is_not() -> None:
    with ResponsesMockServer([], Faults(fail_always=True, status=503)) as srv:
        with pytest.raises(InfraError, match="503 server_error"):
            drive(agent_for(srv, max_retries=2))
    with ResponsesMockServer([]) as srv:
        with pytest.raises(ModelRequestRejected, match="HTTP 404 invalid_request_error .param model.: The model "
                                                       "`gpt-4o` does not exist"):
            drive(OpenAIAgent(model="gpt-4o", price="2.5/10", base_url=srv.base_url, api_key="k", sleep=SleepLog()))
        assert [c.status for c in srv.calls] == [404]  # refused at once: no retry


def test_safety_checks_are_acknowledged_only_when_the_policy_lets_the_action_run() -> None:
    flagged = script([{"tool": "computer", "action": "type", "text": "yes"}], [{"tool": "computer", "action": "wait"}])
    deny = ConfirmationPolicy([Rule(name="openai safety check", tools=["computer"], pattern=r"safety check "
                                    r"malicious_instructions", in_model_text=True, decision="deny")])
    with ResponsesMockServer([flagged], safety_checks={0: MALICIOUS}) as srv:
        allowed = drive(agent_for(srv))
        assert "OpenAI safety check malicious_instructions" in allowed[0].text
        acknowledged, unacknowledged = srv.safety_check_log()[1]
        assert len(acknowledged) == 1 and unacknowledged == []
        denied = drive(agent_for(srv), deny)
        assert [t.control for t in denied] == [None, None, "DONE"]
        acknowledged, unacknowledged = srv.safety_check_log()[4]
        assert acknowledged == [] and len(unacknowledged) == 1
        refused = drive(agent_for(srv, safety_checks="refuse"))
        assert refused[0].actions == []  # never handed to the desktop
        assert srv.safety_check_log()[-2][1] != []


# -- the local server's validation

def post(srv: ResponsesMockServer, body: dict[str, Any], key: str | None = "k") -> tuple[int, dict[str, Any]]:
    headers = {"content-type": "application/json", **({"authorization": f"Bearer {key}"} if key else {})}
    request = urllib.request.Request(f"{srv.base_url}/responses", json.dumps(body).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


COMPUTER = {"type": "computer_use_preview", "display_width": 1024, "display_height": 768, "environment": "linux"}
GOOD = {"model": "computer-use-preview", "tools": [COMPUTER], "truncation": "auto", "input": INSTRUCTION}


@pytest.mark.parametrize(("change", "status", "param", "says"), [
    ({"truncation": "disabled"}, 400, "truncation", "requires truncation to be set to 'auto'"),
    ({"temperatur": 1}, 400, "temperatur", "Unknown parameter: 'temperatur'."),
    ({"model": "gpt-2"}, 404, "model", "does not exist"),
    ({"tools": [{**COMPUTER, "environment": "amiga"}]}, 400, "tools[0].environment", "Invalid value: 'amiga'"),
    ({"tools": [{k: v for k, v in COMPUTER.items() if k != "display_width"}]}, 400, "tools[0].display_width",
     "Missing required parameter"),
    ({"tools": [COMPUTER, {"type": "function", "name": "a b", "parameters": {"type": "object"}}]}, 400,
     "tools[1].name", "does not match pattern"),
    ({"reasoning": {"summary": "verbose"}}, 400, "reasoning.summary", "Invalid value: 'verbose'"),
    ({"previous_response_id": "resp_nope"}, 400, "previous_response_id", "Previous response with id 'resp_nope'"),
    ({"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "https://example.org/a.png"}]}]},
     400, "input[0].content[0].image_url", "base64-encoded data URL"),
    ({"input": [{"type": "computer_call_output", "call_id": "call_x", "output": {"type": "computer_screenshot"}}]},
     400, "input[0].output.image_url", "data URL"),
])
def test_bad_requests_get_openai_error_json(server: ResponsesMockServer, change: dict[str, Any], status: int,
                                           param: str, says: str) -> None:
    code, body = post(server, {**GOOD, **change})
    assert code == status
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["type"] == "invalid_request_error" and body["error"]["param"] == param
    assert says in body["error"]["message"]


def test_every_call_must_be_answered_and_only_pending_checks_acknowledged(server: ResponsesMockServer) -> None:
    code, first = post(server, {**GOOD, "input": [{"role": "user", "content": INSTRUCTION}]})
    assert code == 200
    call = next(i for i in first["output"] if i["type"] == "computer_call")
    assert call["action"]["type"] == "click" and call["action"]["keys"] == ["CTRL"]
    code, body = post(server, {**GOOD, "previous_response_id": first["id"], "input": "go on"})
    assert code == 400 and body["error"]["message"] == f"No tool output found for computer call {call['call_id']}."
    shot = {"type": "computer_screenshot", "image_url": "data:image/png;base64,"
            + __import__("base64").b64encode(png(8, 8).data).decode()}
    answer = {"type": "computer_call_output", "call_id": call["call_id"], "output": shot,
              "acknowledged_safety_checks": [{"id": "sc_made_up"}]}
    code, body = post(server, {**GOOD, "previous_response_id": first["id"], "input": [answer]})
    assert code == 400 and "Unknown safety check id sc_made_up" in body["error"]["message"]
    code, body = post(server, {**GOOD, "input": "x"}, key=None)
    assert code == 401 and "API key" in body["error"]["message"]


def test_registry_builds_the_agent_and_bad_options_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="needs an API key: set OPENAI_API_KEY"):
        make_agent("openai")
    with pytest.raises(ConfigError, match="no price for model 'gpt-9-cua'"):
        make_agent("openai", {"model": "gpt-9-cua", "api_key": "k"})
    with pytest.raises(ConfigError, match="tools must include computer"):
        make_agent("openai", {"tools": "bash", "api_key": "k"})
    with pytest.raises(ConfigError, match="agent 'openai' option environment"):
        make_agent("openai", {"environment": "amiga", "api_key": "k"})
    agent = make_agent("openai", {"api_key": "k", "tools": "computer,bash"})
    assert isinstance(agent, OpenAIAgent) and agent.function_names == ("bash",)
    spec = build_spec("openai", {"api_key": "sk-pytest-secret", "environment": "ubuntu"})
    assert "sk-pytest-secret" not in f"{spec} {spec!r} {spec.identity()}"  # the key never reaches a manifest
    assert spec.options["api_key"] == "redacted"
    agent = make_agent(spec)
    assert isinstance(agent, OpenAIAgent) and agent.client.api_key == "sk-pytest-secret"


def test_cached_prompt_tokens_are_split_out_of_input_tokens_and_priced_by_the_table(
        server: ResponsesMockServer) -> None:
    from types import SimpleNamespace

    agent = agent_for(server, price="2/8")
    usage = SimpleNamespace(input_tokens=1000, output_tokens=50,
                            input_tokens_details=SimpleNamespace(cached_tokens=400, cache_write_tokens=100))
    priced = agent._usage(usage)
    assert (priced.input_tokens, priced.cache_read_tokens, priced.cache_write_tokens) == (500, 400, 100)
    table = rates_for("x", price=(2.0, 8.0))  # a price given as an option takes the table's cache multipliers
    assert priced.cost_usd == pytest.approx(500 * 2e-6 + 50 * 8e-6 + 400 * table.cache_read + 100 * table.cache_write)
    assert agent._usage(None).cost_usd == 0.0


def test_malformed_calls_are_tool_errors_the_model_reads_never_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = Script(INSTRUCTION, [[{"type": "computer_call", "action": {"type": "click", "button": "left", "x": "ten",
                                                                     "y": 1}},
                                {"type": "function_call", "name": "bash", "arguments": "{not json"},
                                {"type": "computer_call", "action": {"type": "zoom", "x": 1, "y": 1}}]])
    with ResponsesMockServer([bad]) as srv:
        agent = agent_for(srv)
        requests: list[dict[str, Any]] = []
        create = agent.caller.create

        def recording(**request: Any) -> Any:
            requests.append(request)
            return create(**request)

        monkeypatch.setattr(agent.caller, "create", recording)
        turns = drive(agent)
        assert [t.control for t in turns] == [None, "DONE"] and turns[0].actions == []
        assert turns[0].calls[0]["refused"] == 3
        assert len(srv.successful_calls()) == 2  # the answers to all three passed the server's pairing check
    answers = requests[1]["input"]
    assert [i.get("type", "message") for i in answers] == ["computer_call_output", "function_call_output",
                                                          "computer_call_output", "message"]
    assert answers[1]["output"].startswith("Error: the arguments of bash are not valid JSON")
    note = answers[3]["content"][0]["text"]
    assert "malformed click action" in note and "unknown computer action type 'zoom'" in note


def test_a_reply_cut_off_by_max_output_tokens_ends_the_episode_as_the_agents_error(
        server: ResponsesMockServer) -> None:
    agent = agent_for(server, max_output_tokens=16, reasoning_summary="concise")
    with pytest.raises(ModelStopped, match="response status incomplete .*max_output_tokens"):
        drive(agent)
    assert server.successful_calls()[0].usage is not None  # billed all the same, as OpenAI bills a cut-off reply
