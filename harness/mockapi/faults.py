"""Failures and slowness injected on purpose, to exercise an agent's retries and timeouts.

Faults come before validation, like a real overloaded front end: the
first ``fail_first`` calls (or all of them with ``fail_always``) get the
error status, with a ``retry-after`` header if one is set.  An outage can
also last a time rather than a number of calls: ``fail_for_seconds`` fails
every call from call ``fail_from_call`` on until that many seconds have
passed since it, which is how a real overload looks to a client whose
retries are spaced in time (a count of failures says nothing about how long
its backoff must last).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from harness.mockapi.validate import ApiError

ERROR_TYPES = {
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
    500: ("api_error", "Internal server error"),
    502: ("api_error", "Bad gateway"),
    503: ("api_error", "Service unavailable"),
    529: ("overloaded_error", "Overloaded"),
}


class _Window:
    """When a timed outage began: set by the first call that falls in it, shared by the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.opened: float | None = None

    def open_at(self, now: float) -> float:
        with self._lock:
            if self.opened is None:
                self.opened = now
            return self.opened


@dataclass(frozen=True)
class Faults:
    fail_first: int = 0
    fail_always: bool = False
    status: int = 529
    retry_after: float | None = None
    #: seconds to wait before answering (a slow model)
    delay: float = 0.0
    #: only the first N calls are slow (None: every call)
    delay_first: int | None = None
    #: an outage of this many seconds (0: none), beginning with call number ``fail_from_call``
    fail_for_seconds: float = 0.0
    #: the call (1-based) that begins a ``fail_for_seconds`` outage: later ones let an episode get under way first
    fail_from_call: int = 1
    _window: _Window = field(default_factory=_Window, init=False, repr=False, compare=False)

    def error_for(self, call_number: int) -> ApiError | None:
        """The injected error for the n-th call (1-based), if any."""
        if not (self.fail_always or call_number <= self.fail_first or self._in_outage(call_number)):
            return None
        kind, message = ERROR_TYPES.get(self.status, ("api_error", f"HTTP {self.status}"))
        return ApiError(self.status, kind, message)

    def _in_outage(self, call_number: int) -> bool:
        if self.fail_for_seconds <= 0 or call_number < self.fail_from_call:
            return False
        now = time.monotonic()
        return now - self._window.open_at(now) < self.fail_for_seconds

    def outage_over(self) -> bool:
        """Whether a timed outage began and has ended (for tests and logs)."""
        opened = self._window.opened
        return opened is not None and time.monotonic() - opened >= self.fail_for_seconds

    def delay_for(self, call_number: int) -> float:
        if self.delay <= 0 or (self.delay_first is not None and call_number > self.delay_first):
            return 0.0
        return self.delay
