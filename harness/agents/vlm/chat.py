"""Calling an OpenAI-compatible ``/chat/completions`` endpoint with deskbench's retry policy, counted.

The SDK's own retries are off so every retry shows in the call log, and the
same rule as the Claude agent's decides blame when they run out: a server
that keeps answering 429/5xx or cannot be reached is an infrastructure error;
a request it rejects (400, 404 for a model it does not serve) is the agent's
configuration or bug, raised as ``ModelRequestRejected`` with the server's
own message.
"""

from __future__ import annotations

from typing import Any

import openai

from harness.agents.openai.api import sort_openai_error  # OpenAI's error body, which vLLM's server also sends
from harness.agents.retry import CallOutcome, Retryable, RetryingCaller


class ChatCaller(RetryingCaller[openai.OpenAI]):
    """``client.chat.completions.create`` retried by the policy; keeps a running retry count."""

    errors = (openai.APIStatusError, openai.APIConnectionError)

    def create(self, **request: Any) -> CallOutcome:
        return self.with_retries(lambda: self._attempt(request))

    def _attempt(self, request: dict[str, Any]) -> tuple[Any, str | None]:
        raw = self.client.chat.completions.with_raw_response.create(**request)
        response = raw.parse()
        return response, raw.headers.get("x-request-id") or getattr(response, "id", None)

    def failure(self, exc: Exception) -> Retryable:
        return sort_openai_error(exc, f"the chat endpoint at {self.client.base_url}")

    def service(self) -> str:
        return f"chat endpoint at {self.client.base_url}"
