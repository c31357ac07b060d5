"""Which tool versions and beta header a Claude model speaks, and what each computer version can do.

The versions are data, not branches scattered through the agent: one
``Toolset`` says which tool types to declare, under which names, with which
beta header, and which computer actions and parameters exist.  Sending a
model a tool version it was not trained on gives a 400 or clicks in the
wrong place, so the model picks the toolset unless the user forces one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from harness.errors import ConfigError

ToolsetName = Literal["20241022", "20250124", "20250728", "20251124"]
EditorVersion = Literal["20241022", "20250124", "20250728"]

_ACTIONS_20241022 = frozenset({
    "key", "type", "mouse_move", "left_click", "right_click", "middle_click", "double_click", "left_click_drag",
    "screenshot", "cursor_position",
})
_ACTIONS_20250124 = _ACTIONS_20241022 | {
    "triple_click", "left_mouse_down", "left_mouse_up", "scroll", "hold_key", "wait",
}
_ACTIONS_20251124 = _ACTIONS_20250124 | {"zoom"}

# Input parameters each computer version's schema knows (besides ``action``).
_PARAMS_20241022 = frozenset({"text", "coordinate"})
_PARAMS_20250124 = _PARAMS_20241022 | {"start_coordinate", "scroll_direction", "scroll_amount", "duration"}
_PARAMS_20251124 = _PARAMS_20250124 | {"region"}


@dataclass(frozen=True)
class Toolset:
    """One consistent set of tool versions as the API documents them."""

    name: ToolsetName
    computer_type: str
    editor_type: str
    editor_name: str
    bash_type: str
    beta: str
    editor_version: EditorVersion
    computer_actions: frozenset[str]
    computer_params: frozenset[str]

    @property
    def computer_version(self) -> str:
        return self.computer_type.rsplit("_", 1)[1]

    @property
    def clicks_take_coordinates(self) -> bool:
        """20241022 clicks where the pointer is; later versions accept a coordinate and modifier keys."""
        return self.computer_version != "20241022"

    @property
    def tool_names(self) -> tuple[str, str, str]:
        return ("computer", "bash", self.editor_name)


TOOLSETS: dict[ToolsetName, Toolset] = {
    "20241022": Toolset("20241022", "computer_20241022", "text_editor_20241022", "str_replace_editor",
                        "bash_20241022", "computer-use-2024-10-22", "20241022", _ACTIONS_20241022, _PARAMS_20241022),
    "20250124": Toolset("20250124", "computer_20250124", "text_editor_20250124", "str_replace_editor",
                        "bash_20250124", "computer-use-2025-01-24", "20250124", _ACTIONS_20250124, _PARAMS_20250124),
    "20250728": Toolset("20250728", "computer_20250124", "text_editor_20250728", "str_replace_based_edit_tool",
                        "bash_20250124", "computer-use-2025-01-24", "20250728", _ACTIONS_20250124, _PARAMS_20250124),
    "20251124": Toolset("20251124", "computer_20251124", "text_editor_20250728", "str_replace_based_edit_tool",
                        "bash_20250124", "computer-use-2025-11-24", "20250728", _ACTIONS_20251124, _PARAMS_20251124),
}

_NEW_STYLE = re.compile(r"^claude-(opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?=-|$)")
_OLD_STYLE = re.compile(r"^claude-(\d+)(?:-(\d{1,2}))?-(opus|sonnet|haiku)(?=-|$)")


def model_generation(model: str) -> tuple[str, int, int] | None:
    """``(family, major, minor)`` from a model id or alias, e.g. claude-opus-4-5-20251101 -> (opus, 4, 5)."""
    if m := _NEW_STYLE.match(model):
        return m.group(1), int(m.group(2)), int(m.group(3) or 0)
    if m := _OLD_STYLE.match(model):
        return m.group(3), int(m.group(1)), int(m.group(2) or 0)
    return None


def toolset_for_model(model: str, forced: ToolsetName | None = None) -> Toolset:
    """The toolset the model was trained with (the table in the computer-use docs), or the forced one."""
    if forced is not None:
        return TOOLSETS[forced]
    generation = model_generation(model)
    if generation is not None:
        family, major, minor = generation
        if (major, minor) == (3, 5) and family == "sonnet":
            return TOOLSETS["20241022"]
        if (major, minor) == (3, 7) and family == "sonnet":
            return TOOLSETS["20250124"]
        if major == 4 and family == "opus" and minor >= 5:
            return TOOLSETS["20251124"]
        if major == 4:
            return TOOLSETS["20250728"]
    raise ConfigError(f"no computer-use tool versions known for model {model!r}; choose them with the agent option "
                      f"tool_version={'|'.join(TOOLSETS)}")
