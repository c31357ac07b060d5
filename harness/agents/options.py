"""What every model agent's options share: the price, retry and endpoint knobs, their parsing, and one error line.

Options come from Python keywords or ``--agent-option key=value`` strings,
so lists, prices and "off" arrive as text; the converters here read them the
same way for every agent, and :meth:`AgentOptions.parse` turns pydantic's
errors into one ``ConfigError`` that names the agent and its known options.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.agents.retry import RetryPolicy
from harness.errors import ConfigError


def split_commas(value: Any) -> Any:
    """``"computer,bash"`` as a tuple of names (other values pass through for pydantic to check)."""
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return value


def none_words(value: Any) -> Any:
    """``""``, ``none`` and ``off`` on the command line mean no value."""
    return None if isinstance(value, str) and value.strip().lower() in ("", "none", "off") else value


class AgentOptions(BaseModel):
    """Base of a model agent's options; a subclass adds its own fields and names itself in ``agent``."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)  # the CLI lists them

    #: the agent's name in error lines
    agent: ClassVar[str] = "agent"
    #: a price in this agent's usual range, for the error line of a malformed one
    price_example: ClassVar[str] = "3/15"

    system_suffix: str = ""
    """Text appended to the agent's system prompt."""
    max_retries: int = Field(default=6, ge=0)
    """Retries of a model call that failed for a transient reason (rate limit, overload, network)."""
    retry_base_delay: float = Field(default=1.0, ge=0)
    """Seconds before the first retry; each further retry waits twice as long."""
    retry_max_delay: float = Field(default=60.0, ge=0)
    """The longest wait between two retries, in seconds."""
    request_timeout: float = Field(default=300.0, gt=0)
    """Seconds one model call may take before it counts as failed."""
    base_url: str | None = None
    """The API's address; None uses the provider's environment variable or the SDK's default."""
    pricing: str | None = None
    """An extra price table (JSON) extending the built-in one."""
    price: tuple[float, float] | None = None
    """USD per million input and output tokens, for a model no price table knows ("3/15" on the command line)."""

    @field_validator("price", mode="before")
    @classmethod
    def _split_price(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [v.strip() for v in value.replace(",", "/").split("/")]
            if len(parts) != 2:
                raise ValueError(f"give the price as INPUT/OUTPUT in USD per million tokens, e.g. {cls.price_example}")
            return tuple(parts)
        return value

    @field_validator("price")
    @classmethod
    def _positive_price(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and min(value) < 0:
            raise ValueError("prices cannot be negative")
        return value

    def retry_policy(self) -> RetryPolicy:
        """The retry loop's policy from these options."""
        return RetryPolicy(self.max_retries, self.retry_base_delay, self.retry_max_delay)

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> Self:
        """Validate options; a ConfigError lists what was wrong and the known option names."""
        try:
            return cls.model_validate(dict(values))
        except ValidationError as exc:
            raise option_error(cls.agent, cls, exc) from None


def option_error(agent: str, model: type[BaseModel], exc: ValidationError) -> ConfigError:
    """One line: the agent, each option at fault and what is wrong with it, and the options it knows.

    pydantic's messages do not repeat the input, so a bad secret's value is not in the line.
    """
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"]) or "options"
        what = {"extra_forbidden": "unknown option", "missing": f"required (--agent-option {where}=...)"}.get(
            error["type"], error["msg"])
        problems.append(f"{where}: {what}")
    known = sorted(model.model_fields, key=lambda name: name != "model")  # the model first, then as declared
    return ConfigError(f"agent {agent!r} option {'; '.join(problems)} (known options: {', '.join(known) or 'none'})")
