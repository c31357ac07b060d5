"""The Gemini agent's options, validated once: from Python keywords or ``--agent-option key=value`` strings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.agents.gemini.translate import BROWSER_ONLY
from harness.errors import ConfigError

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


class GeminiOptions(BaseModel):
    """Options of the ``gemini`` agent (strings from the command line are converted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = DEFAULT_MODEL
    #: the computer-use environment declared to the model (ENVIRONMENT_DESKTOP or ENVIRONMENT_BROWSER)
    environment: Environment = "desktop"
    #: deskbench's bash and text editor are offered as custom functions beside the predefined UI actions
    tools: tuple[ToolKind, ...] = ("computer", "bash", "editor")
    #: predefined functions the model is told not to use (the browser-only ones by default)
    exclude: tuple[str, ...] = BROWSER_ONLY
    safety_confirmation: SafetyConfirmation = "deny"
    max_output_tokens: int = Field(default=4096, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    system_suffix: str = ""
    #: screenshots kept in the history (older function responses lose theirs); None keeps all
    keep_screenshots: int | None = Field(default=3, ge=1)
    max_retries: int = Field(default=6, ge=0)
    retry_base_delay: float = Field(default=1.0, ge=0)
    retry_max_delay: float = Field(default=60.0, ge=0)
    request_timeout: float = Field(default=300.0, gt=0)
    #: the API's address; None uses GOOGLE_GEMINI_BASE_URL or the SDK's default
    base_url: str | None = None
    #: the API version in the path (None: the SDK's default)
    api_version: str | None = None
    #: an extra price table (JSON) extending the built-in one
    pricing: str | None = None
    #: USD per million input and output tokens, for a model no price table knows ("0.5/3" on the command line)
    price: tuple[float, float] | None = None

    @field_validator("tools", "exclude", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    @field_validator("tools")
    @classmethod
    def _computer_first(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "computer" not in value:
            raise ValueError("tools must include computer (the computer-use tool is what makes this agent)")
        return value

    @field_validator("price", mode="before")
    @classmethod
    def _split_price(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [v.strip() for v in value.replace(",", "/").split("/")]
            if len(parts) != 2:
                raise ValueError("give the price as INPUT/OUTPUT in USD per million tokens, e.g. 0.5/3")
            return tuple(parts)
        return value

    @field_validator("keep_screenshots", mode="before")
    @classmethod
    def _none_words(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.strip().lower() in ("", "none", "off") else value

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> GeminiOptions:
        """Validate options; a ConfigError lists what was wrong and the known option names."""
        try:
            return cls.model_validate(dict(values))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}"
                                 for e in exc.errors(include_url=False))
            raise ConfigError(f"gemini agent options: {problems} (known: {', '.join(cls.model_fields)})") from None
