"""Where episodes run: the executor interface, and the local one (a pool of threads, one container each).

The runner hands an executor a list of jobs and a function that runs one; the
executor decides where and how many at once.  A cluster executor implements
the same ``run`` and nothing else changes.  Stopping is cooperative: on Ctrl-C
the executor sets ``stop`` (no new job starts, running agents are stopped at
their next turn, their containers removed), waits for the running jobs, and
re-raises.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.agents.spec import AgentSpec
    from harness.checkers.semantics import Semantics
    from harness.runner.episode import EpisodeOptions, EpisodeSpec
    from harness.store.records import EpisodeResult

J = TypeVar("J")
EXECUTORS = ("local", "ray")


class Executor(Protocol):
    """Runs ``work(job)`` for every job; returns when all are done, raises KeyboardInterrupt when stopped."""

    def run(self, jobs: Sequence[J], work: Callable[[J], None], stop: threading.Event) -> None: ...


@runtime_checkable
class RemoteExecutor(Executor, Protocol):
    """An executor whose episodes run elsewhere: ``attempt`` runs one and brings back its record and files.

    The runner still plans, retries, records and resumes (one writer per run
    folder); only the episode itself moves.  ``attempt`` raises ``RunStopped``
    when ``stop`` is set before it ends (the attempt is not recorded).
    """

    def attempt(self, spec: EpisodeSpec, agent: AgentSpec, checkers: Semantics, options: EpisodeOptions,
                model_calls: int, stop: threading.Event) -> EpisodeResult: ...


def make_executor(name: str, parallel: int, address: str | None = None) -> Executor:
    """The executor called ``name`` (``--executor``); a bad name or a stray ``--ray-address`` is one line."""
    if name == "local":
        if address is not None:
            raise ConfigError(f"--ray-address {address} needs --executor ray")
        return LocalExecutor(parallel)
    if name == "ray":
        from harness.runner.executors.ray_driver import RayExecutor, connect

        connect(address)  # a cluster that cannot be reached, or offers no slots, is refused before the run starts
        return RayExecutor(parallel, address)
    raise ConfigError(f"--executor must be one of {', '.join(EXECUTORS)}, got {name!r}")


class LocalExecutor:
    """``parallel`` jobs at once in threads of this process (each job runs its own container).

    With ``parallel`` 1 jobs run in the calling thread, so Ctrl-C reaches the
    running episode directly.
    """

    def __init__(self, parallel: int = 1) -> None:
        self.parallel = max(1, parallel)

    def run(self, jobs: Sequence[J], work: Callable[[J], None], stop: threading.Event) -> None:
        if self.parallel == 1:
            for job in jobs:
                if stop.is_set():
                    raise KeyboardInterrupt
                work(job)
            return
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="episode")
        try:
            for future in concurrent.futures.as_completed([pool.submit(work, job) for job in jobs]):
                future.result()
        except BaseException:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
