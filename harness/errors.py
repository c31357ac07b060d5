"""The errors deskbench raises on purpose.

Every one of them carries a message meant for a person: the CLI prints it as
one line and exits non-zero, without a traceback.  Anything that is *not* a
``DeskbenchError`` is a bug in deskbench and keeps its traceback.
"""

from __future__ import annotations


class DeskbenchError(Exception):
    """Base class: an expected failure with a message that names what and where."""


class EngineUnavailable(DeskbenchError):
    """The Docker engine does not answer."""


class ImageNotFound(DeskbenchError):
    """An image is unknown to deskbench or has not been built."""


class ImageBuildError(DeskbenchError):
    """Building an image failed."""


class TaskFileError(DeskbenchError):
    """A task file cannot be read or does not match the schema."""


class UnknownActionError(DeskbenchError):
    """An action (in a reference solution or from an agent) is not in the vocabulary."""


class SandboxError(DeskbenchError):
    """The container or its guest failed (infrastructure, not the agent's fault)."""


class GuestError(SandboxError):
    """The guest answered a request with an error."""

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message)
        self.status = status


class SetupError(DeskbenchError):
    """A task's setup step failed: the episode never starts, and the agent is not blamed."""


class CheckerError(DeskbenchError):
    """A getter or metric failed: the episode is not scored (never a silent 0)."""


class ConfigError(DeskbenchError):
    """A bad option or combination of options given by the user."""


class InfraError(DeskbenchError):
    """A service the episode depends on, outside the sandbox, stayed unavailable (the model API after its
    retries): an infrastructure error, never counted against the agent."""


class DeadlineReached(DeskbenchError):
    """The episode's time limit ran out inside a command (a setup step's, a tool's): enforced there, not only
    between steps. The episode decides whose it is: the agent's during its turns, a setup error before them."""
