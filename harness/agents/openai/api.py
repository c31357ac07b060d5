"""Calling the Responses API with deskbench's retry policy, shared with the claude agent.

The SDK's own retries are off so every retry is counted and logged.  When
they run out the fault is sorted as for Claude: a service that stays
overloaded (429, 5xx, connection errors, timeouts) is an ``InfraError``; a
request the API refuses (400 and other 4xx) is the agent's bug, raised as
``ModelRequestRejected`` with OpenAI's own message.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import openai

from harness.agents.claude.api import (
    RETRY_STATUSES,
    CallOutcome,
    FailedAttempt,
    ModelRequestRejected,
    RetryPolicy,
    retry_after_seconds,
)
from harness.errors import InfraError


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


class ResponsesCaller:
    """``client.responses.create`` with retries; keeps a running retry count."""

    def __init__(self, client: openai.OpenAI, policy: RetryPolicy, *,
                 sleep: Callable[[float], None] = time.sleep, seed: int | None = None) -> None:
        self.client = client
        self.policy = policy
        self.sleep = sleep
        self.rng = random.Random(seed)
        self.total_retries = 0

    def create(self, **request: Any) -> CallOutcome:
        started = time.monotonic()
        failed: list[FailedAttempt] = []
        for attempt in range(self.policy.max_retries + 1):
            t = time.monotonic()
            status: int | None = None
            try:
                raw = self.client.responses.with_raw_response.create(**request)
                response = raw.parse()
            except openai.APIStatusError as exc:
                if exc.status_code not in RETRY_STATUSES:
                    raise ModelRequestRejected(f"the Responses API rejected the request: {api_error_text(exc)}"
                                               ) from None
                status, error, wait = exc.status_code, api_error_text(exc), retry_after_seconds(exc.response.headers)
            except openai.APIConnectionError as exc:  # includes timeouts
                error, wait = f"{type(exc).__name__}: {exc}", None
            else:
                return CallOutcome(response, time.monotonic() - t, time.monotonic() - started, attempt,
                                   [f.error for f in failed], raw.headers.get("x-request-id"), failed)
            seconds = time.monotonic() - t
            last = attempt == self.policy.max_retries
            delay = 0.0 if last else self.policy.delay(attempt, wait, self.rng)
            failed.append(FailedAttempt(status, error, seconds, delay))
            if last:
                break
            self.total_retries += 1
            self.sleep(delay)
        raise InfraError(f"Responses API at {self.client.base_url} still failing after {self.policy.max_retries} "
                         f"retries ({len(failed)} attempts); last error: {failed[-1].error}")
