"""The local Messages API: it rejects what the real API rejects (with the API's error shape), bills tokens
the documented way, simulates the prompt cache, injects failures on request, and runs from the command line."""

from __future__ import annotations

import base64
import io
import json
import math
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest
from PIL import Image

from harness.mockapi import Faults, MockServer
from harness.mockapi.script import ToolDeclarations, adapt
from harness.mockapi.tokens import COMPUTER_USE_SYSTEM_PROMPT, REQUEST_FRAMING

from .claude_support import SMOKE_DIR, client_for, png

COMPUTER = {"type": "computer_20250124", "name": "computer", "display_width_px": 1280, "display_height_px": 800}
BETA = ["computer-use-2025-01-24"]
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server: MockServer) -> anthropic.Anthropic:
    return client_for(server)


def image(media_type: str = "image/png", data: str | None = None) -> dict[str, Any]:
    if data is None:
        data = base64.b64encode(png(64, 48).data).decode()
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def use(tool_id: str = "toolu_1") -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": "computer", "input": {"action": "screenshot"}}


def result(tool_id: str = "toolu_1") -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tool_id, "content": [{"type": "text", "text": "ok"}]}


def send(client: anthropic.Anthropic, messages: list[dict[str, Any]], tools: list[Any] | None = None,
         betas: list[str] | None = None, **extra: Any) -> Any:
    """A raw request: the SDK's typed parameters are bypassed on purpose, malformed ones included."""
    api: Any = client.beta.messages
    extra.setdefault("max_tokens", 1024)
    return api.create(model="claude-sonnet-4-5", messages=messages, tools=tools if tools is not None else [COMPUTER],
                      betas=betas if betas is not None else BETA, **extra)


def rejected(client: anthropic.Anthropic, *args: Any, **kwargs: Any) -> str:
    """Send a request that must fail with 400 invalid_request_error; returns the API's message."""
    with pytest.raises(anthropic.BadRequestError) as info:
        send(client, *args, **kwargs)
    assert info.value.status_code == 400
    body = info.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["error"]["type"] == "invalid_request_error"
    return str(body["error"]["message"])


START = {"role": "user", "content": "take a screenshot"}


def test_a_well_formed_tool_loop_is_accepted(client: anthropic.Anthropic) -> None:
    reply = send(client, [START, {"role": "assistant", "content": [use()]},
                          {"role": "user", "content": [result(), image()]}])
    assert reply.type == "message" and reply.role == "assistant" and reply.stop_reason == "end_turn"
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0


@pytest.mark.parametrize("messages,needle", [
    ([START, {"role": "assistant", "content": [use()]}, {"role": "user", "content": "go on"}],
     "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1"),
    ([START, {"role": "assistant", "content": [use("toolu_1"), use("toolu_2")]},
      {"role": "user", "content": [result("toolu_1")]}],
     "without `tool_result` blocks immediately after: toolu_2"),
    ([START, {"role": "assistant", "content": [use()]}, {"role": "user", "content": [result(), result()]}],
     "Found multiple `tool_result` blocks with id: toolu_1"),
    ([START, {"role": "assistant", "content": [use()]}, {"role": "user", "content": [result(), result("toolu_9")]}],
     "unexpected `tool_use_id` found in `tool_result` blocks: toolu_9"),
    ([{"role": "user", "content": [result()]}], "unexpected `tool_use_id`"),
    ([{"role": "assistant", "content": "hi"}, START], 'first message must use the "user" role'),
    ([{"role": "user", "content": [{"type": "text", "text": ""}]}], "text content blocks must be non-empty"),
])
def test_broken_tool_pairing_and_messages_are_rejected(client: anthropic.Anthropic, messages: list[dict[str, Any]],
                                                       needle: str) -> None:
    assert needle in rejected(client, messages)


@pytest.mark.parametrize("block,needle", [
    (image("image/bmp"), "media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"),
    (image(data="not base64!"), "Invalid base64 data"),
    (image("image/jpeg"), "Image does not match the provided media type image/jpeg"),
    (image(data=base64.b64encode(b"\x89PNG\r\n\x1a\nbroken").decode()), "Could not process image"),
    ({"type": "image", "source": {"type": "url", "url": "http://example.com/a.png"}}, "no internet"),
])
def test_malformed_images_are_rejected(client: anthropic.Anthropic, block: dict[str, Any], needle: str) -> None:
    assert needle in rejected(client, [{"role": "user", "content": [{"type": "text", "text": "look"}, block]}])


@pytest.mark.parametrize("tools,betas,needle", [
    ([{**COMPUTER, "type": "computer_20990101"}], BETA, "Input tag 'computer_20990101' found using 'type'"),
    ([COMPUTER], ["computer-use-2024-10-22"], "Input tag 'computer_20250124' found using 'type' does not match"),
    ([COMPUTER], [], "Input tag 'computer_20250124'"),
    ([{**COMPUTER, "type": "computer_20251124"}], BETA, "Input tag 'computer_20251124'"),
    ([{"type": "bash_20241022", "name": "bash"}], BETA, "Input tag 'bash_20241022'"),
    ([{**COMPUTER, "name": "mouse"}], BETA, "name: Input should be 'computer'"),
    ([{"type": "text_editor_20250728", "name": "str_replace_editor"}], BETA,
     "name: Input should be 'str_replace_based_edit_tool'"),
    ([{**COMPUTER, "description": "a computer"}], BETA, "description: Extra inputs are not permitted"),
    ([{**COMPUTER, "display_width_px": None}], BETA, "display_width_px: Field required"),
    ([{**COMPUTER, "enable_zoom": True}], BETA, "enable_zoom: Extra inputs are not permitted"),
])
def test_unknown_tool_types_and_wrong_beta_headers_are_rejected(client: anthropic.Anthropic,
                                                                 tools: list[dict[str, Any]], betas: list[str],
                                                                 needle: str) -> None:
    assert needle in rejected(client, [START], tools, betas)


def test_an_unknown_beta_value_is_rejected(client: anthropic.Anthropic) -> None:
    assert "Unexpected value(s) `computer-use-2025-01-25`" in rejected(client, [START], betas=[
        "computer-use-2025-01-25"])


def test_cache_thinking_and_temperature_rules(client: anthropic.Anthropic) -> None:
    marked = [{"type": "text", "text": f"part {i}", "cache_control": {"type": "ephemeral"}} for i in range(5)]
    assert "A maximum of 4 blocks with cache_control may be provided. Found 5." in rejected(
        client, [{"role": "user", "content": marked}])
    assert "must be greater than `thinking.budget_tokens`" in rejected(
        client, [START], thinking={"type": "enabled", "budget_tokens": 2048})
    assert "thinking.enabled.budget_tokens" in rejected(client, [START], thinking={"type": "enabled",
                                                                                   "budget_tokens": 10})
    assert "temperature" in rejected(client, [START], extra_body={"temperature": 1.5})
    missing_thinking = [START, {"role": "assistant", "content": [use()]}, {"role": "user", "content": [result()]}]
    assert "Expected `thinking` or `redacted_thinking`, but found `tool_use`" in rejected(
        client, missing_thinking, max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 2048})
    forged = [START, {"role": "assistant", "content": [{"type": "thinking", "thinking": "x", "signature": "forged"},
                                                       use()]}, {"role": "user", "content": [result()]}]
    assert "Invalid `signature`" in rejected(client, forged, max_tokens=4096,
                                             thinking={"type": "enabled", "budget_tokens": 2048})


def test_missing_key_and_unknown_model_are_answered_like_the_api(server: MockServer) -> None:
    request = urllib.request.Request(server.url + "/v1/messages", data=b"{}", method="POST",
                                     headers={"anthropic-version": "2023-06-01"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 401
    assert json.loads(info.value.read())["error"]["type"] == "authentication_error"
    with pytest.raises(anthropic.NotFoundError):
        client_for(server).beta.messages.create(model="gpt-4o", max_tokens=10, messages=[START])  # type: ignore


def test_input_tokens_follow_the_documented_estimates(server: MockServer, client: anthropic.Anthropic) -> None:
    text = "x" * 400  # 100 tokens
    shot = png(1024, 768)
    data = base64.b64encode(shot.data).decode()
    content = [{"type": "text", "text": text}, image(data=data)]
    tools = [COMPUTER, {"type": "bash_20250124", "name": "bash"},
             {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"}]
    reply = send(client, [{"role": "user", "content": content}], tools)
    expected = 100 + math.ceil(1024 * 768 / 750) + 735 + COMPUTER_USE_SYSTEM_PROMPT + 245 + 700 + REQUEST_FRAMING
    assert reply.usage.input_tokens == expected
    assert (reply.usage.cache_creation_input_tokens, reply.usage.cache_read_input_tokens) == (0, 0)
    api: Any = client.beta.messages
    counted = api.count_tokens(model="claude-sonnet-4-5", messages=[{"role": "user", "content": content}], tools=tools,
                               betas=BETA)
    assert counted.input_tokens == expected


def test_the_prompt_cache_writes_then_reads_the_marked_prefix(client: anthropic.Anthropic) -> None:
    system = [{"type": "text", "text": "s" * 8000, "cache_control": {"type": "ephemeral"}}]  # 2000 tokens
    first = send(client, [{"role": "user", "content": "one"}], system=system)
    second = send(client, [{"role": "user", "content": "two, a different question"}], system=system)
    assert first.usage.cache_creation_input_tokens == 2000 + 735 + COMPUTER_USE_SYSTEM_PROMPT
    assert first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert second.usage.cache_creation_input_tokens == 0
    assert second.usage.input_tokens == math.ceil(len("two, a different question") / 4) + REQUEST_FRAMING
    short = send(client, [{"role": "user", "content": [{"type": "text", "text": "tiny",
                                                          "cache_control": {"type": "ephemeral"}}]}], tools=[])
    assert short.usage.cache_creation_input_tokens == 0  # under 1024 tokens: never cached


def test_injected_failures_carry_retry_after_and_then_stop() -> None:
    with MockServer(faults=Faults(fail_first=2, status=529, retry_after=3)) as srv:
        client = client_for(srv)
        for _ in range(2):
            with pytest.raises(anthropic.InternalServerError) as info:
                send(client, [START])
            assert info.value.status_code == 529
            assert info.value.response.headers["retry-after"] == "3"
            assert info.value.body == {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        assert send(client, [START]).stop_reason == "end_turn"
        assert [c.status for c in srv.calls] == [529, 529, 200]


def test_scripted_calls_adapt_to_the_declared_editor_and_display() -> None:
    insert = {"type": "tool_use", "name": "str_replace_based_edit_tool",
              "input": {"command": "insert", "path": "/a", "insert_line": 0, "insert_text": "x"}}
    old = ToolDeclarations.of([{"type": "text_editor_20250124", "name": "str_replace_editor"}])
    assert adapt(insert, old, None) == {"type": "tool_use", "name": "str_replace_editor",
                                       "input": {"command": "insert", "path": "/a", "insert_line": 0, "new_str": "x"}}
    click = {"type": "tool_use", "name": "computer", "input": {"action": "left_click", "coordinate": [640, 400]}}
    small = ToolDeclarations.of([{**COMPUTER, "display_width_px": 1024, "display_height_px": 640}])
    assert adapt(click, small, (1280, 800))["input"]["coordinate"] == [512, 320]


def test_the_command_line_server_prints_its_url_and_replays_task_solutions() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "harness.mockapi", "--port", "0", "--script", SMOKE_DIR],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        client = anthropic.Anthropic(api_key="k", base_url=url, max_retries=0)
        instruction = json.loads((Path(SMOKE_DIR) / "terminal" / "count-errors.json").read_text())["instruction"]
        reply = client.beta.messages.create(
            model="claude-sonnet-4-5", max_tokens=1024, betas=BETA,
            tools=[COMPUTER, {"type": "bash_20250124", "name": "bash"}],  # type: ignore[list-item]
            messages=[{"role": "user", "content": instruction}])
        assert reply.stop_reason == "tool_use"
        call = next(b for b in reply.content if b.type == "tool_use")
        assert (call.name, call.input) == ("bash", {"command": "grep -c ERROR ~/logs/app.log > ~/Desktop/errors.txt"})
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_images_are_read_for_their_size() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (300, 200)).save(buf, "JPEG")
    from harness.mockapi.tokens import image_size

    assert image_size(base64.b64encode(buf.getvalue()).decode()) == (300, 200)
