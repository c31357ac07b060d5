"""One episode's set of tools: dispatch any tool action to the right executor."""

from __future__ import annotations

from harness.actions.vocabulary import BashAction, ComputerAction, EditorAction, ToolAction
from harness.errors import GuestError
from harness.sandbox.guest import GuestClient
from harness.tools.bash import BashSession
from harness.tools.computer import ComputerTool
from harness.tools.editor import Editor
from harness.tools.result import ToolError, ToolResult


class Toolbox:
    def __init__(self, guest: GuestClient, screen: tuple[int, int], editor_version: str = "20250728") -> None:
        self.computer = ComputerTool(guest, screen)
        self.bash = BashSession(guest)
        self.editor = Editor(guest, editor_version)

    def execute(self, action: ToolAction, screenshot: bool = True) -> ToolResult:
        """Run one tool call; a ToolError becomes an error result the agent sees."""
        try:
            if isinstance(action, ComputerAction):
                return self.computer.execute(action, screenshot)
            if isinstance(action, BashAction):
                return self.bash.execute(action.command, action.restart)
            if isinstance(action, EditorAction):
                return self.editor.execute(action)
        except ToolError as exc:
            return ToolResult(error=str(exc))
        except GuestError as exc:
            if exc.status >= 500:
                raise
            return ToolResult(error=str(exc))  # e.g. a key name xdotool does not know
        raise TypeError(f"not a tool action: {action!r}")
