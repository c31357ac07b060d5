"""Calling ``generate_content``: deskbench's retry policy (the Claude agent's), counted, and errors sorted.

The SDK's own retries are off (one attempt) so that every retry is counted
and logged here.  As for Claude, a service that stays unavailable (429
RESOURCE_EXHAUSTED, 5xx, connection errors, timeouts) is an
``InfraError``; a request the API rejects (400 INVALID_ARGUMENT, 404 for an
unknown model, 403 for a bad key) is the agent's, raised as
``ModelRequestRejected`` with Google's own message.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import httpx2
from google import genai
from google.genai import errors

from harness.agents.claude.api import (
    RETRY_STATUSES,
    CallOutcome,
    FailedAttempt,
    ModelRequestRejected,
    RetryPolicy,
    retry_after_seconds,
)
from harness.errors import InfraError

_TRANSPORT = (httpx2.TransportError,)


def api_error_text(exc: errors.APIError) -> str:
    """``HTTP 400 INVALID_ARGUMENT: <message>`` from Google's error body."""
    return f"HTTP {exc.code} {exc.status or 'ERROR'}: {exc.message}"


class GenerateCaller:
    """``client.models.generate_content`` with deskbench's retry policy; keeps a running retry count."""

    def __init__(self, client: genai.Client, policy: RetryPolicy, *, sleep: Callable[[float], None] = time.sleep,
                 seed: int | None = None) -> None:
        self.client = client
        self.policy = policy
        self.sleep = sleep
        self.rng = random.Random(seed)
        self.total_retries = 0

    def generate(self, **request: Any) -> CallOutcome:
        """One call (``model``, ``contents``, ``config``), retried by the policy."""
        started = time.monotonic()
        failed: list[FailedAttempt] = []
        for attempt in range(self.policy.max_retries + 1):
            t = time.monotonic()
            status: int | None = None
            wait: float | None = None
            try:
                response = self.client.models.generate_content(**request)
            except errors.APIError as exc:
                if exc.code not in RETRY_STATUSES:
                    raise ModelRequestRejected(f"the Gemini API rejected the request: {api_error_text(exc)}"
                                               ) from None
                status, error = exc.code, api_error_text(exc)
                wait = retry_after_seconds(exc.response.headers) if exc.response is not None else None
            except _TRANSPORT as exc:  # connection errors and timeouts
                error = f"{type(exc).__name__}: {exc}"
            else:
                return CallOutcome(response, time.monotonic() - t, time.monotonic() - started, attempt,
                                   [f.error for f in failed], getattr(response, "response_id", None), failed)
            seconds = time.monotonic() - t
            if attempt == self.policy.max_retries:
                failed.append(FailedAttempt(status, error, seconds, 0.0))
                break
            delay = self.policy.delay(attempt, wait, self.rng)
            failed.append(FailedAttempt(status, error, seconds, delay))
            self.total_retries += 1
            self.sleep(delay)
        raise InfraError(f"Gemini API still failing after {self.policy.max_retries} retries ({len(failed)} "
                         f"attempts); last error: {failed[-1].error}")
