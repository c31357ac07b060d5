"""The episode result record: one JSON line per finished episode, versioned and validated on read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.store.versions import check_version

#: 1: the first format.  2: ``attempt``/``will_retry`` (retries of infrastructure errors, every attempt kept),
#: ``sweep``/``derived_from``/``checkpoints`` (prefix budget sweeps).  3: ``safety`` (the violation check of
#: safety tasks, on the episode and on each checkpoint) and ``policy`` (the confirmation policy's verdicts).
#: 4: ``reason`` (why a scored failure failed when the checkers did not decide it: the agent's timeout, a desktop it
#: broke, an output it made unscorable).  Earlier lines still load.
#: 5: status ``harness_error`` (an exception in deskbench's own code; its traceback is in the episode folder).
#: 6: a scored episode keeps the desktop state it was scored on (``harness.store.snapshot``), for ``rescore``.
#: Status ``invalid`` (a task that failed static validation, recorded by --skip-invalid; nothing ran) came within
#: version 6: older records never hold it, so no bump (rescore reads the version as "has snapshots").
RECORD_VERSION = 6

Status = Literal["success", "failure", "setup_error", "checker_error", "infra_error", "agent_error", "timeout",
                 "needs_network", "needs_account", "harness_error", "invalid"]
SCORED: tuple[Status, ...] = ("success", "failure")
Sweep = Literal["independent", "prefix"]
#: What a safety task watches for (``harness.tasks.schema.Safety``); defined here so records need no task import.
SafetyKind = Literal["injection", "consequential"]


class Timings(BaseModel):
    """Seconds spent in each phase; agent time is split into the agent's own and the environment's."""

    env_start: float = 0.0
    setup: float = 0.0
    agent: float = 0.0
    agent_think: float = 0.0
    agent_env: float = 0.0
    evaluation: float = 0.0
    total: float = 0.0


class TokenUsage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0  # model calls (a turn may take more than one: continuations after max_tokens, pause_turn)
    retries: int = 0  # model calls retried after a failed attempt (429, 529, 5xx, timeouts)
    retried_seconds: float = 0.0  # time lost to those retries: the failed attempts and the waits after them


class SafetyOutcome(BaseModel):
    """Whether a safety task's violation check found the unsafe action done (see ``harness.tasks.schema.Safety``).

    ``violated`` is None when the check did not decide: ``error`` says why
    when it ran and failed; with no error the episode ended before scoring
    (a setup or infrastructure error, a timeout), so the check never ran.
    A check that errors is never read as "not violated": an agent that broke
    the checker must not look safe.
    """

    kind: SafetyKind
    violated: bool | None = None
    score: float | None = None  # the violation evaluator's score; violated means 1
    error: str | None = None
    outcomes: list[dict[str, Any]] = Field(default_factory=list)  # per metric, as in ``EpisodeResult.checker``


class CheckpointScore(BaseModel):
    """The desktop scored mid-episode, after ``steps`` turns (prefix sweeps): what a run at that budget would get."""

    steps: int
    status: Status
    score: float | None = None
    error: str | None = None
    usage: TokenUsage = Field(default_factory=TokenUsage)  # cumulative, up to and including turn ``steps``
    agent_seconds: float = 0.0  # agent-loop time up to the checkpoint
    evaluation_seconds: float = 0.0
    safety: SafetyOutcome | None = None  # safety tasks: the violation check at this checkpoint


class EpisodeResult(BaseModel):
    """Everything one episode produced that tables need; trajectories live in their own files."""

    model_config = ConfigDict(extra="allow")

    record_version: int = RECORD_VERSION
    run_id: str
    episode_id: str
    task_id: str
    domain: str
    agent: str
    model: str | None = None
    budget: int
    repeat: int = 0
    attempt: int = 0  # 0 for the first try; a retried infrastructure error keeps every attempt
    will_retry: bool = False  # this attempt ended in an infrastructure error and another attempt follows
    image: str = ""
    status: Status
    score: float | None = None
    steps_used: int = 0
    last_control: str | None = None
    error: str | None = None
    reason: str | None = None  # a scored failure the agent caused: timeout, guest_lost, desktop_oom, ... (README)
    checker: dict[str, Any] = Field(default_factory=dict)
    usage: TokenUsage = Field(default_factory=TokenUsage)
    timings: Timings = Field(default_factory=Timings)
    started_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    sweep: Sweep = "independent"
    derived_from: str | None = None  # prefix sweeps: the episode whose checkpoint (or final state) this is
    checkpoints: list[CheckpointScore] = Field(default_factory=list)
    safety: SafetyOutcome | None = None  # every episode of a safety task (maybe not checked); None for others
    policy: dict[str, int] = Field(default_factory=dict)  # confirmation policy: actions "denied" / "confirmed"
    checkers: str = "osworld"  # the checker semantics that scored it (harness.checkers.semantics); older records: osworld

    @property
    def scored(self) -> bool:
        return self.status in SCORED

    @model_validator(mode="before")
    @classmethod
    def _known_version(cls, raw: Any) -> Any:
        """A newer deskbench's record is refused by version, before its unknown values fail validation."""
        check_version(raw, "record_version", RECORD_VERSION, "episode record")
        return raw
