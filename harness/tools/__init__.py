"""Claude's computer-use tools executed on the host through the guest."""

from harness.tools.bash import BashSession
from harness.tools.computer import ComputerTool
from harness.tools.editor import Editor
from harness.tools.result import ToolError, ToolResult
from harness.tools.toolbox import Toolbox

__all__ = ["BashSession", "ComputerTool", "Editor", "ToolError", "ToolResult", "Toolbox"]
