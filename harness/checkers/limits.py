"""Metrics run in a child process with memory and CPU limits, within the episode's time limit.

A metric reads files the agent produced: a decompression bomb, a spreadsheet
of three million cells or a pathological PDF must not take the harness down
or run past ``--timeout``.  Each metric call is forked by a metric server
(:mod:`harness.checkers.metric_server`: a single-threaded process that has
the checkers imported already, so a call costs milliseconds and inherits no
lock from the run's threads), with ``RLIMIT_AS`` and ``RLIMIT_CPU`` set, and
a wall-clock bound: whichever comes first of :data:`CPU_SECONDS` and the
time left before the episode's deadline.  Hitting a limit raises
:class:`CheckerLimit`, which the runner scores as the agent's failure.
Parallel episodes each get a server of their own from a small pool.

A suite's own checker, loaded from a file under a module name nothing else
can import, travels with that file's path: the fork imports the file under
the same name before it unpickles the call, so suite metrics run under the
same limits.  Only a metric that still cannot be sent (a lambda, a closure)
runs in the harness's own process; its limits are then the episode's only.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

from harness.checkers.registry import PLUGIN_PREFIX
from harness.errors import CheckerError

#: address space a metric may map (bytes); the default leaves room for numpy/pandas' reservations
MEMORY_BYTES = int(os.environ.get("DESKBENCH_CHECKER_MEMORY", str(3 * 1024**3)))
#: CPU seconds one metric call may use, whatever the episode's deadline
CPU_SECONDS = float(os.environ.get("DESKBENCH_CHECKER_CPU", "120"))

_DEADLINE: ContextVar[float | None] = ContextVar("deskbench_metric_deadline", default=None)


class CheckerLimit(CheckerError):
    """A metric hit its memory, CPU or time limit on the desktop's output: the agent produced that file."""


@contextmanager
def metric_deadline(deadline: float) -> Iterator[None]:
    """Within: metric calls end by ``deadline`` (a ``time.monotonic()`` value) at the latest."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class _Server:
    """One metric server process; killed (with the metric it runs) when a call outlives its time."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "harness.checkers.metric_server"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)

    def call(self, request: bytes, wall: float) -> tuple[str, Any]:
        """Send one request; its answer within ``wall`` seconds, else CheckerLimit (and this server is dead)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(len(request).to_bytes(4, "big") + request)
        self.process.stdin.flush()
        deadline = time.monotonic() + wall
        head = self._read(4, deadline)
        answer: tuple[str, Any] = pickle.loads(self._read(int.from_bytes(head, "big"), deadline))
        return answer

    def _read(self, size: int, deadline: float) -> bytes:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        data = b""
        while len(data) < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.kill()
                raise CheckerLimit(f"the metric ran longer than its {_WALL_NOTE}")
            chunk = os.read(fd, size - len(data))
            if not chunk:
                self.kill()
                raise CheckerError("the metric server ended unexpectedly")
            data += chunk
        return data

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


_WALL_NOTE = "time (the episode's time limit or the CPU cap)"
_IDLE: list[_Server] = []
_POOL_LOCK = threading.Lock()


@contextmanager
def _server() -> Iterator[_Server]:
    """An idle server from the pool (or a new one); back to the pool afterwards unless it was killed."""
    with _POOL_LOCK:
        server = _IDLE.pop() if _IDLE else None
    if server is None or not server.alive():
        server = _Server()
    try:
        yield server
    finally:
        if server.alive():
            with _POOL_LOCK:
                _IDLE.append(server)


def run_metric(fn: Callable[..., Any], result: Any, expected: Any, options: dict[str, Any]) -> Any:
    """``fn(result, expected, **options)`` in a limited child process; CheckerLimit when a limit is hit."""
    try:
        payload = pickle.dumps((fn, result, expected, options))
    except Exception:
        return fn(result, expected, **options)
    deadline = _DEADLINE.get()
    wall = CPU_SECONDS if deadline is None else min(CPU_SECONDS, deadline - time.monotonic())
    if wall <= 0:
        raise CheckerLimit("the episode's time limit was reached before the metric ran")
    with _server() as server:
        request = (MEMORY_BYTES, max(1, int(wall)), _plugin_files(fn), payload)
        kind, value = server.call(pickle.dumps(request), wall + 5)
    if kind == "ok":
        return value
    if kind == "unavailable":
        return fn(result, expected, **options)
    if kind == "limit":
        raise CheckerLimit(f"the metric used {value}")
    if kind == "died":
        why = ("its CPU limit" if value == -signal.SIGXCPU else "a memory limit" if value == -signal.SIGKILL
               else f"exit code {value}")
        raise CheckerLimit(f"the metric's process ended on {why}")
    raise value


def _plugin_files(fn: Callable[..., Any]) -> list[tuple[str, str]]:
    """(module name, file) of every suite checker file the call refers to, for the server to import first."""
    parts: list[Any] = [fn]
    while parts and isinstance(parts[-1], partial):
        call = parts.pop()
        parts += [call.func, *call.args, *call.keywords.values()]
    files = []
    for part in parts:
        name = getattr(part, "__module__", None) or ""
        module = sys.modules.get(name)
        if name.startswith(PLUGIN_PREFIX) and module is not None and getattr(module, "__file__", None):
            files.append((name, str(module.__file__)))
    return files
