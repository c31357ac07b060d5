"""The openai agent's options, validated once: from Python keywords or ``--agent-option key=value`` strings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.errors import ConfigError

DEFAULT_MODEL = "computer-use-preview"
ToolKind = Literal["computer", "bash", "editor"]


class OpenAIOptions(BaseModel):
    """Options of the ``openai`` agent (strings from the command line are converted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = DEFAULT_MODEL
    #: what the computer tool says the machine is (the desktops are Debian with openbox)
    environment: Literal["linux", "ubuntu", "windows", "mac", "browser"] = "linux"
    #: computer is OpenAI's tool; bash and editor are deskbench's own, declared as function tools
    tools: tuple[ToolKind, ...] = ("computer", "bash", "editor")
    max_output_tokens: int | None = Field(default=None, ge=1)
    #: reasoning summaries the model writes with each call (None: not asked for)
    reasoning_summary: Literal["auto", "concise", "detailed"] | None = None
    #: pending safety checks: "policy" runs the flagged action unless the confirmation policy denies it (and
    #: acknowledges the checks only then); "refuse" never runs it and tells the model to ask the user
    safety_checks: Literal["policy", "refuse"] = "policy"
    system_suffix: str = ""
    initial_screenshot: bool = True
    max_retries: int = Field(default=6, ge=0)
    retry_base_delay: float = Field(default=1.0, ge=0)
    retry_max_delay: float = Field(default=60.0, ge=0)
    request_timeout: float = Field(default=300.0, gt=0)
    #: the API's address including /v1; None uses OPENAI_BASE_URL or the SDK's default
    base_url: str | None = None
    #: the key; None reads OPENAI_API_KEY (a spec string shows it as redacted)
    api_key: str | None = None
    pricing: str | None = None
    #: USD per million input and output tokens, for a model no price table knows ("3/12" on the command line)
    price: tuple[float, float] | None = None

    @field_validator("tools", mode="before")
    @classmethod
    def _split_tools(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    @field_validator("price", mode="before")
    @classmethod
    def _split_price_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        parts = [v.strip() for v in value.replace(",", "/").split("/")]
        if len(parts) != 2:
            raise ValueError("give the price as INPUT/OUTPUT in USD per million tokens, e.g. 3/12")
        return tuple(parts)

    @field_validator("price")
    @classmethod
    def _not_negative(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and min(value) < 0:
            raise ValueError("prices cannot be negative")
        return value

    @field_validator("reasoning_summary", "max_output_tokens", mode="before")
    @classmethod
    def _none_words(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.strip().lower() in ("", "none", "off") else value

    @field_validator("tools")
    @classmethod
    def _computer_tool(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """The computer-use model answers nothing without its computer tool (the API refuses the request)."""
        if "computer" not in value:
            raise ValueError("tools must include computer (and may add bash, editor)")
        return value

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> OpenAIOptions:
        """Validate options; a ConfigError lists what was wrong and the known option names."""
        try:
            return cls.model_validate(dict(values))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}"
                                 for e in exc.errors(include_url=False))
            raise ConfigError(f"openai agent options: {problems} (known: {', '.join(cls.model_fields)})") from None
