"""One episode's set of tools: dispatch any tool action to the right executor.

Whatever an action asks for, the result is bounded: an output or error of more than
``MAX_RESULT_CHARS`` characters keeps its beginning and end with a note of what was cut, because
every result goes into the model's next request (the API refuses a request that is too large, and
a huge one costs the rest of the episode's context) and into the trajectory.
"""

from __future__ import annotations

from typing import Any

from harness.actions.vocabulary import BashAction, ComputerAction, EditorAction, ToolAction
from harness.errors import GuestError
from harness.sandbox.guest import GuestClient
from harness.sandbox.settle import SettleWait
from harness.tools.bash import BashSession
from harness.tools.computer import ComputerTool
from harness.tools.editor import Editor
from harness.tools.result import ToolError, ToolResult

MAX_RESULT_CHARS = 30_000


def clip(text: str | None, limit: int = MAX_RESULT_CHARS) -> str | None:
    """``text`` cut to about ``limit`` characters: two thirds from the start, one third from the end."""
    if text is None or len(text) <= limit:
        return text
    head, tail = text[: limit * 2 // 3], text[len(text) - limit // 3:]
    omitted = len(text) - len(head) - len(tail)
    return (f"{head}\n[... {omitted} characters omitted: the result was too long; narrow it down (grep, head, "
            f"tail, view_range) ...]\n{tail}")


def not_text(value: Any, where: str = "") -> str | None:
    """The field of an action holding a string that is not valid Unicode (a lone surrogate), or None.

    JSON can escape half of a surrogate pair (``"\\ud800"``); such a string cannot be encoded to
    send to the desktop or to be written to a trajectory, so it is refused as input.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where or "input"
    elif isinstance(value, dict):
        for key, item in value.items():
            if (found := not_text(item, str(key))) is not None:
                return found
    elif isinstance(value, list | tuple):
        for item in value:
            if (found := not_text(item, where)) is not None:
                return found
    return None


class Toolbox:
    def __init__(self, guest: GuestClient, screen: tuple[int, int], editor_version: str = "20250728",
                 settle: SettleWait | None = None) -> None:
        self.computer = ComputerTool(guest, screen, settle=settle)
        self.bash = BashSession(guest)
        self.editor = Editor(guest, editor_version)

    def execute(self, action: ToolAction, screenshot: bool = True) -> ToolResult:
        """Run one tool call; a ToolError becomes an error result the agent sees, and every result is bounded."""
        result = self._execute(action, screenshot)
        result.output, result.error = clip(result.output), clip(result.error)
        return result

    def _execute(self, action: ToolAction, screenshot: bool) -> ToolResult:
        if not isinstance(action, ComputerAction | BashAction | EditorAction):
            raise TypeError(f"not a tool action: {action!r}")
        try:
            if (field := not_text(action.model_dump())) is not None:
                raise ToolError(f"{field} is not valid Unicode text (it holds a lone surrogate escape such as \\ud800)")
            if isinstance(action, ComputerAction):
                return self.computer.execute(action, screenshot)
            if isinstance(action, BashAction):
                return self.bash.execute(action.command, action.restart)
            return self.editor.execute(action)
        except ToolError as exc:
            return ToolResult(error=str(exc))
        except GuestError as exc:
            if exc.status >= 500:
                raise
            return ToolResult(error=str(exc))  # e.g. a key name xdotool does not know
