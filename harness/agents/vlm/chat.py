"""Calling an OpenAI-compatible ``/chat/completions`` endpoint with deskbench's retry policy, counted.

The SDK's own retries are off so every retry shows in the call log, and the
same rule as the Claude agent's decides blame when they run out: a server
that keeps answering 429/5xx or cannot be reached is an infrastructure error;
a request it rejects (400, 404 for a model it does not serve) is the agent's
configuration or bug, raised as ``ModelRequestRejected`` with the server's
own message.
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
from harness.agents.openai.api import api_error_text  # OpenAI's error body, which vLLM's server also sends
from harness.errors import InfraError


class ChatCaller:
    """``client.chat.completions.create`` retried by the policy; keeps a running retry count."""

    def __init__(self, client: openai.OpenAI, policy: RetryPolicy, *, sleep: Callable[[float], None] = time.sleep,
                 seed: int | None = None) -> None:
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
                raw = self.client.chat.completions.with_raw_response.create(**request)
                response = raw.parse()
            except openai.APIStatusError as exc:
                if exc.status_code not in RETRY_STATUSES:
                    raise ModelRequestRejected(f"the chat endpoint at {self.client.base_url} rejected the request: "
                                               f"{api_error_text(exc)}") from None
                status, error, wait = exc.status_code, api_error_text(exc), retry_after_seconds(exc.response.headers)
            except openai.APIConnectionError as exc:  # includes timeouts
                error, wait = f"{type(exc).__name__}: {exc}", None
            else:
                request_id = raw.headers.get("x-request-id") or getattr(response, "id", None)
                return CallOutcome(response, time.monotonic() - t, time.monotonic() - started, attempt,
                                   [f.error for f in failed], request_id, failed)
            seconds = time.monotonic() - t
            if attempt == self.policy.max_retries:
                failed.append(FailedAttempt(status, error, seconds, 0.0))
                break
            delay = self.policy.delay(attempt, wait, self.rng)
            failed.append(FailedAttempt(status, error, seconds, delay))
            self.total_retries += 1
            self.sleep(delay)
        raise InfraError(f"chat endpoint at {self.client.base_url} still failing after {self.policy.max_retries} "
                         f"retries ({len(failed)} attempts); last error: {failed[-1].error}")
