"""Scripted conversations the mock server replays: one per task, picked by the task's instruction.

The reply depends only on the request (which script matches the first user
message, and how many assistant turns the history already holds), so one
server serves many episodes at once, in any order, with no session state.

A task's reference solution is already in Claude's tool-input shape (the
action vocabulary *is* it), so it becomes a script with one tool call per
turn and a final summary; ``FAIL`` becomes an infeasibility answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.actions.vocabulary import EDITOR_TOOL_NAMES
from harness.errors import ConfigError
from harness.tasks.schema import Task

DONE_TEXT = "I have completed the task."
INFEASIBLE_TEXT = "INFEASIBLE: the reference solution declares this task impossible."
NO_SCRIPT_TEXT = "The deskbench mock server has no script for this task, so I stop here."
Block = dict[str, Any]


@dataclass(frozen=True)
class Script:
    """Turns of assistant content (tool_use blocks without ids) for conversations whose first message has ``match``.

    A turn may hold ``{"stop_reason": "refusal"}`` (or ``pause_turn``, ``stop_sequence``...) to end with that
    stop reason; ``max_tokens`` happens by itself when the turn's content is longer than the request allows.

    ``screen`` is the size the script's coordinates were written for; they are
    rescaled to the display size the request's computer tool declares.
    """

    match: str
    turns: Sequence[Sequence[Block]]
    final: str = DONE_TEXT
    screen: tuple[int, int] | None = None
    name: str = ""


@dataclass(frozen=True)
class ToolDeclarations:
    """What the request declared, so a scripted call is adapted to it (editor name, insert field, display)."""

    editor_name: str | None = None
    editor_type: str | None = None
    display: tuple[int, int] | None = None
    names: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, tools: Any) -> ToolDeclarations:
        editor_name = editor_type = None
        display = None
        names = set()
        for tool in tools or []:
            if not isinstance(tool, dict):
                continue
            names.add(str(tool.get("name")))
            kind = str(tool.get("type", ""))
            if kind.startswith("text_editor_"):
                editor_name, editor_type = str(tool.get("name")), kind
            if kind.startswith("computer_"):
                display = (int(tool.get("display_width_px", 0)), int(tool.get("display_height_px", 0)))
        return cls(editor_name, editor_type, display, frozenset(names))


def action_block(action: dict[str, Any]) -> Block:
    """A vocabulary action (``{"tool": ..., ...}``) as a tool_use block without id."""
    data = dict(action)
    return {"type": "tool_use", "name": data.pop("tool"), "input": data}


def script_from_task(task: Task) -> Script:
    """The task's reference solution, one tool call per turn."""
    turns: list[list[Block]] = []
    final = DONE_TEXT
    for i, action in enumerate(task.solution or []):
        if action == "DONE":
            break
        if action == "FAIL":
            final = INFEASIBLE_TEXT
            break
        if action == "WAIT":
            turns.append([{"type": "tool_use", "name": "computer", "input": {"action": "wait", "duration": 1}}])
            continue
        data = {"tool": action.tool, **action.model_dump(exclude_none=True, exclude_defaults=True)}
        turns.append([{"type": "text", "text": f"Step {i + 1} of the reference solution."}, action_block(data)])
    return Script(task.instruction, turns, final, name=task.id)


class _ScriptFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match: str
    turns: list[list[dict[str, Any]]]
    final: str = DONE_TEXT
    screen: tuple[int, int] | None = None
    name: str = ""


class _ScriptsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scripts: list[_ScriptFile]


def load_scripts(path: Path) -> list[Script]:
    """Scripts from a task file or folder (their reference solutions) or a scripts JSON file.

    A scripts file is ``{"scripts": [{"match": "...", "turns": [[block, ...], ...], "final": "..."}]}``
    where a block is a content block, or an action in deskbench's vocabulary (``{"tool": ...}``).
    """
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read script {path}: {exc}") from None
        if isinstance(data, dict) and "scripts" in data:
            try:
                parsed = _ScriptsFile.model_validate(data)
            except ValidationError as exc:
                raise ConfigError(f"script file {path} is not valid: {exc}") from None
            return [Script(s.match, [[action_block(b) if "tool" in b else b for b in turn] for turn in s.turns],
                           s.final, s.screen, s.name) for s in parsed.scripts]
    from harness.tasks.loader import load_tasks

    return [script_from_task(t) for t in load_tasks(path) if t.solution]


def tool_use_id(match: str, turn: int, index: int) -> str:
    digest = hashlib.sha256(f"{match}|{turn}|{index}".encode()).hexdigest()[:16]
    return f"toolu_mock{turn:03d}{index:02d}{digest}"


def adapt(block: Block, declared: ToolDeclarations, screen: tuple[int, int] | None) -> Block:
    """A scripted tool call as the declared tools expect it (editor name and insert field, display size)."""
    if block.get("type") != "tool_use":
        return dict(block)
    name = str(block["name"])
    data = dict(block.get("input", {}))
    if name in EDITOR_TOOL_NAMES and declared.editor_name:
        name = declared.editor_name
        if data.get("command") == "insert":
            old_style = declared.editor_type in ("text_editor_20241022", "text_editor_20250124")
            text = data.pop("insert_text", None) if old_style else data.pop("new_str", None)
            if text is not None:
                data["new_str" if old_style else "insert_text"] = text
    if name == "computer" and screen and declared.display and screen != declared.display:
        data = _rescale(data, screen, declared.display)
    return {**block, "name": name, "input": data}


def _rescale(data: dict[str, Any], screen: tuple[int, int], display: tuple[int, int]) -> dict[str, Any]:
    fx, fy = display[0] / screen[0], display[1] / screen[1]
    out = dict(data)
    for key in ("coordinate", "start_coordinate"):
        if isinstance(out.get(key), list | tuple):
            x, y = out[key]
            out[key] = [min(int(x * fx), display[0] - 1), min(int(y * fy), display[1] - 1)]
    if isinstance(out.get("region"), list | tuple):
        x1, y1, x2, y2 = out["region"]
        out["region"] = [int(x1 * fx), int(y1 * fy), min(round(x2 * fx), display[0]), min(round(y2 * fy), display[1])]
    return out


def first_user_text(messages: Any) -> str:
    if not isinstance(messages, list) or not messages:
        return ""
    content = messages[0].get("content") if isinstance(messages[0], dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def choose_script(scripts: Sequence[Script], messages: Any) -> Script | None:
    """The script whose ``match`` occurs in the first user message (the longest match wins)."""
    text = first_user_text(messages)
    found = [s for s in scripts if s.match and s.match in text]
    return max(found, key=lambda s: len(s.match)) if found else None


def scripted_reply(scripts: Sequence[Script], body: dict[str, Any]) -> tuple[list[Block], str, str]:
    """(content, stop_reason, script name) for the request: the next turn of its script, or the final answer."""
    messages = body.get("messages") or []
    script = choose_script(scripts, messages)
    if script is None:
        return [{"type": "text", "text": NO_SCRIPT_TEXT}], "end_turn", ""
    turn = sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "assistant")
    if turn >= len(script.turns):
        return [{"type": "text", "text": script.final}], "end_turn", script.name
    declared = ToolDeclarations.of(body.get("tools"))
    content = []
    forced: str | None = None
    for index, block in enumerate(script.turns[turn]):
        if set(block) == {"stop_reason"}:  # a script's way to end the turn as the API may: refusal, pause_turn...
            forced = str(block["stop_reason"])
            continue
        adapted = adapt(block, declared, script.screen)
        if adapted.get("type") == "tool_use":
            adapted = {"type": "tool_use", "id": tool_use_id(script.match, turn, index), "name": adapted["name"],
                       "input": adapted.get("input", {})}
        content.append(adapted)
    stop = "tool_use" if any(b.get("type") == "tool_use" for b in content) else "end_turn"
    return content, forced or stop, script.name
