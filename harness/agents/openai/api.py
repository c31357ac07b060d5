"""Calling the Responses API with deskbench's retry policy, shared with the claude agent.

The SDK's own retries are off so every retry is counted and logged.  When
they run out the fault is sorted as for Claude: a service that stays
overloaded (429, 5xx, connection errors, timeouts) is an ``InfraError``; a
request the API refuses (400 and other 4xx) is the agent's bug, raised as
``ModelRequestRejected`` with OpenAI's own message.
"""

from __future__ import annotations

from typing import Any

import openai

from harness.agents.retry import (
    RETRY_STATUSES,
    CallOutcome,
    ModelRequestRejected,
    Retryable,
    RetryingCaller,
    retry_after_seconds,
)


def api_error_text(exc: openai.APIStatusError) -> str:
    """``HTTP 400 invalid_request_error (param input[1].call_id): <message>`` from OpenAI's error body."""
    body = exc.body
    error = body.get("error", body) if isinstance(body, dict) else None
    kind, message, param = "error", str(exc.message), None
    if isinstance(error, dict):
        kind = str(error.get("type") or error.get("code") or kind)
        message = str(error.get("message", message))
        param = error.get("param")
    where = f" (param {param})" if param else ""
    return f"HTTP {exc.status_code} {kind}{where}: {message}"


def sort_openai_error(exc: Exception, rejected_by: str) -> Retryable:
    """An OpenAI SDK error as the retry loop needs it (the Responses and chat callers share the SDK)."""
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code not in RETRY_STATUSES:
            raise ModelRequestRejected(f"{rejected_by} rejected the request: {api_error_text(exc)}") from None
        return Retryable(exc.status_code, api_error_text(exc), retry_after_seconds(exc.response.headers))
    return Retryable(None, f"{type(exc).__name__}: {exc}")  # connection errors, timeouts included


class ResponsesCaller(RetryingCaller[openai.OpenAI]):
    """``client.responses.create`` with retries; keeps a running retry count."""

    errors = (openai.APIStatusError, openai.APIConnectionError)

    def create(self, **request: Any) -> CallOutcome:
        return self.with_retries(lambda: self._attempt(request))

    def _attempt(self, request: dict[str, Any]) -> tuple[Any, str | None]:
        raw = self.client.responses.with_raw_response.create(**request)
        return raw.parse(), raw.headers.get("x-request-id")

    def failure(self, exc: Exception) -> Retryable:
        return sort_openai_error(exc, "the Responses API")

    def service(self) -> str:
        return f"Responses API at {self.client.base_url}"
