"""The ``vlm`` agent's options, validated once, from Python keywords or ``--agent-option key=value`` strings.

The agent talks to a server someone runs (vLLM, SGLang, a hosted gateway),
so the address and the model's name are required, and its price is given
rather than looked up: an open-weights model has no list price.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from harness.agents.options import AgentOptions
from harness.agents.vlm.prompts import PromptFormat

#: environment variables read for the endpoint and key when the options do not give them
BASE_URL_ENV = "VLM_BASE_URL"
API_KEY_ENV = "VLM_API_KEY"


class VlmOptions(AgentOptions):
    """Options of the ``vlm`` agent (strings from the command line are converted); ``base_url`` is the server's
    OpenAI-compatible base URL (ending in /v1), default $VLM_BASE_URL; ``price`` is USD per million input and
    output tokens ("0.2/0.6"), 0/0 for a model on your own hardware; ``pricing`` a price table (JSON, like
    harness/agents/pricing.json) that knows the model, instead of price."""

    agent: ClassVar[str] = "vlm"
    price_example: ClassVar[str] = "0.2/0.6"

    model: str = Field(min_length=1)
    """The model name the server serves (vLLM's --served-model-name)."""
    api_key: str | None = None
    """The server's key; default $VLM_API_KEY, else "EMPTY" (vLLM without --api-key accepts any)."""
    format: PromptFormat = "pyautogui"
    """How the model writes its actions: pyautogui code or UI-TARS calls."""
    max_tokens: int = Field(default=1024, ge=1)
    """The most tokens one reply may have."""
    temperature: float | None = Field(default=None, ge=0, le=2)
    """Sampling temperature (None: the server's default)."""
    top_p: float | None = Field(default=None, gt=0, le=1)
    """Nucleus sampling mass (None: the server's default)."""
    history: int = Field(default=3, ge=0)
    """Past turns whose screenshots stay in the history (older turns keep their text only)."""
    image_size: tuple[int, int] | None = None
    """The size screenshots are sent at ("1280x800"); default the screen's own size."""
    coordinates: Literal["relative", "absolute"] = "relative"
    """UI-TARS's points: "relative" on a 0-1000 grid (UI-TARS 1.0), or "absolute" pixels of a screenshot sent at sides
    that are multiples of 28, as Qwen2.5-VL-based UI-TARS-1.5 writes them."""
    wait_seconds: float = Field(default=5.0, ge=0, le=100)
    """Seconds UI-TARS's wait() waits."""
    scroll_amount: int = Field(default=5, ge=1, le=100)
    """Wheel clicks of one UI-TARS scroll()."""

    @field_validator("image_size", mode="before")
    @classmethod
    def _split_size(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = value.lower().split("x")
            if len(parts) != 2:
                raise ValueError("give the image size as WIDTHxHEIGHT, e.g. 1280x800")
            return tuple(p.strip() for p in parts)
        return value

    @field_validator("image_size")
    @classmethod
    def _positive_size(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and (min(value) < 16 or max(value) > 8192):
            raise ValueError("image sides must be 16 to 8192 pixels")
        return value
