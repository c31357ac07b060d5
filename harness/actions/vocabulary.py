"""The agent action vocabulary: Claude's computer, bash and text-editor tool calls, plus DONE/FAIL/WAIT.

Reference solutions in task files and every agent speak this vocabulary, so a
scripted solution exercises exactly the code path a model's tool call does.
An action is a JSON object whose ``tool`` field picks the tool::

    {"tool": "computer", "action": "left_click", "coordinate": [640, 400]}
    {"tool": "bash", "command": "ls ~/Desktop"}
    {"tool": "str_replace_based_edit_tool", "command": "create", "path": "/tmp/a", "file_text": "hi"}
    "DONE" | "FAIL" | "WAIT"
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from harness.errors import UnknownActionError

ComputerActionName = Literal[
    "key", "type", "mouse_move", "left_click", "right_click", "middle_click", "double_click", "triple_click",
    "left_click_drag", "left_mouse_down", "left_mouse_up", "scroll", "hold_key", "wait", "screenshot",
    "cursor_position", "zoom",
]
EDITOR_TOOL_NAMES = ("str_replace_editor", "str_replace_based_edit_tool")
Coordinate = tuple[int, int]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ComputerAction(_Strict):
    """One call of the ``computer`` tool (all versions' actions; versions are checked by the agent)."""

    tool: Literal["computer"] = "computer"
    action: ComputerActionName
    coordinate: Coordinate | None = None
    start_coordinate: Coordinate | None = None
    text: str | None = None
    scroll_direction: Literal["up", "down", "left", "right"] | None = None
    scroll_amount: int | None = Field(default=None, ge=0)
    duration: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    region: tuple[int, int, int, int] | None = None


class BashAction(_Strict):
    """One call of the ``bash`` tool: a command in the episode's persistent shell, or a restart."""

    tool: Literal["bash"] = "bash"
    command: str | None = None
    restart: bool = False


class EditorAction(_Strict):
    """One call of the text editor tool (either of its API names)."""

    tool: Literal["str_replace_editor", "str_replace_based_edit_tool"] = "str_replace_based_edit_tool"
    command: Literal["view", "create", "str_replace", "insert", "undo_edit"]
    path: str
    file_text: str | None = None
    old_str: str | None = None
    new_str: str | None = None
    insert_line: int | None = None
    insert_text: str | None = None
    view_range: tuple[int, int] | None = None


ToolAction = Annotated[ComputerAction | BashAction | EditorAction, Field(discriminator="tool")]
Control = Literal["DONE", "FAIL", "WAIT"]
Action = ToolAction | Control

_ACTION: TypeAdapter[ToolAction | Control] = TypeAdapter(Action)


def parse_action(value: Any, where: str = "action") -> ToolAction | Control:
    """Validate one action; UnknownActionError names ``where`` and what was wrong."""
    try:
        return _ACTION.validate_python(value)
    except ValidationError as exc:
        raise UnknownActionError(f"{where}: {describe_validation_error(exc, value)}") from None


def parse_tool_call(tool: str, arguments: dict[str, Any]) -> ToolAction:
    """A model's call of a declared deskbench tool (``bash``, the text editor) as an action; UnknownActionError
    names the tool and what was wrong with its arguments (the providers' agents send it back to the model)."""
    action = parse_action({**arguments, "tool": tool}, where=f"invalid arguments for {tool}")
    if isinstance(action, str):  # unreachable for an object; keeps the type exact
        raise UnknownActionError(f"invalid arguments for {tool}")
    return action


def describe_validation_error(exc: ValidationError, value: Any) -> str:
    """One readable line from pydantic's error list, preferring the most specific entry.

    Every value quoted back is cut short: the input may be a model's tool call holding a megabyte of
    text, and the message goes back to the model.
    """
    errors = exc.errors(include_url=False)
    tool = value.get("tool") if isinstance(value, dict) else None
    if isinstance(value, dict) and (not isinstance(tool, str) or tool not in ("computer", "bash", *EDITOR_TOOL_NAMES)):
        return f"unknown tool {_short(tool)} (computer, bash, {', '.join(EDITOR_TOOL_NAMES)}, or DONE/FAIL/WAIT)"
    if isinstance(value, str):
        return f"unknown action {_short(value)} (a tool call object, or DONE/FAIL/WAIT)"
    if not isinstance(value, dict) or not isinstance(tool, str):
        return f"an action must be a JSON object or DONE/FAIL/WAIT, got {type(value).__name__}"
    branch = [e for e in errors if tool in e["loc"]]
    if not branch:
        return f"{tool}: {errors[0]['msg']}"
    best = branch[0]
    loc = ".".join(str(p) for p in best["loc"][best["loc"].index(tool) + 1:]) or "input"
    return f"{tool} {loc}: {best['msg']} (got {_short(best.get('input'))})"


def _short(value: Any, limit: int = 100) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def action_to_dict(action: ToolAction | Control) -> dict[str, Any] | str:
    """The JSON form of an action (unset fields left out), for trajectories."""
    if isinstance(action, str):
        return action
    return action.model_dump(exclude_none=True)
