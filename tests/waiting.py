"""Bounded polling for tests that wait on a desktop: apps start asynchronously, so tests poll
for the state they need instead of sleeping a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(fn: Callable[[], T | None], what: str, timeout: float = 5.0, interval: float = 0.05) -> T:
    """Call ``fn`` until it returns something truthy (bounded); fail naming ``what`` and the last value.

    Typed to drop ``None`` from what ``fn`` returns: a falsy value is never returned, so "not yet" may be ``None``.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last value: {value!r}")
        time.sleep(interval)
