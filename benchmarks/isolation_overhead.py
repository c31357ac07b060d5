"""What the guest's privilege separation and the bounded disk cost: before and after, in the same run.

``python benchmarks/isolation_overhead.py [starts] [round_trips]``

"Before" is the launch as it was until issue 20: everything as uid 1000, no
capabilities, a writable root file system and no size-limited mounts, the
socket folder the desktop user's.  "After" is today's launch (see
``harness.sandbox.container``).  Both use the same, current image (its start
script runs the guest as whichever user the container starts as).  Starts and
round trips (one pointer move plus one PNG screenshot through the guest; one
command run as the desktop user, which now starts through setpriv and choom) are
interleaved, before/after alternately, so load on the shared machine hits
both alike; the report gives medians and 95th percentiles.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.bench.env_latency import percentiles
from harness.sandbox import container
from harness.sandbox.container import DESKTOP_UID, start_sandbox

LABELS = {"deskbench.run": "bench-isolation"}


@contextmanager
def before_issue_20() -> Iterator[None]:
    """Launch desktops the old way for the duration (module functions swapped, restored afterwards)."""
    kwargs, folder, owner = container.container_kwargs, container._private_folder, container._socket_owner

    def old_kwargs(*args: Any, **kw: Any) -> dict[str, Any]:
        out = kwargs(*args, **kw)
        out.update(user=f"{DESKTOP_UID}:{DESKTOP_UID}", cap_add=[], read_only=False)
        out.pop("tmpfs", None)
        return out

    def old_folder() -> Path:
        path = folder()
        if os.geteuid() == 0:
            os.chown(path, DESKTOP_UID, DESKTOP_UID)
        return path

    container.container_kwargs = old_kwargs
    container._private_folder = old_folder
    container._socket_owner = lambda: DESKTOP_UID if os.geteuid() == 0 else None
    try:
        yield
    finally:
        container.container_kwargs, container._private_folder, container._socket_owner = kwargs, folder, owner


def one_episode(round_trips: int) -> tuple[float, list[float], list[float]]:
    """Seconds to a usable desktop, of each move + PNG screenshot round trip, and of each command run."""
    started = time.perf_counter()
    with start_sandbox("desktop", labels=LABELS) as box:
        start = time.perf_counter() - started
        trips, commands = [], []
        for i in range(round_trips):
            t = time.perf_counter()
            box.guest.input({"op": "move", "x": 40 + (i * 211) % 1200, "y": 40 + (i * 137) % 720})
            box.guest.screenshot()
            trips.append(time.perf_counter() - t)
        # apart from the round trips: a command's processes use the container's CPU quota, and a throttled
        # container would slow the round trip that follows
        for _ in range(round_trips):
            t = time.perf_counter()
            box.guest.run(["true"], shell=False)
            commands.append(time.perf_counter() - t)
    return start, trips, commands


def main(argv: list[str]) -> int:
    starts = int(argv[0]) if argv else 8
    round_trips = int(argv[1]) if len(argv) > 1 else 30
    figures: dict[str, tuple[list[float], list[float], list[float]]] = {"before": ([], [], []), "after": ([], [], [])}
    one_episode(3)  # warm-up: the image's pages in the cache for both
    for _ in range(starts):
        for mode in ("before", "after"):
            with before_issue_20() if mode == "before" else _nothing():
                start, trips, commands = one_episode(round_trips)
            figures[mode][0].append(start)
            figures[mode][1].extend(trips)
            figures[mode][2].extend(commands)
    print(f"isolation overhead: {starts} starts and {starts * round_trips} round trips each, interleaved")
    print(f"{'':8}{'start p50':>11}{'start p95':>11}{'move+PNG p50':>14}{'move+PNG p95':>14}{'command p50':>13}")
    for mode, (start_samples, trip_samples, command_samples) in figures.items():
        s, r = percentiles(tuple(start_samples)), percentiles(tuple(trip_samples))
        c = percentiles(tuple(command_samples))
        print(f"{mode:8}{s.p50:>10.3f}s{s.p95:>10.3f}s{r.p50 * 1000:>12.1f}ms{r.p95 * 1000:>12.1f}ms"
              f"{c.p50 * 1000:>11.1f}ms")
    return 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
