"""An agent wrapper that caps concurrent model calls and stops the agent when the run is stopped.

Containers and model calls are limited separately: eight desktops may run
while only four requests are in flight to a rate-limited API.  The wrapper is
also where a stopping run reaches a running episode: a turn in progress (a
model call that may take half a minute) is abandoned at once and the next one
never starts; ``RunStopped`` unwinds the episode like Ctrl-C (its container is
removed) and leaves it unrecorded, to be run again on resume.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from harness.agents.base import Agent, EpisodeInfo, Observation, Turn

T = TypeVar("T")


class RunStopped(KeyboardInterrupt):
    """The run is stopping (Ctrl-C); the episode is abandoned and not recorded."""


class ThrottledAgent(Agent):
    """Delegates to ``inner``; ``act`` waits for a model-call slot and refuses to start once ``stop`` is set."""

    def __init__(self, inner: Agent, calls: threading.Semaphore, stop: threading.Event) -> None:
        self.inner, self.calls, self.stop = inner, calls, stop
        self.name = inner.name  # type: ignore[misc]  # instance copy of the inner agent's class-level name
        self.uses_reference_solution = inner.uses_reference_solution  # type: ignore[misc]
        self.wants_action_screenshots = inner.wants_action_screenshots  # type: ignore[misc]
        self.editor_version = inner.editor_version

    def start(self, episode: EpisodeInfo) -> None:
        self._check()
        self.inner.start(episode)

    def act(self, observation: Observation) -> Turn:
        self._check()
        with self.calls:
            self._check()
            return self._unless_stopped(lambda: self.inner.act(observation))

    def model_name(self) -> str | None:
        return self.inner.model_name()

    def _unless_stopped(self, call: Callable[[], T]) -> T:
        """``call()``, run in a daemon thread so that a stopping run need not wait for it to return.

        Worker threads cannot be interrupted; without this a Ctrl-C would wait
        for every running model call.  An abandoned call finishes (or not) in
        the background and its answer is dropped.
        """
        outcome: list[T] = []
        failure: list[BaseException] = []
        done = threading.Event()

        def target() -> None:
            try:
                outcome.append(call())
            except BaseException as exc:  # handed to the episode's thread, raised there
                failure.append(exc)
            finally:
                done.set()

        threading.Thread(target=target, name="agent-turn", daemon=True).start()
        while not done.wait(0.05):
            self._check()
        if failure:
            raise failure[0]
        return outcome[0]

    def _check(self) -> None:
        if self.stop.is_set():
            raise RunStopped
