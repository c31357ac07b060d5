"""The openai agent's options, validated once: from Python keywords or ``--agent-option key=value`` strings."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BeforeValidator, Field, field_validator

from harness.agents.options import AgentOptions, none_words, split_commas

DEFAULT_MODEL = "computer-use-preview"
ToolKind = Literal["computer", "bash", "editor"]


class OpenAIOptions(AgentOptions):
    """Options of the ``openai`` agent (strings from the command line are converted); ``base_url`` includes /v1
    (None uses OPENAI_BASE_URL or the SDK's default)."""

    agent: ClassVar[str] = "openai"
    price_example: ClassVar[str] = "3/12"

    model: str = DEFAULT_MODEL
    """The computer-use model to call."""
    environment: Literal["linux", "ubuntu", "windows", "mac", "browser"] = "linux"
    """What the computer tool says the machine is (the desktops are Debian with openbox)."""
    tools: Annotated[tuple[ToolKind, ...], BeforeValidator(split_commas)] = ("computer", "bash", "editor")
    """Computer is OpenAI's tool; bash and editor are deskbench's own, declared as function tools."""
    max_output_tokens: Annotated[int | None, BeforeValidator(none_words)] = Field(default=None, ge=1)
    """The most tokens one response may have (None: the API's default)."""
    reasoning_summary: Annotated[Literal["auto", "concise", "detailed"] | None, BeforeValidator(none_words)] = None
    """Reasoning summaries the model writes with each call (None: not asked for)."""
    safety_checks: Literal["policy", "refuse"] = "policy"
    """Pending safety checks: "policy" runs the flagged action unless the confirmation policy denies it (and
    acknowledges the checks only then); "refuse" never runs it and tells the model to ask the user."""
    initial_screenshot: bool = True
    """Send the desktop as it is at the start with the instruction (saves the model a screenshot step)."""
    api_key: str | None = None
    """The key; None reads OPENAI_API_KEY."""

    @field_validator("tools")
    @classmethod
    def _computer_tool(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """The computer-use model answers nothing without its computer tool (the API refuses the request)."""
        if "computer" not in value:
            raise ValueError("tools must include computer (and may add bash, editor)")
        return value
