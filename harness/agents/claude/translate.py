"""Tool calls in, tool results out: the model's ``tool_use`` blocks as deskbench actions, and back.

Everything the model can get wrong (an unknown tool, an action its tool
version lacks, an input that fails validation, a coordinate off the scaled
screen) is rejected here with a message the model reads in an ``is_error``
tool result: a model mistake costs a step, never the episode.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from harness.actions.vocabulary import ComputerAction, ToolAction, parse_action
from harness.agents.claude.scaling import Scaling, fit_within_limits, resize_screenshot
from harness.agents.claude.versions import Toolset
from harness.errors import UnknownActionError
from harness.sandbox.guest import Screenshot
from harness.tools.result import ToolResult

CLICKS = frozenset({"left_click", "right_click", "middle_click", "double_click", "triple_click"})
_CURSOR = re.compile(r"^X=(-?\d+),Y=(-?\d+)$")


class ToolInputError(Exception):
    """A tool call that cannot be executed; ``str(exc)`` is what the model is told."""


@dataclass(frozen=True)
class PlannedCall:
    """One tool_use of a model turn: either an action to run, or the error it gets without running."""

    tool_use_id: str
    action: ToolAction | None = None
    error: str | None = None


def to_action(name: str, tool_input: Any, toolset: Toolset, enabled: tuple[str, ...], scaling: Scaling) -> ToolAction:
    """The deskbench action for one tool_use, in screen coordinates; ToolInputError if it cannot run."""
    if name not in enabled:
        raise ToolInputError(f"unknown tool {_short(name)}: the tools are {', '.join(enabled)}")
    if not isinstance(tool_input, dict):
        raise ToolInputError(f"the input of {name} must be an object, got {type(tool_input).__name__}")
    if name == "computer":
        return _computer(tool_input, toolset, scaling)
    return _validated(name, tool_input)


def _short(value: Any, limit: int = 100) -> str:
    """A value the model sent, quoted back in a refusal at most ``limit`` characters long."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _validated(name: str, tool_input: dict[str, Any]) -> ToolAction:
    """The input checked by the action vocabulary (the tool's name is its ``tool`` field)."""
    try:
        action = parse_action({**tool_input, "tool": name}, where=f"invalid input for {name}")
    except UnknownActionError as exc:
        raise ToolInputError(str(exc)) from None
    if isinstance(action, str):  # unreachable for an object input; keeps the type exact
        raise ToolInputError(f"invalid input for {name}")
    return action


def _computer(tool_input: dict[str, Any], toolset: Toolset, scaling: Scaling) -> ComputerAction:
    version = toolset.computer_type
    name = tool_input.get("action")
    if name is None:
        raise ToolInputError("the input of computer needs an action")
    if not isinstance(name, str) or name not in toolset.computer_actions:
        raise ToolInputError(f"action {_short(name)} is not available in {version}; its actions are "
                             f"{', '.join(sorted(toolset.computer_actions))}")
    unknown = sorted(set(tool_input) - {"action"} - toolset.computer_params)
    if unknown:
        shown = ", ".join(u if len(u) <= 40 else f"{u[:40]}..." for u in unknown[:5])
        shown += f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ToolInputError(f"{version} has no parameter {shown} (parameters: "
                             f"{', '.join(sorted(toolset.computer_params))})")
    if name in CLICKS and not toolset.clicks_take_coordinates:
        for param in ("coordinate", "text"):
            if tool_input.get(param) is not None:
                raise ToolInputError(f"{param} is not accepted for {name} in {version}: it clicks where the "
                                     "pointer is (move it first with mouse_move)")
    action = _validated("computer", tool_input)
    assert isinstance(action, ComputerAction)
    return _to_screen(action, scaling)


def _to_screen(action: ComputerAction, scaling: Scaling) -> ComputerAction:
    """Check coordinates against the scaled screen the model sees, then map them to the real one."""
    width, height = scaling.scaled
    update: dict[str, Any] = {}
    for field in ("coordinate", "start_coordinate"):
        point = getattr(action, field)
        if point is None:
            continue
        if not scaling.contains(*point):
            raise ToolInputError(f"{field} ({point[0]}, {point[1]}) is outside the screen ({width}x{height}); "
                                 f"x must be in [0, {width - 1}] and y in [0, {height - 1}]")
        update[field] = scaling.to_screen(*point)
    if action.region is not None:
        x1, y1, x2, y2 = action.region
        if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
            raise ToolInputError(f"region {list(action.region)} must satisfy 0 <= x1 < x2 <= {width} and "
                                 f"0 <= y1 < y2 <= {height}")
        update["region"] = scaling.region_to_screen(x1, y1, x2, y2)
    return action.model_copy(update=update) if update else action


# -- results

def image_block(shot: Screenshot) -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": shot.media_type,
                                        "data": base64.b64encode(shot.data).decode("ascii")}}


def model_screenshot(shot: Screenshot, scaling: Scaling) -> Screenshot:
    """A screen-sized screenshot as the model sees it (the declared, scaled size)."""
    return resize_screenshot(shot, scaling.scaled)


def _model_view(result: ToolResult, action: ToolAction | None, scaling: Scaling) -> tuple[str, Screenshot | None]:
    text = result.error if result.error is not None else (result.output or "")
    shot = result.screenshot
    if isinstance(action, ComputerAction):
        if action.action == "cursor_position" and (m := _CURSOR.match(text.strip())):
            x, y = scaling.to_model(int(m.group(1)), int(m.group(2)))
            text = f"X={x},Y={y}"
        if shot is not None:
            if action.action == "zoom":  # the region at full resolution, only kept within the API's limits
                shot = resize_screenshot(shot, fit_within_limits((shot.width, shot.height)))
            else:
                shot = model_screenshot(shot, scaling)
    return text, shot


def tool_result_block(call: PlannedCall, result: ToolResult | None, scaling: Scaling) -> dict[str, Any]:
    """The ``tool_result`` for one tool_use; an error keeps its screenshot when one was taken."""
    if call.error is not None or result is None:
        message = call.error if call.error is not None else "the tool call was not executed"
        return {"type": "tool_result", "tool_use_id": call.tool_use_id, "is_error": True,
                "content": [{"type": "text", "text": message}]}
    text, shot = _model_view(result, call.action, scaling)
    content: list[dict[str, Any]] = []
    if text.strip():  # a whitespace-only text block is a 400: "text content blocks must contain non-whitespace text"
        content.append({"type": "text", "text": text})
    if shot is not None:
        content.append(image_block(shot))
    if not content:
        content.append({"type": "text", "text": "(no output)"})
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": call.tool_use_id, "content": content}
    if result.is_error:
        block["is_error"] = True
    return block
