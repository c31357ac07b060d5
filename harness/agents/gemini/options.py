"""The Gemini agent's options, validated once: from Python keywords or ``--agent-option key=value`` strings."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BeforeValidator, Field, field_validator

from harness.agents.gemini.translate import BROWSER_ONLY
from harness.agents.options import AgentOptions, none_words, split_commas

DEFAULT_MODEL = "gemini-2.5-computer-use-preview-10-2025"
ToolKind = Literal["computer", "bash", "editor"]
Environment = Literal["desktop", "browser"]
#: what happens to a call the safety service marks ``require_confirmation``: ``deny`` refuses it (nobody to
#: ask, the default, as deskbench's confirmation policy does); ``policy`` hands it to the run's confirmation
#: policy, which sees ``[safety: require_confirmation]`` and the explanation in the turn's text (a rule
#: ``{"pattern": "\\[safety: require_confirmation\\]", "in_model_text": true, "decision": "ask"}`` with
#: ``--confirm ask`` asks you); ``allow`` runs it (the policy's own rules still apply).  A call that ran is
#: acknowledged to the API as it requires.
SafetyConfirmation = Literal["deny", "policy", "allow"]


class GeminiOptions(AgentOptions):
    """Options of the ``gemini`` agent (strings from the command line are converted); ``base_url`` None uses
    GOOGLE_GEMINI_BASE_URL or the SDK's default."""

    agent: ClassVar[str] = "gemini"
    price_example: ClassVar[str] = "0.5/3"

    model: str = DEFAULT_MODEL
    """The Gemini computer-use model to call."""
    environment: Environment = "desktop"
    """The computer-use environment declared to the model (ENVIRONMENT_DESKTOP or ENVIRONMENT_BROWSER)."""
    tools: Annotated[tuple[ToolKind, ...], BeforeValidator(split_commas)] = ("computer", "bash", "editor")
    """Deskbench's bash and text editor are offered as custom functions beside the predefined UI actions."""
    exclude: Annotated[tuple[str, ...], BeforeValidator(split_commas)] = BROWSER_ONLY
    """Predefined functions the model is told not to use (the browser-only ones by default)."""
    safety_confirmation: SafetyConfirmation = "deny"
    """A call the safety service says needs confirmation: deny it, hand it to the run's confirmation policy, or allow it."""
    max_output_tokens: int = Field(default=4096, ge=1)
    """The most tokens one response may have."""
    temperature: float | None = Field(default=None, ge=0, le=2)
    """Sampling temperature (None: the API's default)."""
    keep_screenshots: Annotated[int | None, BeforeValidator(none_words)] = Field(default=3, ge=1)
    """Screenshots kept in the history (older function responses lose theirs); None keeps all."""
    api_version: str | None = None
    """The API version in the path (None: the SDK's default)."""

    @field_validator("tools")
    @classmethod
    def _computer_first(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "computer" not in value:
            raise ValueError("tools must include computer (the computer-use tool is what makes this agent)")
        return value
