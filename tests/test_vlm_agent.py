"""The vlm agent against the local chat-completions server, without a desktop: replies replayed in both
formats, tokens and dollars as the server billed them, refusals and failed actions told to the model,
retries on 429/5xx, and every bad option or request refused with one clear message."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from PIL import Image

from harness.actions import ComputerAction
from harness.agents.base import EpisodeInfo, Observation, Turn
from harness.agents.registry import make_agent
from harness.agents.retry import ModelRequestRejected
from harness.agents.spec import build_spec
from harness.agents.vlm import VlmAgent
from harness.errors import ConfigError, InfraError
from harness.mockapi import Faults, MockCall, Script, load_scripts
from harness.mockapi.chat_script import ReplyFormat
from harness.mockapi.chat_server import ChatMockServer
from harness.sandbox.guest import Screenshot
from harness.tools.result import ToolResult

from .claude_support import SleepLog
from .conftest import SMOKE

SCRIPTS = load_scripts(SMOKE)
MODEL = "ui-tars-1.5-7b"
PRICE = (0.2, 0.6)  # USD per million input / output tokens


def png(size: tuple[int, int] = (1280, 800)) -> Screenshot:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 60, 90)).save(buf, "PNG")
    return Screenshot(buf.getvalue(), "image/png", *size)


def make(server: ChatMockServer, **options: Any) -> VlmAgent:
    return VlmAgent(MODEL, base_url=server.base_url, price="/".join(map(str, PRICE)), sleep=SleepLog(), **options)


def instruction(task_id: str) -> str:
    return next(s.match for s in SCRIPTS if s.name == task_id)


Executor = Callable[[Any], ToolResult]


def drive(agent: VlmAgent, task_id: str, execute: Executor | None = None, budget: int = 15,
          screen: tuple[int, int] = (1280, 800)) -> list[Turn]:
    agent.start(EpisodeInfo(task_id, "d", instruction(task_id), budget, screen))
    turns: list[Turn] = []
    results: list[ToolResult] = []
    for step in range(budget):
        turn = agent.act(Observation(step, png(screen), results))
        turns.append(turn)
        if turn.control in ("DONE", "FAIL"):
            break
        results = [(execute or (lambda a: ToolResult()))(a) for a in turn.actions]
    return turns


def computer_actions(turns: Iterable[Turn]) -> list[ComputerAction]:
    """The turns' actions, each checked to be a computer action (a VLM agent's code drives only mouse and keys)."""
    actions = [a for t in turns for a in t.actions]
    assert all(isinstance(a, ComputerAction) for a in actions), actions
    return [a for a in actions if isinstance(a, ComputerAction)]


def priced(calls: list[MockCall]) -> float:
    return sum(c.usage["prompt_tokens"] * PRICE[0] + c.usage["completion_tokens"] * PRICE[1]
               for c in calls if c.usage) / 1e6


@pytest.mark.parametrize("fmt", ["pyautogui", "uitars"])
def test_a_replayed_solution_arrives_as_the_tasks_actions_and_is_billed_as_served(fmt: ReplyFormat) -> None:
    with ChatMockServer(SCRIPTS, reply_format=fmt) as server:
        agent = make(server, format=fmt, wait_seconds="1")
        turns = drive(agent, "count-errors")
    assert turns[-1].control == "DONE"
    actions = computer_actions(turns)
    typed = [a.text for a in actions if a.action == "type"]
    assert typed == ["grep -c ERROR ~/logs/app.log > ~/Desktop/errors.txt\n"]
    assert [a.text for a in actions if a.action == "key"] == ["ctrl+alt+t"]  # the terminal the shell step needs
    calls = server.successful_calls()
    assert len(calls) == len(turns) == sum(t.usage.calls for t in turns)
    assert sum(t.usage.input_tokens for t in turns) == sum(c.usage["prompt_tokens"] for c in calls if c.usage)
    assert sum(t.usage.output_tokens for t in turns) == sum(c.usage["completion_tokens"] for c in calls if c.usage)
    assert sum(t.usage.cost_usd for t in turns) == pytest.approx(priced(calls), rel=1e-9)
    assert all(t.calls[0]["model"] == MODEL and t.calls[0]["format"] == fmt for t in turns)


def test_history_keeps_the_last_screenshots_only_and_every_image_is_a_data_url() -> None:
    with ChatMockServer(SCRIPTS) as server:
        agent = make(server, history="1", image_size="640x400")
        drive(agent, "fix-typo")
        request = agent.request("next", "data:image/png;base64,AAAA")
    users = [m for m in request["messages"] if m["role"] == "user"]
    images = [p for m in users for p in m["content"] if p["type"] == "image_url"]
    assert len(users) == 6 and len(images) == 2  # the last past turn's screenshot and this one
    assert all(m["role"] != "assistant" or isinstance(m["content"], str) for m in request["messages"])
    assert [c.status for c in server.calls] == [200] * len(server.calls)


class JunkFirst(ChatMockServer):
    """A model whose first reply is not runnable code; then it follows the script."""

    def _reply(self, messages: list[dict[str, Any]], call: MockCall) -> tuple[str, str]:
        if not any(m.get("role") == "assistant" for m in messages):
            return "```python\nimport os\nos.system('reboot')\n```", "stop"
        return super()._reply(messages[:1] + messages[3:], call)  # the script, as if the junk turn had not been


def test_a_refused_reply_runs_nothing_and_the_model_reads_why_in_the_next_turn() -> None:
    with JunkFirst(SCRIPTS) as server:
        agent = make(server)
        turns = drive(agent, "hello-file")
    assert turns[0].actions == [] and turns[0].control is None and turns[0].calls[0]["refused"]
    told = agent.history[1].text
    assert "nothing was done" in told and "line 1" in told and "'import time' are allowed, not os" in told
    assert turns[-1].control == "DONE" and [a.action for a in computer_actions(turns[1:2])] == ["type"]


def test_an_action_the_desktop_refused_is_reported_with_its_number() -> None:
    with ChatMockServer(SCRIPTS) as server:
        agent = make(server)
        drive(agent, "fix-typo", execute=lambda a: ToolResult(error="unknown key name 'ctrl'") if a.action == "key"
              else ToolResult())
    assert "action 1 (key) failed: unknown key name 'ctrl'" in agent.history[1].text


def test_rate_limits_are_retried_with_the_servers_retry_after() -> None:
    # the first failure meets the model-list check when the agent is made (best effort: it lets it pass)
    with ChatMockServer(SCRIPTS, Faults(fail_first=3, status=429, retry_after=0.25)) as server:
        agent = make(server)
        sleep = SleepLog()
        agent.caller.sleep = sleep
        turns = drive(agent, "hello-file")
    assert sleep.waits == [0.25, 0.25] and turns[0].usage.retries == 2 and turns[-1].control == "DONE"
    assert [c.status for c in server.calls][:4] == [429, 429, 429, 200]
    assert [a["status"] for a in turns[0].calls[0]["attempts"]] == [429, 429]


def test_a_server_that_keeps_failing_is_an_infrastructure_error() -> None:
    with ChatMockServer(SCRIPTS, Faults(fail_always=True, status=503)) as server:
        agent = make(server, max_retries="2")
        with pytest.raises(InfraError, match=r"after 2 retries .*HTTP 503"):
            drive(agent, "hello-file")
    assert len(server.calls) == 1 + 3  # the model-list check, then the first call and its two retries


def test_a_model_the_server_does_not_serve_is_refused_when_the_agent_is_made() -> None:
    with ChatMockServer(SCRIPTS, models=("qwen2.5-vl-7b-instruct",)) as server:
        with pytest.raises(ConfigError, match=f"does not serve model '{MODEL}'; it serves qwen2.5-vl-7b-instruct"):
            make(server)
        answer = httpx.post(f"{server.base_url}/chat/completions", headers={"authorization": "Bearer EMPTY"},
                            json={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}, timeout=30)
    assert answer.status_code == 404 and answer.json()["error"]["message"] == f"The model `{MODEL}` does not exist."


@pytest.fixture(scope="module")
def served() -> Iterator[ChatMockServer]:
    """One server for the validation cases (stopping one takes up to half a second)."""
    with ChatMockServer(SCRIPTS) as server:
        yield server


@pytest.mark.parametrize(("change", "message"), [
    (lambda b: b["messages"][1]["content"][1]["image_url"].update(url="http://example.invalid/a.png"),
     "must be a base64 data URL"),
    (lambda b: b["messages"][1]["content"][1]["image_url"].update(url="data:image/png;base64,AAAA"),
     "not a readable image"),
    (lambda b: b.update(temperature=3), "temperature must be a number from 0 to 2"),
    (lambda b: b.update(tools_please=True), "Unrecognized request argument supplied: tools_please"),
    (lambda b: b["messages"].append({"role": "robot", "content": "x"}), "messages[2].role must be one of"),
    (lambda b: b["messages"][0].update(content=[{"type": "image_url", "image_url": {"url": "x"}}]),
     "image parts are only allowed in user messages"),
    (lambda b: b.update(max_tokens=40_000), "maximum context length is 32768 tokens"),
])
def test_requests_are_validated_as_the_endpoint_documents_them(change: Callable[[dict[str, Any]], None],
                                                               message: str, served: ChatMockServer) -> None:
    agent = make(served)
    agent.start(EpisodeInfo("t", "d", instruction("hello-file"), 15, (1280, 800)))
    body = agent.request("Task: x", agent._image_url(png()))
    url, auth = f"{served.base_url}/chat/completions", {"authorization": "Bearer EMPTY"}
    assert httpx.post(url, json=body, headers=auth, timeout=30).status_code == 200  # the agent's own request is valid
    change(body)
    answer = httpx.post(url, json=body, headers=auth, timeout=30)
    assert answer.status_code == 400 and message in answer.json()["error"]["message"]


def test_a_server_started_with_a_key_refuses_another(monkeypatch: pytest.MonkeyPatch) -> None:
    with ChatMockServer(SCRIPTS, api_key="s3cret") as server:
        monkeypatch.setenv("VLM_API_KEY", "wrong")
        with pytest.raises(ModelRequestRejected, match="HTTP 401 .*Incorrect API key"):
            drive(make(server), "hello-file")
        monkeypatch.setenv("VLM_API_KEY", "s3cret")
        assert drive(make(server), "hello-file")[-1].control == "DONE"


@pytest.mark.parametrize(("options", "message"), [
    ({"base_url": "http://127.0.0.1:1/v1", "price": "0/0"}, "agent 'vlm' option model: required"),
    ({"model": MODEL, "price": "0/0"}, "needs its server's address"),
    ({"model": MODEL, "base_url": "127.0.0.1:8000", "price": "0/0"}, "must start with http"),
    ({"model": MODEL, "base_url": "http://127.0.0.1:1/v1"}, "no price for model 'ui-tars-1.5-7b'"),
    ({"model": MODEL, "base_url": "http://127.0.0.1:1/v1", "price": "1"}, "price: Value error, give the price"),
    ({"model": MODEL, "base_url": "http://127.0.0.1:1/v1", "price": "0/0", "format": "xml"}, "format: Input should be"),
    ({"model": MODEL, "base_url": "http://127.0.0.1:1/v1", "price": "0/0", "image_size": "big"}, "WIDTHxHEIGHT"),
    ({"model": MODEL, "base_url": "http://127.0.0.1:1/v1", "price": "0/0", "colour": "red"}, "colour: unknown option"),
])
def test_bad_options_are_one_clear_error_before_any_call(options: dict[str, str], message: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VLM_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_agent(build_spec("vlm", options))


def test_the_registry_builds_it_and_keeps_the_key_out_of_the_spec() -> None:
    spec = build_spec("vlm", {"model": MODEL, "base_url": "http://127.0.0.1:1/v1", "price": "0/0",
                              "api_key": "sk-local-123", "format": "uitars"})
    assert "sk-local-123" not in f"{spec} {spec!r} {spec.identity()}" and spec.options["api_key"] == "redacted"
    agent = make_agent(spec)
    assert isinstance(agent, VlmAgent) and agent.client.api_key == "sk-local-123"
    assert agent.model_name() == MODEL and agent.options.format == "uitars"


def test_models_are_listed_like_vllm_lists_them() -> None:
    with ChatMockServer(SCRIPTS, models=("a", "b")) as server:
        listed = httpx.get(f"{server.base_url}/models", timeout=10).json()
    assert [m["id"] for m in listed["data"]] == ["a", "b"]


def test_the_smoke_scripts_all_replay_in_both_formats() -> None:
    """Every smoke task's solution has a GUI replay: none of them makes the server give up."""
    for fmt in ("pyautogui", "uitars"):
        with ChatMockServer(SCRIPTS, reply_format=fmt) as server:
            for task in sorted(s.name for s in SCRIPTS):
                turns = drive(make(server, format=fmt), task, screen=(320, 200))  # no solution clicks: any size
                assert turns[-1].control == "DONE", (fmt, task, turns[-1].text)
                assert len(turns) > 1
    assert Path(SMOKE).is_dir()


def test_the_stand_in_runs_from_the_command_line_and_prints_its_base_url_first() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "harness.mockapi.chat_server", "--script", str(SMOKE), "--format",
                             "uitars", "--model", "my-vlm"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        agent = VlmAgent("my-vlm", base_url=base_url, price="0/0", format="uitars", wait_seconds="1")
        assert drive(agent, "env-report", screen=(320, 200))[-1].control == "DONE"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    bad = subprocess.run([sys.executable, "-m", "harness.mockapi.chat_server", "--script", "/nonexistent/suite"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and bad.stderr.strip().splitlines() == [
        "chat_server: error: /nonexistent/suite: no such task file or folder"]


CLICKS = Script("Click the two buttons.", [
    [{"type": "tool_use", "name": "computer", "input": {"action": "left_click", "coordinate": [1279, 0]}}],
    [{"type": "tool_use", "name": "computer", "input": {"action": "double_click", "coordinate": [333, 777]}}],
], name="clicks", screen=(1280, 800))


@pytest.mark.parametrize(("fmt", "options", "absolute"), [
    ("pyautogui", {}, False), ("pyautogui", {"image_size": "1024x640"}, False), ("uitars", {}, False),
    ("uitars", {"coordinates": "absolute"}, True), ("uitars", {"coordinates": "absolute", "image_size": "1000x625"}, True),
])
def test_clicks_land_within_a_pixel_whatever_space_the_model_writes_in(fmt: ReplyFormat, options: dict[str, str],
                                                                      absolute: bool) -> None:
    with ChatMockServer([CLICKS], reply_format=fmt, absolute=absolute) as server:
        agent = make(server, format=fmt, **options)
        agent.start(EpisodeInfo("clicks", "d", CLICKS.match, 5, (1280, 800)))
        shots = []
        turns = []
        for step in range(3):
            turns.append(agent.act(Observation(step, png(), [ToolResult()])))
            shots.append(agent.history[-1].image_url)
    assert turns[-1].control == "DONE"
    got = [(a.action, a.coordinate) for a in computer_actions(turns)]
    assert [g[0] for g in got] == ["left_click", "double_click"]
    for (_, point), want in zip(got, [(1279, 0), (333, 777)], strict=True):
        assert point is not None and abs(point[0] - want[0]) <= 1 and abs(point[1] - want[1]) <= 1, (point, want)
    if absolute:  # sent at sides the server keeps (multiples of 28), and the prompt says pixels
        width, height = Image.open(io.BytesIO(base64.b64decode(shots[0].split(",", 1)[1]))).size
        assert width % 28 == 0 and height % 28 == 0 and f"pixels of the screenshot, {width}x{height}" in agent.system


def test_the_cli_refuses_a_vlm_run_without_its_options_in_one_line_before_any_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VLM_BASE_URL", "VLM_API_KEY")}
    run = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--suite", str(SMOKE), "--agent", "vlm",
                          "--model", "my-vlm", "--agent-option", "price=0/0", "--run-dir", str(tmp_path / "run")],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 1 and not (tmp_path / "run").exists()
    assert run.stderr.strip().splitlines() == [
        "deskbench: error: the vlm agent needs its server's address: --agent-option base_url=http://HOST:PORT/v1 "
        "or $VLM_BASE_URL"]
