"""The Claude agent's options, validated once: from Python keywords or ``--agent-option key=value`` strings.

Every knob that changes what is sent to the API or what a run costs lives
here, so a run's agent configuration is one flat, typed record.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from harness.agents.claude.versions import ToolsetName
from harness.agents.options import AgentOptions, none_words, split_commas

DEFAULT_MODEL = "claude-sonnet-4-6"  # current, and speaks computer_20251124 with zoom
ToolKind = Literal["computer", "bash", "editor"]
BATCH = 5  # screenshots dropped at once: benchmarks/pruning.py, 50 steps: $0.52 an episode, against $0.93 one at a time


class ClaudeOptions(AgentOptions):
    """Options of the ``claude`` agent (strings from the command line are converted); the price, retry and endpoint
    knobs (``price``, ``pricing``, ``base_url``, ``max_retries``...) are every model agent's, from AgentOptions."""

    agent: ClassVar[str] = "claude"

    model: str = DEFAULT_MODEL
    """The Claude model to call."""
    tool_version: ToolsetName | None = None
    """Force a toolset instead of the one the model was trained with."""
    beta: str | None = None
    """Override the beta header the toolset implies (e.g. for a newer beta)."""
    extra_betas: tuple[str, ...] = ()
    """Further beta headers, comma-separated on the command line."""
    tools: tuple[ToolKind, ...] = ("computer", "bash", "editor")
    """The tools offered to the model, comma-separated on the command line."""
    max_tokens: int = Field(default=4096, ge=1)
    """The most tokens one reply may have (thinking included)."""
    temperature: float | None = Field(default=None, ge=0, le=1)
    """Sampling temperature (None: the API's default)."""
    thinking_budget: int | None = Field(default=None, ge=0)
    """Extended thinking budget in tokens (None or 0: off); must be below max_tokens."""
    keep_screenshots: int | None = Field(default=3, ge=1)
    """Screenshots kept in the history (older ones become a short placeholder); None keeps all."""
    screenshot_drop_chunk: int = Field(default=BATCH, ge=1)
    """Drop old screenshots only in batches of this many, so the cached prefix survives that many turns (1 drops one
    per turn and rewrites the prefix every turn)."""
    prompt_caching: bool = True
    """Mark the conversation's prefix for the API's prompt cache."""
    settle_window: float = Field(default=0.1, ge=0)
    """After a computer action, wait until the screen has not changed (and the desktop's CPU was quiet) for this many
    seconds before the screenshot the model sees; 0 turns the wait off (benchmarks/settle.py)."""
    settle_cap: float = Field(default=2.0, gt=0)
    """The longest that wait may last, in seconds (an animation never settles)."""
    settle_new_window: float = Field(default=1.2, ge=0)
    """After an action that opened a new top-level window, how much longer to watch it once it looks settled (apps
    lay a new window out again after an idle pause); dialogs and menus are not held."""
    settle_deferred: float = Field(default=0.4, ge=0)
    """In an app that redraws on its own timer (LibreOffice updates toolbar and status bar 0.3 s after an action),
    the least time after the action's first redraw before the screenshot; 0 turns this off."""
    initial_screenshot: bool = True
    """Send the desktop as it is at the start with the instruction (saves the model a screenshot step)."""
    stream_from_tokens: int = Field(default=16_000, ge=1)
    """Stream calls whose max_tokens reach this (long outputs, big thinking budgets outlive a plain request)."""
    max_continuations: int = Field(default=2, ge=0)
    """Extra calls within one step for a reply cut off by max_tokens, a pause_turn or a turn of thinking only."""
    max_tokens_ceiling: int = Field(default=64_000, ge=1)
    """Largest max_tokens a cut-off reply is retried with (each retry doubles it)."""

    @field_validator("extra_betas", "tools", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        return split_commas(value)

    @field_validator("thinking_budget", "keep_screenshots", mode="before")
    @classmethod
    def _none_words(cls, value: Any) -> Any:
        return none_words(value)

    @model_validator(mode="after")
    def _consistent(self) -> ClaudeOptions:
        if self.thinking_budget:
            if self.thinking_budget < 1024:
                raise ValueError("thinking_budget must be at least 1024 tokens (or 0 for no thinking)")
            if self.thinking_budget >= self.max_tokens:
                raise ValueError(f"thinking_budget ({self.thinking_budget}) must be below max_tokens "
                                 f"({self.max_tokens})")
            if self.temperature is not None and self.temperature != 1:
                raise ValueError("temperature cannot be set with extended thinking")
        if self.settle_window > self.settle_cap:
            raise ValueError(f"settle_window ({self.settle_window}) must not exceed settle_cap ({self.settle_cap})")
        if not self.tools:
            raise ValueError("tools must name at least one of computer, bash, editor")
        return self
