"""The gemini agent through the real google-genai SDK against the local generateContent server: reference solutions
replayed and billed exactly, requests validated as Google documents them, retries, the safety service's
confirmation, bad input as errors the model or the user sees."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from google.genai import types

from harness.agents.base import EpisodeInfo, Observation
from harness.agents.claude.agent import ModelStopped
from harness.agents.gemini import GeminiAgent
from harness.agents.registry import make_agent
from harness.agents.retry import ModelRequestRejected
from harness.errors import ConfigError, InfraError
from harness.mockapi import Faults, Script, load_scripts
from harness.mockapi.gemini_script import convert
from harness.mockapi.gemini_server import GeminiServer
from harness.runner.policy import ConfirmationPolicy, Rule, denial_message, load_policy
from harness.tools.result import ToolResult

from .claude_support import SleepLog, drive, png
from .conftest import REPO, SMOKE

MODEL = "gemini-2.5-computer-use-preview-10-2025"
SCRIPTS = load_scripts(SMOKE)


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "pytest-key")
    monkeypatch.delenv("GOOGLE_GEMINI_BASE_URL", raising=False)


@pytest.fixture
def server() -> Iterator[GeminiServer]:
    with GeminiServer(SCRIPTS) as srv:
        yield srv


@pytest.fixture(scope="module")
def raw_server() -> Iterator[GeminiServer]:
    """One server for the raw-request tests (each stop waits out the server loop's half-second poll)."""
    with GeminiServer(SCRIPTS) as srv:
        yield srv


def convert_turns(script: Script) -> list[Any]:
    """The model turns the server replays for a script (its final answer is one more call)."""
    return convert(script, {"bash", "str_replace_based_edit_tool"}).turns


def gemini(server: GeminiServer, **options: Any) -> GeminiAgent:
    return GeminiAgent(base_url=server.url, sleep=SleepLog(), **options)


def priced(usage: dict[str, int]) -> float:
    """Cost of one call from the price file, computed here independently of harness.agents.pricing."""
    table = json.loads((REPO / "harness" / "agents" / "pricing.json").read_text())
    price = table["models"]["gemini-2.5-computer-use-preview"]
    cached = usage.get("cachedContentTokenCount", 0)
    return float((usage["promptTokenCount"] - cached) * price["input"] + usage["candidatesTokenCount"]
                 * price["output"] + cached * price["input"] * table["cache_read_multiplier"]) / 1e6


def test_every_smoke_solution_replays_as_gemini_calls_and_the_accounting_equals_the_bill(
        server: GeminiServer) -> None:
    agent = gemini(server)
    for script in SCRIPTS:
        turns = drive(agent, script.match, budget=15)
        assert turns[-1].control == "DONE" and turns[-1].text == script.final
        assert all(t.actions for t in turns[:-1])
    billed = [c.usage for c in server.successful_calls() if c.usage]
    assert len(billed) == len(server.calls) == sum(len(convert_turns(s)) + 1 for s in SCRIPTS)
    assert all(c.status == 200 for c in server.calls)
    assert sum(1 for c in server.calls if c.usage and c.usage.get("cachedContentTokenCount")) > len(SCRIPTS)
    # tokens and dollars of the agent's per-call records equal the server's usage priced by the table
    records = agent.calls  # the last episode's: compare that one call by call
    last = billed[-len(records):]
    for record, usage in zip(records, last, strict=True):
        cached = usage.get("cachedContentTokenCount", 0)
        assert record["input_tokens"] == usage["promptTokenCount"] - cached
        assert record["cache_read_tokens"] == cached
        assert record["output_tokens"] == usage["candidatesTokenCount"]
        assert record["cost_usd"] == pytest.approx(priced(usage), rel=1e-12)


def test_the_first_request_declares_the_desktop_the_custom_tools_and_excludes_the_browser_only_functions(
        server: GeminiServer) -> None:
    agent = gemini(server)
    agent.start(EpisodeInfo("t", "d", "nothing scripted", 5, (1280, 800)))
    config = agent.config()
    tools = config.tools or []
    use = tools[0].computer_use  # type: ignore[union-attr]
    assert use is not None and use.environment == types.Environment.ENVIRONMENT_DESKTOP
    assert set(use.excluded_predefined_functions or []) == {"open_web_browser", "go_back", "go_forward", "search",
                                                           "navigate"}
    assert [d.name for d in tools[1].function_declarations or []] == ["bash", "str_replace_based_edit_tool"]  # type: ignore[union-attr]
    turn = agent.act(Observation(0, png(), []))
    assert turn.control == "DONE" and "no script" in turn.text


def test_a_browser_only_call_and_a_malformed_one_reach_the_model_as_error_responses(server: GeminiServer) -> None:
    server.scripts.append(Script("open the web", [[
        {"type": "function_call", "name": "navigate", "args": {"url": "https://example.org"}},
        {"type": "function_call", "name": "click_at", "args": {"x": 2000, "y": 1}},
        {"type": "function_call", "name": "click_at", "args": {"x": 10, "y": 10}}]], name="web"))
    agent = gemini(server)
    turns = drive(agent, "open the web")
    assert [a.model_dump(exclude_none=True)["coordinate"] for a in turns[0].actions] == [(13, 8)]
    answered = agent.contents[-1].parts or []  # the function responses sent back
    bodies = [p.function_response.response or {} for p in answered if p.function_response]
    assert "not available" in bodies[0]["error"] and "off the normalized grid" in bodies[1]["error"]
    assert bodies[2] == {"status": "ok", "output": "ok"}
    assert [p.function_response.name for p in answered if p.function_response] == ["navigate", "click_at", "click_at"]
    assert agent.calls[0]["refused"] == 2 and agent.calls[0]["function_calls"] == 3
    assert all(c.status == 200 for c in server.calls)  # the server took the error responses as valid answers


def safety_script(match: str) -> Script:
    return Script(match, [[{"type": "tool_use", "name": "computer", "input": {
        "action": "left_click", "coordinate": [640, 400],
        "safety_decision": {"decision": "require_confirmation", "explanation": "This click would accept the terms and conditions"}}}]],
        name="terms")


def test_a_call_that_needs_confirmation_is_refused_by_default_and_its_explanation_is_in_the_turn_text(
        server: GeminiServer) -> None:
    server.scripts.append(safety_script("accept the license"))
    agent = gemini(server)
    turns = drive(agent, "accept the license")
    assert turns[0].actions == [] and "require_confirmation" in turns[0].text
    assert "accept the terms and conditions" in turns[0].text  # what deskbench's confirmation policy reads
    response = (agent.contents[-1].parts or [])[0].function_response
    assert response is not None and response.response is not None and "confirmation" in response.response["error"]
    assert agent.calls[0]["safety"] == ["require_confirmation"]


def test_with_safety_confirmation_allow_the_call_runs_and_the_response_acknowledges_it(server: GeminiServer) -> None:
    server.scripts.append(safety_script("accept the license"))
    agent = gemini(server, safety_confirmation="allow")
    turns = drive(agent, "accept the license")
    assert [a.model_dump(exclude_none=True)["coordinate"] for a in turns[0].actions] == [(640, 400)]
    response = (agent.contents[-1].parts or [])[0].function_response
    assert response is not None and response.response is not None
    assert response.response["safety_acknowledgement"] == "true"


def test_injected_429s_are_retried_with_the_servers_wait_and_counted() -> None:
    with GeminiServer(SCRIPTS, Faults(fail_first=2, status=429, retry_after=0.25)) as srv:
        sleeps = SleepLog()
        agent = GeminiAgent(base_url=srv.url, sleep=sleeps)
        turns = drive(agent, SCRIPTS[0].match)
    assert turns[0].usage.retries == 2 and sleeps.waits == [0.25, 0.25]
    assert [a["status"] for a in agent.calls[0]["attempts"]] == [429, 429]
    assert "RESOURCE_EXHAUSTED" in agent.calls[0]["attempts"][0]["error"]


def test_a_service_that_stays_unavailable_is_an_infrastructure_error() -> None:
    with GeminiServer(SCRIPTS, Faults(fail_always=True, status=503)) as srv:
        agent = GeminiAgent(base_url=srv.url, sleep=SleepLog(), max_retries=2)
        with pytest.raises(InfraError, match="UNAVAILABLE"):
            drive(agent, SCRIPTS[0].match)
        assert len(srv.calls) == 3


def test_an_unknown_model_is_refused_before_any_call_or_by_the_api_with_googles_message(
        server: GeminiServer) -> None:
    with pytest.raises(ConfigError, match="no price for model 'gemini-9-ultra'"):
        gemini(server, model="gemini-9-ultra")
    agent = gemini(server, model="gemini-9-ultra", price="1/2")
    with pytest.raises(ModelRequestRejected, match="HTTP 404 NOT_FOUND: models/gemini-9-ultra is not found"):
        drive(agent, SCRIPTS[0].match)
    assert not server.successful_calls()


def test_a_missing_key_and_bad_options_are_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="needs an API key: set GEMINI_API_KEY"):
        make_agent("gemini")
    monkeypatch.setenv("GEMINI_API_KEY", "k")
    with pytest.raises(ConfigError, match="environment"):
        make_agent("gemini", {"environment": "phone"})
    with pytest.raises(ConfigError, match="tools must include computer"):
        make_agent("gemini", {"tools": "bash"})
    assert make_agent("gemini", {"tools": "computer"}).name == "gemini"


def post(server: GeminiServer, body: Any, model: str = MODEL, key: str | None = "k") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"{server.url}/v1beta/models/{model}:generateContent",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json",
                                              **({"x-goog-api-key": key} if key else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def image_part() -> dict[str, Any]:
    import base64

    return {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(png(64, 64).data).decode()}}


COMPUTER = [{"computerUse": {"environment": "ENVIRONMENT_DESKTOP"}}]


@pytest.mark.parametrize("body,status,needle", [
    ({"tools": COMPUTER, "contents": []}, 400, "contents is not specified"),
    ({"contents": [{"role": "user", "parts": [{"text": "x"}]}]}, 400, "Computer Use tool is required"),
    ({"tools": [{"computerUse": {"environment": "ENVIRONMENT_TV"}}], "contents": [{"role": "user", "parts": [
        {"text": "x"}]}]}, 400, "computer_use.environment"),
    ({"tools": COMPUTER, "contents": [{"role": "system", "parts": [{"text": "x"}]}]}, 400, "valid role"),
    ({"tools": COMPUTER, "contents": [{"role": "user", "parts": [{"text": "x", "inlineData": {}}]}]}, 400,
     "exactly one of"),
    ({"tools": COMPUTER, "contents": [{"role": "user", "parts": [
        {"inlineData": {"mimeType": "image/gif", "data": "R0lG"}}]}]}, 400, "Unsupported MIME type"),
    ({"tools": COMPUTER, "contents": [{"role": "user", "parts": [
        {"inlineData": {"mimeType": "image/png", "data": "bm90IGFuIGltYWdl"}}]}]}, 400, "Unable to process"),
    ({"tools": COMPUTER, "contents": [
        {"role": "user", "parts": [{"text": "x"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "click_at", "args": {}}},
                                    {"functionCall": {"name": "wait_5_seconds", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "click_at", "response": {}}}]}]}, 400,
     "number of function response parts is equal"),
    ({"tools": COMPUTER, "contents": [
        {"role": "user", "parts": [{"text": "x"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "click_at", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "hover_at", "response": {}}}]}]}, 400,
     "does not answer the function call"),
    ({"tools": COMPUTER, "generationConfig": {"temperature": 3}, "contents": [{"role": "user", "parts": [
        {"text": "x"}]}]}, 400, "temperature"),
])
def test_requests_the_api_refuses_get_googles_error_shape(raw_server: GeminiServer, body: dict[str, Any],
                                                          status: int, needle: str) -> None:
    code, answer = post(raw_server, body)
    assert code == status and set(answer) == {"error"}
    assert answer["error"]["code"] == status and answer["error"]["status"] == "INVALID_ARGUMENT"
    assert needle in answer["error"]["message"], answer


def test_a_valid_raw_request_in_either_spelling_is_answered_and_keys_and_models_are_checked(
        raw_server: GeminiServer) -> None:
    server = raw_server
    ok = {"tools": [{"computer_use": {"environment": "ENVIRONMENT_BROWSER"}}],
          "contents": [{"role": "user", "parts": [{"text": "hello"}, image_part()]}]}
    code, answer = post(server, ok)
    assert code == 200 and answer["candidates"][0]["finishReason"] == "STOP"
    usage = answer["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert post(server, ok, key=None)[1]["error"]["status"] == "PERMISSION_DENIED"
    assert post(server, ok, model="gemini-1.0-pro")[1]["error"]["status"] == "NOT_FOUND"


def test_old_screenshots_leave_the_request_but_stay_in_the_history(server: GeminiServer) -> None:
    agent = gemini(server, keep_screenshots=1)
    script = next(s for s in SCRIPTS if s.name == "sort-downloads")
    drive(agent, script.match, lambda action: ToolResult(output="done"))
    assert [c["images_sent"] for c in agent.calls] == [1, 1, 1, 1]
    assert sum(1 for c in agent.contents for p in c.parts or []
               if p.inline_data or (p.function_response and p.function_response.parts)) == 4


def test_an_allowed_call_still_meets_deskbenchs_policy_which_reads_the_safety_explanation(
        server: GeminiServer) -> None:
    server.scripts.append(safety_script("accept the license"))
    agent = gemini(server, safety_confirmation="allow")
    agent.start(EpisodeInfo("t", "d", "accept the license", 5, (1280, 800)))
    turn = agent.act(Observation(0, png(), []))
    verdict = load_policy("default").review(turn.actions[0], turn.text)  # what the runner does before it runs
    assert verdict is not None and (verdict.rule, verdict.verdict) == ("accept terms", "denied")
    assert load_policy("default").review(turn.actions[0], "") is None  # the click alone says nothing


def test_a_reply_cut_off_by_max_output_tokens_ends_the_turn_with_the_reason(server: GeminiServer) -> None:
    agent = gemini(server, max_output_tokens=1)
    with pytest.raises(ModelStopped, match="finish_reason MAX_TOKENS"):
        drive(agent, SCRIPTS[0].match)
    assert agent.calls == [] and server.calls[-1].stop_reason == "MAX_TOKENS"


@pytest.mark.parametrize("reason", ["MALFORMED_FUNCTION_CALL", "SAFETY"])
def test_a_turn_the_api_ends_without_content_is_an_agent_error_naming_the_finish_reason(
        server: GeminiServer, reason: str) -> None:
    server.scripts.append(Script("broken call", [[{"stop_reason": reason}]], name="broken"))
    agent = gemini(server)
    with pytest.raises(ModelStopped, match=f"finish_reason {reason}: the turn ended without an answer in step 0"):
        drive(agent, "broken call")
    assert server.calls[-1].status == 200 and server.calls[-1].stop_reason == reason


PROVIDER_ASKS = Rule(name="provider asks", tools=["computer"], pattern=r"\[safety: require_confirmation\]",
                     in_model_text=True, decision="ask")


@pytest.mark.parametrize("answer", [True, False])
def test_with_safety_confirmation_policy_the_runs_policy_decides_and_only_a_confirmed_call_is_acknowledged(
        server: GeminiServer, answer: bool) -> None:
    server.scripts.append(safety_script("accept the license"))
    agent = gemini(server, safety_confirmation="policy")
    agent.start(EpisodeInfo("t", "d", "accept the license", 5, (1280, 800)))
    turn = agent.act(Observation(0, png(), []))
    asked: list[str] = []

    def confirm(rule: Rule, action: str) -> bool:
        asked.append(action)
        return answer

    policy = ConfirmationPolicy([PROVIDER_ASKS], confirm)
    verdict = policy.review(turn.actions[0], turn.text)  # as the runner does before the click runs
    assert verdict is not None and verdict.verdict == ("confirmed" if answer else "denied") and asked
    result = ToolResult(output="ok") if answer else ToolResult(error=denial_message(verdict))
    agent.act(Observation(1, png(), [result]))
    response = (agent.contents[-1].parts or [])[0].function_response
    assert response is not None and response.response is not None
    if answer:
        assert response.response["safety_acknowledgement"] == "true"
    else:
        assert "confirmation policy" in response.response["error"]
        assert "safety_acknowledgement" not in response.response
