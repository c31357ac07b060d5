"""A local Gemini API (``generateContent``): validates like the real one, replays scripts, bills tokens, fails on request.

Point the real ``google-genai`` client at it (``http_options.base_url``, the
agent option ``base_url`` or ``GOOGLE_GEMINI_BASE_URL``) and the gemini agent
runs unchanged, offline, for free::

    python -m harness.mockapi.gemini_server --port 8766 --script tasks/smoke &
    GOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8766 GEMINI_API_KEY=dry-run deskbench run --agent gemini

It is the Messages API mock's server (threads, call log, injected faults)
answering another protocol: reference solutions are rewritten into Gemini's
action set (``gemini_script``), requests are checked as Google documents
them (``gemini_validate``), and usage is counted the way Gemini bills it:
text at about four characters a token, images at 258 tokens per 768 x 768
tile, and implicit caching of any prefix already sent (``cachedContentTokenCount``).
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import re
import sys
import uuid
from collections.abc import Sequence
from typing import Any

from harness.mockapi.cache import PromptCache
from harness.mockapi.cli import serve_main, server_parser
from harness.mockapi.faults import Faults
from harness.mockapi.gemini_script import GeminiScript, convert
from harness.mockapi.gemini_validate import (
    GoogleError,
    check_key,
    check_model,
    check_request,
    decode_blob,
    field,
    invalid,
)
from harness.mockapi.script import NO_SCRIPT_TEXT, Script, choose_script
from harness.mockapi.server import MockCall, MockServer
from harness.mockapi.tokens import Unit, image_size, text_tokens

_PATH = re.compile(r"^/(v1|v1beta|v1alpha)/models/([^/:]+):generateContent$")
IMAGE_TILE = 768
TOKENS_PER_TILE = 258
#: an estimate of what declaring the computer-use tool adds to every prompt (Google publishes no figure)
COMPUTER_USE_TOOL_TOKENS = 1000
#: the smallest prefix implicit caching serves from the cache
MIN_CACHED_TOKENS = 1024


def image_tokens(width: int, height: int) -> int:
    """258 for an image up to 384 px on both sides, else 258 per 768 x 768 tile."""
    if width <= 384 and height <= 384:
        return TOKENS_PER_TILE
    return math.ceil(width / IMAGE_TILE) * math.ceil(height / IMAGE_TILE) * TOKENS_PER_TILE


def part_tokens(part: dict[str, Any]) -> int:
    """Tokens of one part: text, an image, a function call or a function response with its images."""
    if isinstance(part.get("text"), str):
        return text_tokens(part["text"])
    blob = field(part, "inlineData")
    if isinstance(blob, dict):
        return image_tokens(*image_size(_standard(blob["data"])))
    response = field(part, "functionResponse")
    if isinstance(response, dict):
        inner = sum(part_tokens(p) for p in response.get("parts") or [])
        return inner + text_tokens(json.dumps({"name": response.get("name"), "response": response.get("response")}))
    return text_tokens(json.dumps(part, sort_keys=True))


def _standard(data: str) -> str:
    return base64.b64encode(decode_blob(data)).decode("ascii")


def request_units(body: dict[str, Any]) -> list[Unit]:
    """The request as priced units in the order the model reads them: tools, system instruction, contents.

    Every unit may end a cached prefix: implicit caching needs no markers.
    """
    units: list[Unit] = []
    for i, tool in enumerate(field(body, "tools") or []):
        tokens = COMPUTER_USE_TOOL_TOKENS if field(tool, "computerUse") is not None else text_tokens(json.dumps(tool))
        units.append(Unit(f"tools.{i}", json.dumps(tool, sort_keys=True), tokens, True))
    system = field(body, "systemInstruction") or {}
    for i, part in enumerate(system.get("parts") or []):
        units.append(Unit(f"system.{i}", json.dumps(part, sort_keys=True), part_tokens(part), True))
    for c, content in enumerate(field(body, "contents") or []):
        for p, part in enumerate(content.get("parts") or []):
            units.append(Unit(f"contents.{c}.parts.{p}", f"{c}:{content.get('role')}:" + json.dumps(part, sort_keys=True),
                              part_tokens(part), True))
    return units


def reply_tokens(parts: Sequence[dict[str, Any]]) -> int:
    return max(1, sum(text_tokens(json.dumps(p, separators=(",", ":"))) if "functionCall" in p
                      else text_tokens(str(p.get("text", ""))) for p in parts))


def first_user_text(contents: Any) -> str:
    if not isinstance(contents, list) or not contents or not isinstance(contents[0], dict):
        return ""
    return "\n".join(str(p["text"]) for p in contents[0].get("parts") or [] if isinstance(p.get("text"), str))


def declared_functions(body: dict[str, Any]) -> set[str]:
    return {str(d.get("name")) for tool in field(body, "tools") or [] for d in field(tool, "functionDeclarations") or []}


class GeminiServer(MockServer):
    """A threaded HTTP server speaking ``generateContent``; ``url`` is the base URL to give the SDK."""

    def __init__(self, scripts: Sequence[Script] = (), faults: Faults | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        super().__init__(scripts, faults, host, port)
        self.cache = PromptCache(min_tokens=MIN_CACHED_TOKENS)

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, JSON body, extra headers) for one request."""
        call = MockCall(self._next_number(), 200, request_bytes=len(raw))
        extra: dict[str, str] = {}
        with self.recorded(call):
            return self._handle_generate(path, headers, raw, call, extra)

    def _handle_generate(self, path: str, headers: dict[str, str], raw: bytes, call: MockCall,
                         extra: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            match = _PATH.match(path)
            if match is None:
                raise GoogleError(404, f"The requested URL {path} was not found on this server.")
            version, model = match.groups()
            if (fault := self.injected(call.number, extra)) is not None:
                raise GoogleError(fault.status, _FAULT_MESSAGES.get(fault.status, fault.message))
            check_key(headers, "")
            call.model = model
            check_model(model, version)
            try:
                body = json.loads(raw)
            except ValueError:
                raise invalid("Invalid JSON payload received.") from None
            check_request(body, model)
            return 200, self._reply(body, model, call), extra
        except GoogleError as exc:
            call.status, call.error_type, call.error_message = exc.code, exc.status, exc.message
            return exc.code, exc.body(), extra

    def _reply(self, body: dict[str, Any], model: str, call: MockCall) -> dict[str, Any]:
        contents = field(body, "contents")
        turn = sum(1 for c in contents if c.get("role") == "model")
        script = choose_script(self.scripts, [{"content": first_user_text(contents)}])
        parts: list[dict[str, Any]]
        forced: list[str] = []
        if script is None:
            parts = [{"text": NO_SCRIPT_TEXT}]
        else:
            gemini: GeminiScript = convert(script, declared_functions(body))
            calls = gemini.turns[turn] if turn < len(gemini.turns) else []
            parts = [{"functionCall": c} for c in calls if "finish" not in c] if calls else [{"text": gemini.final}]
            forced = [str(c["finish"]) for c in calls if "finish" in c]
            call.script = script.name
        finish = forced[0] if forced else "STOP"
        limit = field(field(body, "generationConfig") or {}, "maxOutputTokens")
        if isinstance(limit, int) and reply_tokens(parts) > limit:
            parts, finish = [{"text": "(cut off)"}], "MAX_TOKENS"
        billing = self.cache.bill(model, request_units(body))
        prompt = billing.input_tokens + billing.cache_write_tokens + billing.cache_read_tokens
        output = reply_tokens(parts)
        usage = {"promptTokenCount": prompt, "candidatesTokenCount": output, "totalTokenCount": prompt + output}
        if billing.cache_read_tokens:
            usage["cachedContentTokenCount"] = billing.cache_read_tokens
        call.usage, call.stop_reason, call.turn = usage, finish, turn
        candidate: dict[str, Any] = {"finishReason": finish, "index": 0}
        if parts:  # a turn that ends without content (MALFORMED_FUNCTION_CALL, SAFETY) has none, as the API sends it
            candidate["content"] = {"role": "model", "parts": parts}
        return {"candidates": [candidate],
                "usageMetadata": usage, "modelVersion": model, "responseId": uuid.uuid4().hex[:22]}


_FAULT_MESSAGES = {429: "Resource has been exhausted (e.g. check quota).",
                   500: "An internal error has occurred. Please retry or report in the issue tracker.",
                   503: "The model is overloaded. Please try again later."}


def _build(args: argparse.Namespace, scripts: list[Script], faults: Faults) -> tuple[MockServer, str, str]:
    server = GeminiServer(scripts, faults, args.host, args.port)
    return server, server.url, ("point deskbench at it with\n"
                                f"  GOOGLE_GEMINI_BASE_URL={server.url} GEMINI_API_KEY=dry-run deskbench run --agent gemini")


def main(argv: list[str] | None = None) -> int:
    """``python -m harness.mockapi.gemini_server``: the shared server options, this protocol."""
    parser = server_parser("python -m harness.mockapi.gemini_server", "Serve the local Gemini API and print its URL.")
    return serve_main(parser, _build, argv)


if __name__ == "__main__":
    sys.exit(main())
