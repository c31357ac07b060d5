"""Which tool versions and beta header a Claude model speaks, and what each computer version can do.

The versions are data, not branches scattered through the agent: one
``Toolset`` says which tool types to declare, under which names, with which
beta header, and which computer actions and parameters exist.  Sending a
model a tool version it was not trained on gives a 400 or clicks in the
wrong place, so the model picks the toolset unless the user forces one.
"""

from __future__ import annotations

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

ModelStatus = Literal["active", "deprecated", "retired"]
ThinkingMode = Literal["budget", "adaptive"]
#: The computer-use toolset the newest models take instead of the single ``computer`` tool; deskbench does not
#: speak it yet, so those models need ``tool_version`` forced (at the user's risk) or are refused.
NEWEST_TOOLSET = "computer_toolset_20260801"


@dataclass(frozen=True)
class ModelSpec:
    """One row of the model table: what the documentation says a model id (or its dated snapshots) takes."""

    prefix: str
    toolset: ToolsetName | None  # None: the model takes no toolset deskbench speaks (see ``note``)
    status: ModelStatus = "active"
    sampling: bool = True  # accepts temperature/top_p/top_k (removed from Opus 4.7 on: 400 if sent)
    thinking: ThinkingMode = "budget"  # "adaptive": thinking.budget_tokens is refused, adaptive thinking only
    note: str = ""  # retirement date and replacement, or why no toolset


# From the Claude documentation as of December 2026 (computer-use tool, model deprecations, models overview).
# A dated snapshot matches its alias (claude-opus-4-5-20251101 is claude-opus-4-5); the longest prefix wins.
MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("claude-3-opus", None, "retired", note="retired; use claude-opus-4-8"),
    ModelSpec("claude-3-haiku", None, "retired", note="retired; use claude-haiku-4-5"),
    ModelSpec("claude-3-5-haiku", None, "retired", note="retired; use claude-haiku-4-5"),
    ModelSpec("claude-3-5-sonnet", "20241022", "retired", note="retired October 2025; use claude-sonnet-4-6"),
    ModelSpec("claude-3-7-sonnet", "20250124", "retired", note="retired 2026-02-19; use claude-sonnet-4-6"),
    ModelSpec("claude-sonnet-4", "20250728", "retired", note="retired 2026-06-15; use claude-sonnet-4-6"),
    ModelSpec("claude-opus-4", "20250728", "retired", note="retired 2026-06-15; use claude-opus-4-8"),
    ModelSpec("claude-opus-4-1", "20250728", "retired", note="retired on the Claude API; use claude-opus-4-8"),
    ModelSpec("claude-sonnet-4-5", "20250728"),
    ModelSpec("claude-haiku-4-5", "20250728"),
    ModelSpec("claude-opus-4-5", "20251124"),
    ModelSpec("claude-opus-4-6", "20251124"),
    ModelSpec("claude-sonnet-4-6", "20251124"),
    ModelSpec("claude-opus-4-7", "20251124", sampling=False, thinking="adaptive"),
    ModelSpec("claude-opus-4-8", "20251124", sampling=False, thinking="adaptive"),
    ModelSpec("claude-opus-5", "20251124", sampling=False, thinking="adaptive"),
    ModelSpec("claude-sonnet-5", "20251124", sampling=False, thinking="adaptive"),
    ModelSpec("claude-fable-5", "20251124", sampling=False, thinking="adaptive"),
    ModelSpec("claude-mythos-5", "20251124", sampling=False, thinking="adaptive"),
    *(ModelSpec(m, None, sampling=False, thinking="adaptive",
                note=f"takes only the {NEWEST_TOOLSET} toolset (computer_20251124 is refused)")
      for m in ("claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5", "claude-fable-5-1", "claude-mythos-5-1")),
)


def model_spec(model: str) -> ModelSpec | None:
    """The table's row for a model id or alias (longest matching prefix), or None for a model it does not know."""
    rows = [m for m in MODELS if model == m.prefix or model.startswith(m.prefix + "-")]
    return max(rows, key=lambda m: len(m.prefix)) if rows else None


def check_model(model: str) -> ModelSpec | None:
    """ConfigError for a retired model (the API would answer 404 after the container started); else its row."""
    spec = model_spec(model)
    if spec is not None and spec.status == "retired":
        raise ConfigError(f"model {model!r} is retired and the API no longer serves it ({spec.note}); choose a "
                          "current model with --model")
    return spec


def toolset_for_model(model: str, forced: ToolsetName | None = None) -> Toolset:
    """The toolset the documentation pairs with the model, or the forced one (for models the table lacks)."""
    spec = check_model(model)
    if forced is not None:
        return TOOLSETS[forced]
    if spec is None:
        raise ConfigError(f"model {model!r} is not in deskbench's model table; name its computer-use tool version "
                          f"with the agent option tool_version={'|'.join(TOOLSETS)} (and a price with pricing=PATH "
                          "if it is not priced)")
    if spec.toolset is None:
        raise ConfigError(f"model {model!r} {spec.note}, which deskbench does not speak yet; force an older "
                          f"version with the agent option tool_version={'|'.join(TOOLSETS)} at your own risk")
    return TOOLSETS[spec.toolset]
