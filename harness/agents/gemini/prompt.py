"""What Gemini is told: the desktop it drives, how to finish, and deskbench's bash and editor as functions.

The predefined UI functions need no declaration (the computer-use tool brings
them); bash and the text editor do, as ordinary function declarations with
JSON schemas, named as deskbench's vocabulary names them so a call maps to
an action one to one.
"""

from __future__ import annotations

from typing import Any

from harness.agents.claude.prompt import INFEASIBLE_MARKER

EDITOR_NAME = "str_replace_based_edit_tool"

BASH_DECLARATION: dict[str, Any] = {
    "name": "bash",
    "description": "Run a shell command as the desktop's user in a persistent bash session (working directory and "
                   "exported variables persist). restart=true starts a fresh session.",
    "parameters_json_schema": {
        "type": "object",
        "properties": {"command": {"type": "string"}, "restart": {"type": "boolean"}},
    },
}
EDITOR_DECLARATION: dict[str, Any] = {
    "name": EDITOR_NAME,
    "description": "View, create and edit text files: view (a file or folder), create (file_text), str_replace "
                   "(old_str must occur once, new_str replaces it), insert (insert_text after insert_line).",
    "parameters_json_schema": {
        "type": "object",
        "properties": {
            "command": {"type": "string", "enum": ["view", "create", "str_replace", "insert"]},
            "path": {"type": "string"}, "file_text": {"type": "string"}, "old_str": {"type": "string"},
            "new_str": {"type": "string"}, "insert_line": {"type": "integer"}, "insert_text": {"type": "string"},
            "view_range": {"type": "array", "items": {"type": "integer"}},
        },
        "required": ["command", "path"],
    },
}


def declarations(tools: tuple[str, ...]) -> list[dict[str, Any]]:
    """The custom function declarations for the enabled deskbench tools besides the computer."""
    chosen = {"bash": BASH_DECLARATION, "editor": EDITOR_DECLARATION}
    return [chosen[t] for t in tools if t in chosen]


def custom_names(tools: tuple[str, ...]) -> tuple[str, ...]:
    names = {"bash": "bash", "editor": EDITOR_NAME}
    return tuple(names[t] for t in tools if t in names)


def system_instruction(custom: tuple[str, ...], suffix: str = "") -> str:
    """The system instruction for one episode; ``suffix`` (the user's own text) goes last."""
    extra = f" Besides the UI functions you may call {', '.join(custom)}." if custom else ""
    text = ("You operate a Debian Linux desktop (X11, openbox) as the user \"user\" (home /home/user), with no "
            "internet access. Installed: xterm (terminal), mousepad (text editor), pcmanfm (file manager)."
            f"{extra} There is no web browser API: open_web_browser, navigate, search, go_back and go_forward "
            "do not work here. When the task is done, answer with a short summary and no function call. If it "
            f"cannot be done on this machine, answer without a function call starting with {INFEASIBLE_MARKER} "
            "and the reason. Every answer is one step and steps are limited.")
    return f"{text}\n\n{suffix.strip()}" if suffix.strip() else text
