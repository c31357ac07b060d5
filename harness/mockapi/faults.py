"""Failures and slowness injected on purpose, to exercise an agent's retries and timeouts.

Faults come before validation, like a real overloaded front end: the
first ``fail_first`` calls (or all of them with ``fail_always``) get the
error status, with a ``retry-after`` header if one is set.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.mockapi.validate import ApiError

ERROR_TYPES = {
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
    500: ("api_error", "Internal server error"),
    502: ("api_error", "Bad gateway"),
    503: ("api_error", "Service unavailable"),
    529: ("overloaded_error", "Overloaded"),
}


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

    def error_for(self, call_number: int) -> ApiError | None:
        """The injected error for the n-th call (1-based), if any."""
        if not (self.fail_always or call_number <= self.fail_first):
            return None
        kind, message = ERROR_TYPES.get(self.status, ("api_error", f"HTTP {self.status}"))
        return ApiError(self.status, kind, message)

    def delay_for(self, call_number: int) -> float:
        if self.delay <= 0 or (self.delay_first is not None and call_number > self.delay_first):
            return 0.0
        return self.delay
