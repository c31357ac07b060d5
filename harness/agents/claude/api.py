"""Calling the Messages API: retries with backoff that honours ``retry-after``, counted, and errors sorted.

The SDK's own retries are off (``max_retries=0``) so that every retry is
counted here and shows up in the call log.  What happens when they run out
decides whose fault an episode's end is: a service that stays overloaded
(429, 529, 5xx, connection errors, timeouts) is ``InfraError``, an
infrastructure error; a request the API rejects (400 and other 4xx) is a
bug in the agent, raised as ``ModelRequestRejected`` and recorded as an
agent error with the API's own message.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import anthropic

from harness.errors import DeskbenchError, InfraError

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
#: longest server-requested wait honoured before giving up on waiting politely
MAX_RETRY_AFTER = 600.0


class Headers(Protocol):
    """The part of an HTTP response's headers used here (the SDK's HTTP client type varies by version)."""

    def get(self, key: str) -> str | None: ...


class ModelRequestRejected(DeskbenchError):
    """The API refused the request itself (HTTP 400 and other 4xx): the agent built a bad request."""


@dataclass(frozen=True)
class FailedAttempt:
    """One attempt that did not answer: its HTTP status (None for a connection error or timeout), the error,
    how long it took and how long deskbench waited before the next one."""

    status: int | None
    error: str
    seconds: float
    wait: float

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, "seconds": round(self.seconds, 4),
                "wait_s": round(self.wait, 4)}


@dataclass
class CallOutcome:
    """One successful call and what it took to get it."""

    response: Any
    latency: float  # seconds of the attempt that succeeded
    wall: float  # seconds from the first attempt to the answer, waits included
    retries: int
    errors: list[str] = field(default_factory=list)
    request_id: str | None = None
    failed: list[FailedAttempt] = field(default_factory=list)
    streamed: bool = False

    @property
    def retried_seconds(self) -> float:
        """Time lost to retries: the failed attempts and the waits after them."""
        return self.wall - self.latency


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, retry: int, retry_after: float | None, rng: random.Random) -> float:
        """The server's retry-after if it gave one, else exponential backoff with jitter."""
        if retry_after is not None:
            return float(min(max(retry_after, 0.0), MAX_RETRY_AFTER))
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** retry)
        return ceiling * (0.5 + 0.5 * rng.random())


def retry_after_seconds(headers: Headers | None) -> float | None:
    """``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date), if present and sensible."""
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def api_error_text(exc: anthropic.APIStatusError) -> str:
    """``HTTP 400 invalid_request_error: <message>`` from the API's error body."""
    body = exc.body
    kind, message = "error", str(exc.message)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        kind = str(body["error"].get("type", kind))
        message = str(body["error"].get("message", message))
    return f"HTTP {exc.status_code} {kind}: {message}"


class MessagesCaller:
    """``client.beta.messages.create`` with deskbench's retry policy; keeps a running retry count."""

    def __init__(self, client: anthropic.Anthropic, policy: RetryPolicy, *,
                 sleep: Callable[[float], None] = time.sleep, seed: int | None = None) -> None:
        self.client = client
        self.policy = policy
        self.sleep = sleep
        self.rng = random.Random(seed)
        self.total_retries = 0

    def create(self, stream: bool = False, **request: Any) -> CallOutcome:
        """One call, retried by the policy; ``stream`` uses the SDK's streaming helper (long outputs, big
        thinking budgets: a non-streamed call that long would die on the client's timeout)."""
        started = time.monotonic()
        failed: list[FailedAttempt] = []
        for attempt in range(self.policy.max_retries + 1):
            t = time.monotonic()
            status: int | None = None
            try:
                response, request_id = self._attempt(stream, request)
            except anthropic.APIStatusError as exc:
                if exc.status_code not in RETRY_STATUSES:
                    raise ModelRequestRejected(f"the Messages API rejected the request: {api_error_text(exc)}"
                                               ) from None
                status, error, wait = exc.status_code, api_error_text(exc), retry_after_seconds(exc.response.headers)
            except anthropic.APIConnectionError as exc:  # includes timeouts
                error, wait = f"{type(exc).__name__}: {exc}", None
            else:
                return CallOutcome(response, time.monotonic() - t, time.monotonic() - started, attempt,
                                   [f.error for f in failed], request_id, failed, stream)
            seconds = time.monotonic() - t
            if attempt == self.policy.max_retries:
                failed.append(FailedAttempt(status, error, seconds, 0.0))
                break
            delay = self.policy.delay(attempt, wait, self.rng)
            failed.append(FailedAttempt(status, error, seconds, delay))
            self.total_retries += 1
            self.sleep(delay)
        raise InfraError(f"Messages API at {self.client.base_url} still failing after {self.policy.max_retries} "
                         f"retries ({len(failed)} attempts); last error: {failed[-1].error}")

    def _attempt(self, stream: bool, request: dict[str, Any]) -> tuple[Any, str | None]:
        """The parsed message and its request id, from one HTTP exchange."""
        if stream:
            try:
                with self.client.beta.messages.stream(**request) as events:
                    message = events.get_final_message()
                    return message, events.response.headers.get("request-id")
            except ValueError:
                # the SDK's incremental JSON parser refuses tool input that whole-message JSON accepts (a lone
                # surrogate escape, say): ask once more without streaming, so the tool sees the model's input
                # and answers it with an error result like any other bad input
                pass
        raw = self.client.beta.messages.with_raw_response.create(**request)
        return raw.parse(), raw.headers.get("request-id")
