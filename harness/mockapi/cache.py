"""A prompt cache that behaves like the API's: prefixes up to ``cache_control`` breakpoints, 5-minute life.

A request reads the longest cached prefix that ends at one of its
breakpoints or up to 20 blocks before one; it writes the prefix up to its
last breakpoint if that is long enough to cache and not cached yet.  Input
tokens are whatever neither read nor wrote.  Pruning an old screenshot
changes every prefix after it, so the simulation charges that honestly.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from harness.mockapi.tokens import REQUEST_FRAMING, Unit

TTL_SECONDS = 300.0
LOOKBACK_BLOCKS = 20
MIN_CACHEABLE_TOKENS = 1024


@dataclass(frozen=True)
class Billing:
    input_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int


class PromptCache:
    def __init__(self, ttl: float = TTL_SECONDS, min_tokens: int = MIN_CACHEABLE_TOKENS) -> None:
        self.ttl = ttl
        self.min_tokens = min_tokens
        self._entries: dict[str, float] = {}
        self._lock = threading.Lock()

    def bill(self, model: str, units: Sequence[Unit]) -> Billing:
        """Split the request's tokens into fresh input, cache writes and cache reads; update the cache."""
        total = sum(u.tokens for u in units) + REQUEST_FRAMING
        breakpoints = [i for i, u in enumerate(units) if u.breakpoint]
        if not breakpoints:
            return Billing(total, 0, 0)
        hashes, cumulative = _prefixes(model, units)
        now = time.monotonic()
        with self._lock:
            self._entries = {h: t for h, t in self._entries.items() if now - t < self.ttl}
            read_end = -1
            for b in breakpoints:
                for i in range(b, max(-1, b - LOOKBACK_BLOCKS - 1), -1):
                    if hashes[i] in self._entries:
                        read_end = max(read_end, i)
                        break
            read = cumulative[read_end] if read_end >= 0 else 0
            if read_end >= 0:
                self._entries[hashes[read_end]] = now
            last = breakpoints[-1]
            write = 0
            if last > read_end and cumulative[last] >= self.min_tokens:
                write = cumulative[last] - read
                for b in breakpoints:
                    if cumulative[b] >= self.min_tokens:
                        self._entries[hashes[b]] = now
        return Billing(total - read - write, write, read)


def _prefixes(model: str, units: Sequence[Unit]) -> tuple[list[str], list[int]]:
    digest = hashlib.sha256(model.encode())
    hashes: list[str] = []
    cumulative: list[int] = []
    running = 0
    for unit in units:
        digest.update(unit.canonical.encode())
        hashes.append(digest.copy().hexdigest())
        running += unit.tokens
        cumulative.append(running)
    return hashes, cumulative
