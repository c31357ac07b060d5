"""The typed records of a trajectory: one ``StepRecord`` per agent turn, one ``ModelCall`` per model request.

The runner writes them and the viewer, loaders and exports read them through
these models, so a field the runner adds is a field every reader sees (an
untyped dict let the viewer drop some).  Every field has a default: lines
written before a field existed still load.  Both models keep unknown fields
(``extra="allow"``): agents record provider-specific details of their calls,
and a reader must pass them on rather than lose them.

Versions: 1 is the first format (and what lines without ``version`` are).
A line with a newer version is refused with ``NewerRecordError``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.store.records import TokenUsage
from harness.store.versions import check_version

STEP_VERSION = 1


class ModelCall(BaseModel):
    """What one model request did: enough to find it in the provider's logs, to cost it and to time it."""

    model_config = ConfigDict(extra="allow")

    step: int | None = None  # the turn it belongs to
    model: str | None = None
    request_id: str | None = None
    stop_reason: str | None = None
    streamed: bool | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float | None = None  # the successful attempt
    wall_s: float | None = None  # every attempt and the waits between them
    retries: int = 0
    retried_s: float = 0.0
    attempts: list[dict[str, Any]] = Field(default_factory=list)  # the failed attempts: status, error, wait
    images_sent: int | None = None


class ActionResult(BaseModel):
    """What one action gave back; its screenshot is saved once, as the next step's observation."""

    model_config = ConfigDict(extra="allow")

    output: str | None = None
    error: str | None = None
    screenshot: bool = False  # whether the action returned a screenshot


class StepRecord(BaseModel):
    """One agent turn: what the agent saw, what it did, what came back, what it cost and how long it took."""

    model_config = ConfigDict(extra="allow")

    version: int = STEP_VERSION
    step: int = 0
    time: float | None = None  # Unix time the turn was recorded
    screenshot: str | None = None  # file name in the trajectory folder; None when screenshots are off
    screen: tuple[int, int] | None = None  # the observed screen's size in pixels
    text: str = ""
    control: str | None = None  # DONE, FAIL or WAIT
    actions: list[dict[str, Any] | str] = Field(default_factory=list)  # ToolAction dicts (a control word: text)
    results: list[ActionResult] = Field(default_factory=list)
    usage: TokenUsage = Field(default_factory=TokenUsage)
    calls: list[ModelCall] = Field(default_factory=list)
    think_seconds: float = 0.0
    env_seconds: float = 0.0
    policy: list[dict[str, str]] = Field(default_factory=list)  # the confirmation policy's verdicts this turn

    @model_validator(mode="before")
    @classmethod
    def _known_version(cls, raw: Any) -> Any:
        check_version(raw, "version", STEP_VERSION, "step record")
        return raw
