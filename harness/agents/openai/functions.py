"""deskbench's bash and text-editor tools as Responses API function tools.

OpenAI's computer tool only clicks and types; the desktops' tasks also take
a shell and a file editor (as Claude's tools do), so the agent declares them
as functions with JSON schemas that mirror the action vocabulary's fields.
Their calls are checked by that vocabulary, like every other agent's.
"""

from __future__ import annotations

from typing import Any

BASH = "bash"
EDITOR = "str_replace_based_edit_tool"

_BASH_TOOL: dict[str, Any] = {
    "type": "function", "name": BASH, "strict": False,
    "description": ("Run a command in a persistent bash shell on the desktop machine, as the desktop's user; "
                    "the working directory and exported variables persist between calls. restart=true starts "
                    "a fresh shell. Detach graphical programs (setsid prog >/dev/null 2>&1 &)."),
    "parameters": {"type": "object", "additionalProperties": False,
                   "properties": {"command": {"type": "string", "description": "the command to run"},
                                  "restart": {"type": "boolean", "description": "restart the shell instead"}}},
}
_EDITOR_TOOL: dict[str, Any] = {
    "type": "function", "name": EDITOR, "strict": False,
    "description": ("View, create and edit files on the desktop machine. view shows a file with line numbers "
                    "(or a folder's entries); create writes file_text; str_replace replaces the one occurrence "
                    "of old_str with new_str; insert puts insert_text after line insert_line."),
    "parameters": {"type": "object", "additionalProperties": False, "required": ["command", "path"],
                   "properties": {
                       "command": {"type": "string", "enum": ["view", "create", "str_replace", "insert"]},
                       "path": {"type": "string", "description": "absolute path"},
                       "file_text": {"type": "string"}, "old_str": {"type": "string"},
                       "new_str": {"type": "string"}, "insert_line": {"type": "integer"},
                       "insert_text": {"type": "string"},
                       "view_range": {"type": "array", "items": {"type": "integer"}, "minItems": 2,
                                      "maxItems": 2}}},
}
FUNCTION_TOOLS: dict[str, dict[str, Any]] = {"bash": _BASH_TOOL, "editor": _EDITOR_TOOL}
FUNCTION_NAMES: dict[str, str] = {"bash": BASH, "editor": EDITOR}
