"""A local OpenAI-compatible chat-completions server that plays a vision model replaying reference solutions.

Point the ``vlm`` agent (or any client of ``/v1/chat/completions``) at
``url + "/v1"``: it validates each request like vLLM's OpenAI server
(:mod:`harness.mockapi.chat_validate`), picks the task's script by the
instruction in the first user message, and answers the next step of it in
the chosen format, pyautogui code or UI-TARS actions, with usage counted
from the request (text and image tokens) and the reply.  Faults (429/5xx,
``retry-after``, slowness) are the Messages API mock's, in OpenAI's error
shape.  The HTTP side, the call log and start/stop are that mock's too.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

from harness.mockapi.chat_script import (
    GuiScript,
    ReplyFormat,
    UnsupportedScript,
    final_reply,
    gui_script,
    reply_turns,
)
from harness.mockapi.chat_validate import chat_error, check_auth, check_chat_request, last_image_size
from harness.mockapi.cli import serve_main, server_parser
from harness.mockapi.faults import Faults
from harness.mockapi.openai_validate import as_openai
from harness.mockapi.script import NO_SCRIPT_TEXT, Script, choose_script
from harness.mockapi.server import MockCall, MockServer
from harness.mockapi.tokens import text_tokens
from harness.mockapi.validate import ApiError

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
#: what the server serves unless told otherwise (names as a vLLM server would be started with)
DEFAULT_MODELS = ("ui-tars-1.5-7b", "qwen2.5-vl-7b-instruct")
DEFAULT_CONTEXT = 32_768


class ChatMockServer(MockServer):
    """``MockServer``'s HTTP side and call log, speaking chat completions; ``url + "/v1"`` is the base URL."""

    def __init__(self, scripts: Sequence[Script] = (), faults: Faults | None = None, *,
                 reply_format: ReplyFormat = "pyautogui", models: Sequence[str] = DEFAULT_MODELS,
                 api_key: str | None = None, max_model_len: int = DEFAULT_CONTEXT, absolute: bool = False,
                 host: str = "127.0.0.1",
                 port: int = 0) -> None:
        super().__init__(scripts, faults, host, port)
        self.reply_format: ReplyFormat = reply_format
        self.models = tuple(models)
        self.api_key = api_key
        self.max_model_len = max_model_len
        self.absolute = absolute  # UI-TARS-1.5's points in the screenshot's pixels, not on the 0-1000 grid
        self._gui: dict[str, GuiScript | str] = {}  # script name -> its GUI steps, or why it cannot be replayed

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, JSON body, extra headers) for one request, recorded in the call log."""
        call = MockCall(self._next_number(), 200, request_bytes=len(raw))
        extra: dict[str, str] = {"x-request-id": f"chatcmpl-req-{uuid.uuid4().hex[:24]}"}
        with self.recorded(call):
            return self._handle_chat(path, headers, raw, call, extra)

    def _handle_chat(self, path: str, headers: dict[str, str], raw: bytes, call: MockCall,
                     extra: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            if (fault := self.injected(call.number, extra)) is not None:
                raise as_openai(fault)
            if path == MODELS_PATH and not raw:
                return 200, {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "deskbench-mock"}
                                                        for m in self.models]}, extra
            if path != CHAT_PATH:
                raise chat_error(404, f"Not found: {path}", "NotFoundError")
            check_auth(headers, self.api_key)
            try:
                body = json.loads(raw)
            except ValueError:
                raise chat_error(400, "The request body is not valid JSON") from None
            call.model = body.get("model") if isinstance(body, dict) else None
            prompt = check_chat_request(body, self.models, self.max_model_len)
            return 200, self._answer_chat(body, prompt, call), extra
        except ApiError as exc:
            call.status, call.error_type, call.error_message = exc.status, exc.kind, exc.message
            return exc.status, exc.body(), extra

    def _answer_chat(self, body: dict[str, Any], prompt: int, call: MockCall) -> dict[str, Any]:
        messages = body["messages"]
        reply, finish = self._reply([m for m in messages if m.get("role") != "system"], call)
        limit = int(body.get("max_completion_tokens", body.get("max_tokens")) or 0)
        completion = text_tokens(reply)
        if limit and completion > limit:  # cut off as a server cuts a long generation
            reply, completion, finish = reply[:limit * 4], limit, "length"
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        call.usage, call.stop_reason = usage, finish
        return {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion", "created": int(time.time()),
                "model": body["model"], "usage": usage,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "logprobs": None,
                             "finish_reason": finish}]}

    def _reply(self, messages: list[dict[str, Any]], call: MockCall) -> tuple[str, str]:
        """The next reply of the matching script (by its instruction in the first user message)."""
        script = choose_script(self.scripts, messages)
        if script is None:
            return final_reply(self.reply_format, NO_SCRIPT_TEXT), "stop"
        call.script = script.name
        call.turn = sum(1 for m in messages if m.get("role") == "assistant")
        gui = self._gui_script(script)
        if isinstance(gui, str):
            return final_reply(self.reply_format, gui), "stop"
        image = last_image_size(messages)
        if image is None:
            raise chat_error(400, "no screenshot in the request: a vision model replays a script only with the "
                                 "screen to act on", param="messages")
        try:
            turns = reply_turns(gui, self.reply_format, image, self.absolute)
        except UnsupportedScript as exc:
            return final_reply(self.reply_format, f"The reference solution cannot be replayed here: {exc}"), "stop"
        return turns[min(call.turn, len(turns) - 1)], "stop"

    def _gui_script(self, script: Script) -> GuiScript | str:
        key = script.name or script.match
        with self._lock:
            if key not in self._gui:
                try:
                    self._gui[key] = gui_script(script)
                except UnsupportedScript as exc:
                    self._gui[key] = f"The reference solution cannot be replayed here: {exc}"
            return self._gui[key]


def _parser() -> argparse.ArgumentParser:
    p = server_parser("python -m harness.mockapi.chat_server", "Serve a local OpenAI-compatible chat endpoint that "
                      "answers in a vlm prompt format, and print its base URL.", fail_status=429)
    p.add_argument("--format", choices=("pyautogui", "uitars"), default="pyautogui")
    p.add_argument("--model", action="append", default=[], help=f"served model name (default {DEFAULT_MODELS})")
    p.add_argument("--absolute", action="store_true", help="UI-TARS points in screenshot pixels (UI-TARS-1.5)")
    return p


def _build(args: argparse.Namespace, scripts: list[Script], faults: Faults) -> tuple[MockServer, str, str]:
    server = ChatMockServer(scripts, faults, reply_format=args.format, models=args.model or DEFAULT_MODELS,
                            absolute=args.absolute, host=args.host, port=args.port)
    uitars = " --agent-option format=uitars" if args.format == "uitars" else ""
    return server, server.base_url, (f"{args.format} replies; run\n  deskbench run --agent vlm --agent-option "
                                     f"model={server.models[0]} --agent-option base_url={server.base_url} "
                                     f"--agent-option price=0/0{uitars}")


def main(argv: list[str] | None = None) -> int:
    """``python -m harness.mockapi.chat_server --script tasks/smoke --format uitars``: serve, print the base URL."""
    return serve_main(_parser(), _build, argv)


if __name__ == "__main__":
    raise SystemExit(main())
