"""A local Messages API: validates like the real one, replays scripts, bills tokens, fails on request.

Point the real ``anthropic`` client at it with ``base_url`` (or
``ANTHROPIC_BASE_URL``) and an agent runs unchanged, offline, for free.  The
server logs every call with the usage it reported, so tests can check an
agent's accounting against what was billed.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from harness.mockapi.cache import PromptCache
from harness.mockapi.faults import Faults
from harness.mockapi.script import Script, scripted_reply
from harness.mockapi.stream import sse_body
from harness.mockapi.tokens import REQUEST_FRAMING, block_tokens, output_tokens, request_units
from harness.mockapi.validate import ApiError, check_headers, check_request, invalid

MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"
MAX_BODY = 32 * 1024 * 1024
EVENT_STREAM = "text/event-stream"


@dataclass
class MockCall:
    """One request as the server saw and answered it."""

    number: int
    status: int
    model: str | None = None
    script: str = ""
    turn: int = 0
    betas: list[str] = field(default_factory=list)
    usage: dict[str, int] | None = None
    stop_reason: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    request_bytes: int = 0
    seconds: float = 0.0
    #: whether the previous answered request of the same script is a prefix of this one (None: the first)
    prefix_kept: bool | None = None


def thinking_signature(thinking: str) -> str:
    """What the mock signs a thinking block with (and checks when the block comes back)."""
    return hashlib.sha256(b"deskbench-mock:" + thinking.encode()).hexdigest()


class MockServer:
    """A threaded HTTP server on ``host:port`` (port 0: any free one); ``url`` is its base URL."""

    def __init__(self, scripts: Sequence[Script] = (), faults: Faults | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.scripts = list(scripts)
        self.faults = faults or Faults()
        self.cache = PromptCache()
        self.calls: list[MockCall] = []
        self._previous: dict[str, list[str]] = {}  # per script: the canonical blocks of its last request
        self._lock = threading.Lock()
        self._count = 0
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="deskbench-mockapi", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _extends_previous(self, script: str, canonical: list[str]) -> bool | None:
        """Whether this conversation's previous request is, block for block, the start of this one."""
        with self._lock:
            previous = self._previous.get(script)
            self._previous[script] = canonical
        return None if previous is None else canonical[:len(previous)] == previous

    def prefix_rewrites(self) -> int:
        """Answered calls that changed what the conversation's previous request had sent (a pruned screenshot
        rewrites the history after it, so its cached prefix cannot be read back)."""
        return sum(1 for c in self.successful_calls() if c.prefix_kept is False)

    def successful_calls(self) -> list[MockCall]:
        with self._lock:
            return [c for c in self.calls if c.status == 200 and c.usage is not None]

    def cache_hits(self) -> int:
        """Answered calls that read a cached prefix (a prefix the cache checked, hash by hash, to be unchanged)."""
        return sum(1 for c in self.successful_calls() if c.usage and c.usage["cache_read_input_tokens"] > 0)

    def log(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(c) for c in self.calls]

    # -- handling (called from the request threads)
    def _next_number(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    def _record(self, call: MockCall) -> None:
        with self._lock:
            self.calls.append(call)

    @contextmanager
    def recorded(self, call: MockCall) -> Iterator[None]:
        """One exchange as every protocol's server makes it: the injected delay first, then the handler; the call
        goes into the log with its time however the handler ends."""
        started = time.monotonic()
        try:
            time.sleep(self.faults.delay_for(call.number))
            yield
        finally:
            call.seconds = time.monotonic() - started
            self._record(call)

    def injected(self, number: int, extra: dict[str, str]) -> ApiError | None:
        """The fault injected into call ``number``, if any, with its ``retry-after`` header added to ``extra``."""
        fault = self.faults.error_for(number)
        if fault is not None and self.faults.retry_after is not None:
            extra["retry-after"] = f"{self.faults.retry_after:g}"
        return fault

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, JSON body, extra headers) for one request."""
        call = MockCall(self._next_number(), 200, request_bytes=len(raw))
        extra: dict[str, str] = {"request-id": f"req_mock_{uuid.uuid4().hex[:24]}"}
        with self.recorded(call):
            return self._handle(path, headers, raw, call, extra)

    def _handle(self, path: str, headers: dict[str, str], raw: bytes, call: MockCall,
                extra: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            if path not in (MESSAGES_PATH, COUNT_TOKENS_PATH):
                raise ApiError(404, "not_found_error", f"Not found: {path}")
            if (fault := self.injected(call.number, extra)) is not None:
                raise fault
            call.betas = check_headers(headers)
            try:
                body = json.loads(raw)
            except ValueError:
                raise invalid("Request body is not valid JSON") from None
            call.model = body.get("model") if isinstance(body, dict) else None
            if path == COUNT_TOKENS_PATH:
                body = {"max_tokens": 1, **body} if isinstance(body, dict) else body
                check_request(body, call.betas, thinking_signature)
                return 200, {"input_tokens": sum(u.tokens for u in request_units(body)) + REQUEST_FRAMING}, extra
            check_request(body, call.betas, thinking_signature)
            answer = self._answer(body, call)
            if body.get("stream"):
                extra["content-type"] = EVENT_STREAM
            return 200, answer, extra
        except ApiError as exc:
            call.status, call.error_type, call.error_message = exc.status, exc.kind, exc.message
            return exc.status, exc.body(), extra

    def _answer(self, body: dict[str, Any], call: MockCall) -> dict[str, Any]:
        content, stop_reason, script = scripted_reply(self.scripts, body)
        content = [{**b, "signature": thinking_signature(b["thinking"])} if b.get("type") == "thinking" else b
                   for b in content]
        thinking = body.get("thinking") or {}
        if thinking.get("type") in ("enabled", "adaptive") and not any(b.get("type") == "thinking" for b in content):
            text = f"(mock) Considering the next step of {script or 'the task'}."
            content = [{"type": "thinking", "thinking": text, "signature": thinking_signature(text)}, *content]
        content, cut = _truncate(content, int(body["max_tokens"]))
        if cut:
            stop_reason = "max_tokens"
        units = request_units(body)
        call.prefix_kept = self._extends_previous(script, [u.canonical for u in units])
        billing = self.cache.bill(str(body["model"]), units)
        usage = {"input_tokens": billing.input_tokens, "output_tokens": output_tokens(content),
                 "cache_creation_input_tokens": billing.cache_write_tokens,
                 "cache_read_input_tokens": billing.cache_read_tokens}
        call.script, call.usage, call.stop_reason = script, usage, stop_reason
        call.turn = sum(1 for m in body["messages"] if m.get("role") == "assistant")
        return {"id": f"msg_mock_{uuid.uuid4().hex[:24]}", "type": "message", "role": "assistant",
                "model": body["model"], "content": content, "stop_reason": stop_reason, "stop_sequence": None,
                "usage": usage}


def _truncate(content: list[dict[str, Any]], max_tokens: int) -> tuple[list[dict[str, Any]], bool]:
    """The reply as far as ``max_tokens`` lets it go: a text cut short, a tool call that does not fit dropped."""
    if output_tokens(content) <= max_tokens:
        return content, False
    kept: list[dict[str, Any]] = []
    room = max_tokens
    for block in content:
        need = block_tokens(block) + (10 if block.get("type") == "tool_use" else 0)
        if need <= room:
            kept.append(block)
            room -= need
            continue
        if block.get("type") == "text" and room > 0:
            text = str(block["text"])
            kept.append({**block, "text": text[:max(1, len(text) * room // max(1, need))]})
        break
    return kept, True


def _handler_for(server: MockServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's HTTP client expects
        server_version = "deskbench-mockapi"

        def do_POST(self) -> None:  # noqa: N802 (the http.server naming)
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self._send(413, ApiError(413, "request_too_large", "Request exceeds the maximum size").body(), {})
                self.close_connection = True
                return
            raw = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = server.handle(self.path.split("?", 1)[0], headers, raw)
            self._send(status, body, extra)

        def do_GET(self) -> None:  # noqa: N802
            status, body, extra = server.handle(self.path.split("?", 1)[0], {}, b"")
            self._send(status, body, extra)

        def _send(self, status: int, body: dict[str, Any], extra: dict[str, str]) -> None:
            streamed = extra.pop("content-type", None) == EVENT_STREAM
            data = sse_body(body) if streamed else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", EVENT_STREAM if streamed else "application/json")
            self.send_header("content-length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # the call log is the record; keep stderr quiet
            pass

    return Handler
