"""Calling the Messages API: retries with backoff that honours ``retry-after``, counted, and errors sorted.

The SDK's own retries are off (``max_retries=0``) so that every retry is
counted by the loop all agents share (``harness.agents.retry``) and shows up
in the call log.  What happens when they run out decides whose fault an
episode's end is: a service that stays overloaded
(429, 529, 5xx, connection errors, timeouts) is ``InfraError``, an
infrastructure error; a request the API rejects (400 and other 4xx) is a
bug in the agent, raised as ``ModelRequestRejected`` and recorded as an
agent error with the API's own message.
"""

from __future__ import annotations

from typing import Any

import anthropic

from harness.agents.retry import (  # re-exported: the claude agent's callers and tests import them from here
    RETRY_STATUSES,
    CallOutcome,
    FailedAttempt,
    ModelRequestRejected,
    Retryable,
    RetryingCaller,
    RetryPolicy,
    retry_after_seconds,
)

__all__ = ["RETRY_STATUSES", "CallOutcome", "FailedAttempt", "MessagesCaller", "ModelRequestRejected", "RetryPolicy",
           "api_error_text", "retry_after_seconds"]


def api_error_text(exc: anthropic.APIStatusError) -> str:
    """``HTTP 400 invalid_request_error: <message>`` from the API's error body."""
    body = exc.body
    kind, message = "error", str(exc.message)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        kind = str(body["error"].get("type", kind))
        message = str(body["error"].get("message", message))
    return f"HTTP {exc.status_code} {kind}: {message}"


class MessagesCaller(RetryingCaller[anthropic.Anthropic]):
    """``client.beta.messages.create`` with deskbench's retry policy; keeps a running retry count."""

    errors = (anthropic.APIStatusError, anthropic.APIConnectionError)

    def create(self, stream: bool = False, **request: Any) -> CallOutcome:
        """One call, retried by the policy; ``stream`` uses the SDK's streaming helper (long outputs, big
        thinking budgets: a non-streamed call that long would die on the client's timeout)."""
        return self.with_retries(lambda: self._attempt(stream, request), streamed=stream)

    def failure(self, exc: Exception) -> Retryable:
        if isinstance(exc, anthropic.APIStatusError):
            if exc.status_code not in RETRY_STATUSES:
                raise ModelRequestRejected(f"the Messages API rejected the request: {api_error_text(exc)}") from None
            return Retryable(exc.status_code, api_error_text(exc), retry_after_seconds(exc.response.headers))
        return Retryable(None, f"{type(exc).__name__}: {exc}")  # connection errors, timeouts included

    def service(self) -> str:
        return f"Messages API at {self.client.base_url}"

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
