"""What executing one tool call gives back to the agent."""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import DeskbenchError
from harness.store.values import Screenshot


class ToolError(DeskbenchError):
    """A tool call the model got wrong (bad coordinate, no match...): the model sees the message."""


@dataclass
class ToolResult:
    output: str | None = None
    error: str | None = None
    screenshot: Screenshot | None = None

    @property
    def is_error(self) -> bool:
        return self.error is not None
