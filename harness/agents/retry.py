"""One retry loop for every provider's API: backoff that honours ``retry-after``, counted, and faults sorted.

Each agent turns its SDK's own retries off so that every retry is counted
here and shows up in the call log.  What happens when they run out decides
whose fault an episode's end is, the same way for every provider: a service
that stays overloaded (429, 529, 5xx, connection errors, timeouts) is
``InfraError``, an infrastructure error; a request the API rejects (400 and
other 4xx) is a bug or a misconfiguration of the agent, raised as
``ModelRequestRejected`` with the API's own message.  A provider's caller
only says how one attempt is made and how its SDK's errors read
(:class:`RetryingCaller`).
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from harness.errors import DeskbenchError, InfraError

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
#: longest server-requested wait honoured before giving up on waiting politely
MAX_RETRY_AFTER = 600.0


class Headers(Protocol):
    """The part of an HTTP response's headers used here (the SDKs' HTTP client types vary by version)."""

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


@dataclass(frozen=True)
class Retryable:
    """A failed attempt worth another try: its status (None: no HTTP answer), the error as the log shows it,
    and the wait the server asked for."""

    status: int | None
    error: str
    retry_after: float | None = None


ClientT = TypeVar("ClientT")


class RetryingCaller(Generic[ClientT]):
    """The loop every provider's caller shares, around the provider's SDK client; a subclass names its SDK's
    errors and reads them.

    ``errors`` are the exception types an attempt may raise that :meth:`failure` sorts: it returns a
    :class:`Retryable` for an overloaded service or a lost connection, and raises ``ModelRequestRejected``
    for a request the API refuses.  Anything else propagates untouched.
    """

    errors: tuple[type[Exception], ...] = ()

    def __init__(self, client: ClientT, policy: RetryPolicy, *, sleep: Callable[[float], None] = time.sleep,
                 seed: int | None = None) -> None:
        self.client = client
        self.policy = policy
        self.sleep = sleep
        self.rng = random.Random(seed)
        self.total_retries = 0

    def failure(self, exc: Exception) -> Retryable:
        """Sort one of ``errors``: retryable, or raise ``ModelRequestRejected``."""
        raise NotImplementedError

    def service(self) -> str:
        """The API as the final error names it (``Messages API at http://...``)."""
        raise NotImplementedError

    def with_retries(self, attempt: Callable[[], tuple[Any, str | None]], *, streamed: bool = False) -> CallOutcome:
        """Run ``attempt`` (the response and its request id) until it answers or the policy gives up."""
        started = time.monotonic()
        failed: list[FailedAttempt] = []
        for number in range(self.policy.max_retries + 1):
            t = time.monotonic()
            try:
                response, request_id = attempt()
            except self.errors as exc:
                why = self.failure(exc)
            else:
                return CallOutcome(response, time.monotonic() - t, time.monotonic() - started, number,
                                   [f.error for f in failed], request_id, failed, streamed)
            seconds = time.monotonic() - t
            if number == self.policy.max_retries:
                failed.append(FailedAttempt(why.status, why.error, seconds, 0.0))
                break
            delay = self.policy.delay(number, why.retry_after, self.rng)
            failed.append(FailedAttempt(why.status, why.error, seconds, delay))
            self.total_retries += 1
            self.sleep(delay)
        raise InfraError(f"{self.service()} still failing after {self.policy.max_retries} retries "
                         f"({len(failed)} attempts); last error: {failed[-1].error}")
