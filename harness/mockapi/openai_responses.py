"""A local Responses API: validates like OpenAI's, replays reference solutions as computer calls, bills tokens.

Point the official ``openai`` client at ``server.base_url`` (the ``/v1``
address) and the openai agent runs unchanged, offline, for free.  It keeps
each response so the next request can name it in ``previous_response_id``;
the conversation's script and turn come from that chain.  Faults (429/5xx,
delays) are the Messages API mock's :class:`~harness.mockapi.faults.Faults`,
answered in OpenAI's error shape; ``safety_checks`` attaches a pending
safety check to the computer calls of chosen turns.

``python -m harness.mockapi.openai_responses --script tasks/smoke`` serves it
and prints its base URL.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.mockapi.cli import serve_main, server_parser
from harness.mockapi.faults import Faults
from harness.mockapi.openai_script import first_user_text, turn_calls
from harness.mockapi.openai_validate import (
    Answered,
    OpenAIError,
    PendingCall,
    as_openai,
    check_answers,
    check_auth,
    check_image_url,
    check_request,
    invalid,
)
from harness.mockapi.script import DONE_TEXT, NO_SCRIPT_TEXT, Script, choose_script
from harness.mockapi.server import MockCall, MockServer
from harness.mockapi.tokens import text_tokens

RESPONSES_PATH = "/v1/responses"
#: reasoning tokens billed per output item (computer-use-preview reasons before each answer; counted in output)
REASONING_TOKENS_PER_ITEM = 24
#: a default safety check, as OpenAI words the prompt-injection one
MALICIOUS = ("malicious_instructions", "We've detected instructions that may cause your application to perform "
             "malicious or unauthorized actions. Please acknowledge this warning if you'd like to proceed.")


@dataclass
class ResponsesCall(MockCall):
    """One request as the server saw it, with the conversation and safety-check facts of the Responses API."""

    response_id: str | None = None
    previous_response_id: str | None = None
    acknowledged: list[str] = field(default_factory=list)
    unacknowledged: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Stored:
    """A response kept for ``previous_response_id``: its script, turn, open calls and the context so far."""

    script: Script | None
    turn: int
    pending: dict[str, PendingCall]
    context_tokens: int


def image_tokens(width: int, height: int) -> int:
    """OpenAI's count for a high-detail image: fit 2048x2048, short side to 768, 170 per 512 px tile plus 85."""
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


def item_tokens(value: Any) -> int:
    """Tokens of any part of a request: images by tiles, everything else as its JSON text."""
    if isinstance(value, dict):
        url = value.get("image_url")
        if isinstance(url, str) and url.startswith("data:"):
            width, height = check_image_url(url, "image")
            return image_tokens(width, height) + 4
        return sum(item_tokens(v) for k, v in value.items() if k != "image_url") + 2
    if isinstance(value, list):
        return sum(item_tokens(v) for v in value)
    return text_tokens(json.dumps(value)) if not isinstance(value, str) else text_tokens(value)


class ResponsesMockServer(MockServer):
    """The Messages API mock's HTTP server and fault injection, answering as the Responses API."""

    def __init__(self, scripts: Sequence[Script] = (), faults: Faults | None = None, host: str = "127.0.0.1",
                 port: int = 0, safety_checks: Mapping[int, tuple[str, str]] | None = None) -> None:
        super().__init__(scripts, faults, host, port)
        self.safety_checks = dict(safety_checks or {})
        self.responses: dict[str, Stored] = {}
        self._store_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """What the openai client's ``base_url`` (or ``OPENAI_BASE_URL``) should be."""
        return f"{self.url}/v1"

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        call = ResponsesCall(self._next_number(), 200, request_bytes=len(raw))
        extra = {"x-request-id": f"req_{uuid.uuid4().hex}"}
        with self.recorded(call):
            return self._handle_responses(path, headers, raw, call, extra)

    def _handle_responses(self, path: str, headers: dict[str, str], raw: bytes, call: ResponsesCall,
                          extra: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            if path != RESPONSES_PATH:
                raise OpenAIError(404, "invalid_request_error", f"Invalid URL (POST {path})")
            if (fault := self.injected(call.number, extra)) is not None:
                raise as_openai(fault)
            check_auth(headers)
            try:
                body = json.loads(raw)
            except ValueError:
                raise invalid("We could not parse the JSON body of your request.") from None
            check_request(body)
            call.model = str(body["model"])
            return 200, self._respond(body, call), extra
        except OpenAIError as exc:
            call.status, call.error_type, call.error_message = exc.status, exc.kind, exc.message
            return exc.status, exc.body(), extra

    def _respond(self, body: dict[str, Any], call: ResponsesCall) -> dict[str, Any]:
        previous_id = body.get("previous_response_id")
        previous: Stored | None = None
        if previous_id is not None:
            with self._store_lock:
                previous = self.responses.get(previous_id)
            if previous is None:
                raise invalid(f"Previous response with id '{previous_id}' not found.", "previous_response_id",
                              "previous_response_not_found")
        answered = check_answers(body["input"], previous.pending if previous else {})
        if previous is None:
            script = choose_script(self.scripts, [{"content": first_user_text(body["input"])}])
            turn, context = 0, 0
        else:
            script, turn, context = previous.script, previous.turn, previous.context_tokens
        output, pending = self._output(script, turn, body)
        input_tokens = context + item_tokens(body.get("instructions") or "") + item_tokens(body["tools"]) \
            + item_tokens(body["input"])
        reasoning_tokens = REASONING_TOKENS_PER_ITEM * len(output)  # a reasoning model thinks before it answers
        output_tokens = item_tokens(output) + reasoning_tokens
        status, incomplete = "completed", None
        limit = body.get("max_output_tokens")
        if limit is not None and output_tokens > limit:  # cut off while reasoning: no answer, nothing to answer
            output, pending = [i for i in output if i["type"] == "reasoning"], {}
            output_tokens, status, incomplete = int(limit), "incomplete", {"reason": "max_output_tokens"}
            reasoning_tokens = min(reasoning_tokens, output_tokens)
        usage = {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0},
                 "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
                 "total_tokens": input_tokens + output_tokens}
        response_id = f"resp_{uuid.uuid4().hex}"
        with self._store_lock:
            self.responses[response_id] = Stored(script, turn + 1, pending, input_tokens + output_tokens)
        self._note(call, answered, usage, response_id, previous_id, script, turn)
        return {"id": response_id, "object": "response", "created_at": int(time.time()), "status": status,
                "error": None, "incomplete_details": incomplete, "model": body["model"],
                "instructions": body.get("instructions"), "output": output, "parallel_tool_calls": True,
                "previous_response_id": previous_id, "tools": body["tools"], "tool_choice": "auto",
                "truncation": "auto", "temperature": 1.0, "top_p": 1.0, "metadata": {},
                "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
                "text": {"format": {"type": "text"}}, "usage": usage}

    @staticmethod
    def _note(call: ResponsesCall, answered: Answered, usage: dict[str, Any], response_id: str,
              previous_id: str | None, script: Script | None, turn: int) -> None:
        call.usage = {"input_tokens": usage["input_tokens"], "output_tokens": usage["output_tokens"],
                      "cached_tokens": 0, "reasoning_tokens": usage["output_tokens_details"]["reasoning_tokens"]}
        call.response_id, call.previous_response_id = response_id, previous_id
        call.acknowledged, call.unacknowledged = answered.acknowledged, answered.unacknowledged
        call.script, call.turn = script.name if script else "", turn

    def _output(self, script: Script | None, turn: int,
                body: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, PendingCall]]:
        """The response's output items (ids filled in) and the calls the next request must answer."""
        if script is None:
            items = [_text(NO_SCRIPT_TEXT)]
        elif turn >= len(script.turns):
            items = [_text(script.final or DONE_TEXT)]
        else:
            items = turn_calls(script, turn, body["tools"])
        summary = (body.get("reasoning") or {}).get("summary")
        out: list[dict[str, Any]] = [{"type": "reasoning", "id": f"rs_{uuid.uuid4().hex}", "summary": [
            {"type": "summary_text", "text": f"(mock) turn {turn + 1} of {script.name if script else 'no script'}"}
        ] if summary else []}]
        pending: dict[str, PendingCall] = {}
        for item in items:
            call_id = f"call_{uuid.uuid4().hex[:24]}"
            if item["type"] == "computer_call":
                checks = self._checks_for(turn)
                out.append({**item, "id": f"cu_{uuid.uuid4().hex}", "call_id": call_id, "status": "completed",
                            "pending_safety_checks": checks})
                pending[call_id] = PendingCall("computer_call", frozenset(c["id"] for c in checks))
            elif item["type"] == "function_call":
                out.append({**item, "id": f"fc_{uuid.uuid4().hex}", "call_id": call_id, "status": "completed"})
                pending[call_id] = PendingCall("function_call")
            else:
                out.append({**item, "id": f"msg_{uuid.uuid4().hex}"})
        return out, pending

    def _checks_for(self, turn: int) -> list[dict[str, Any]]:
        found = self.safety_checks.get(turn)
        if found is None:
            return []
        return [{"id": f"cu_sc_{uuid.uuid4().hex[:24]}", "code": found[0], "message": found[1]}]

    def safety_check_log(self) -> list[tuple[list[str], list[str]]]:
        """(acknowledged, unacknowledged) safety check ids per answered request, in order."""
        with self._lock:
            return [(c.acknowledged, c.unacknowledged) for c in self.calls if isinstance(c, ResponsesCall)
                    and c.status == 200]


def _text(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def _parser() -> argparse.ArgumentParser:
    p = server_parser("python -m harness.mockapi.openai_responses", "Serve the local Responses API and print its "
                      "base URL.", fail_status=429)
    p.add_argument("--safety-check-turn", type=int, action="append", default=[],
                   help="attach a malicious_instructions safety check to this turn's computer calls (0-based)")
    return p


def _build(args: argparse.Namespace, scripts: list[Script], faults: Faults) -> tuple[MockServer, str, str]:
    server = ResponsesMockServer(scripts, faults, args.host, args.port,
                                 {turn: MALICIOUS for turn in args.safety_check_turn})
    return server, server.base_url, ("point deskbench at it with\n  OPENAI_API_KEY=dry-run deskbench run --agent "
                                     f"openai --agent-option base_url={server.base_url}")


def main(argv: list[str] | None = None) -> int:
    return serve_main(_parser(), _build, argv)


if __name__ == "__main__":
    sys.exit(main())
