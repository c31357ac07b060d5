"""Whose fault an episode's end is: what happens inside the desktop while the agent acts is the agent's.

The agent controls everything that runs as uid 1000 in its container, so a
desktop it killed, an X server gone, a full disk, an OOM inside the
container, a fork bomb, or a guest that stops answering after start-up are
its outcome: a scored failure with a named reason, never retried.  What it
cannot cause stays ``infra_error``: the engine, the host, the model API, a
container removed or killed from outside (the agent cannot signal the
container's init or the guest, so a SIGKILL exit comes from outside).
"""

from __future__ import annotations

from typing import Literal

import docker.errors
import requests.exceptions

from harness.errors import DeskbenchError, GuestError
from harness.sandbox.container import Sandbox
from harness.sandbox.guest import IntegrityError

#: the reasons a scored failure can carry besides the checkers' verdict
TIMEOUT = "timeout"
GUEST_LOST = "guest_lost"
DESKTOP_BROKEN = "desktop_broken"  # the guest answers, but the desktop it serves is gone (its X server killed)
DESKTOP_OOM = "desktop_oom"
INTEGRITY = "integrity"
UNSCORABLE_OUTPUT = "unscorable_output"
CHECKER_LIMIT = "checker_limit"
PIDS_EXHAUSTED = "pids_exhausted"

Fate = Literal["running", "oom", "exited", "killed_outside", "gone", "engine_down"]
#: exit codes of a container whose init got a signal from outside (SIGKILL, SIGTERM): ``docker kill``/``stop``
OUTSIDE_SIGNALS = (137, 143)


class AgentOutcome(DeskbenchError):
    """The episode ends as the agent's failure, for ``reason``: scored 0, never retried."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def container_fate(box: Sandbox) -> Fate:
    """What became of the episode's container, as the engine reports it (the agent cannot forge this)."""
    try:
        box.container.reload()
    except docker.errors.NotFound:
        return "gone"
    except (docker.errors.DockerException, requests.exceptions.RequestException):
        return "engine_down"
    state = box.container.attrs.get("State") or {}
    if state.get("OOMKilled"):
        return "oom"
    if str(box.container.status) in ("running", "created", "paused"):
        return "running"
    return "killed_outside" if state.get("ExitCode") in OUTSIDE_SIGNALS else "exited"


def blame_lost_desktop(box: Sandbox, error: Exception) -> AgentOutcome | None:
    """The agent's outcome for a desktop that failed during its turns or the scoring; None: infrastructure."""
    fate = container_fate(box)
    if fate in ("gone", "engine_down", "killed_outside"):
        return None
    if fate == "oom":
        return AgentOutcome(DESKTOP_OOM, f"the desktop ran out of memory: {error}")
    reason = (INTEGRITY if isinstance(error, IntegrityError) else DESKTOP_BROKEN if isinstance(error, GuestError)
              else GUEST_LOST)
    return AgentOutcome(reason, f"{error} (container {fate})")
