"""Calling ``generate_content``: deskbench's retry policy (the Claude agent's), counted, and errors sorted.

The SDK's own retries are off (one attempt) so that every retry is counted
and logged here.  As for Claude, a service that stays unavailable (429
RESOURCE_EXHAUSTED, 5xx, connection errors, timeouts) is an
``InfraError``; a request the API rejects (400 INVALID_ARGUMENT, 404 for an
unknown model, 403 for a bad key) is the agent's, raised as
``ModelRequestRejected`` with Google's own message.
"""

from __future__ import annotations

from typing import Any

import httpx2
from google import genai
from google.genai import errors

from harness.agents.retry import (
    RETRY_STATUSES,
    CallOutcome,
    ModelRequestRejected,
    Retryable,
    RetryingCaller,
    retry_after_seconds,
)

_TRANSPORT = (httpx2.TransportError,)


def api_error_text(exc: errors.APIError) -> str:
    """``HTTP 400 INVALID_ARGUMENT: <message>`` from Google's error body."""
    return f"HTTP {exc.code} {exc.status or 'ERROR'}: {exc.message}"


class GenerateCaller(RetryingCaller[genai.Client]):
    """``client.models.generate_content`` with deskbench's retry policy; keeps a running retry count."""

    errors = (errors.APIError, *_TRANSPORT)

    def generate(self, **request: Any) -> CallOutcome:
        """One call (``model``, ``contents``, ``config``), retried by the policy."""
        return self.with_retries(lambda: self._attempt(request))

    def _attempt(self, request: dict[str, Any]) -> tuple[Any, str | None]:
        response = self.client.models.generate_content(**request)
        return response, getattr(response, "response_id", None)

    def failure(self, exc: Exception) -> Retryable:
        if isinstance(exc, errors.APIError):
            if exc.code not in RETRY_STATUSES:
                raise ModelRequestRejected(f"the Gemini API rejected the request: {api_error_text(exc)}") from None
            wait = retry_after_seconds(exc.response.headers) if exc.response is not None else None
            return Retryable(exc.code, api_error_text(exc), wait)
        return Retryable(None, f"{type(exc).__name__}: {exc}")  # connection errors and timeouts

    def service(self) -> str:
        return "Gemini API"
