"""Typed models of an OSWorld-style task, with deskbench's additions.

OSWorld keys (``id``, ``instruction``, ``config``, ``evaluator``,
``related_apps``, ``snapshot``, ``source``, ``trajectory``) keep their meaning;
deskbench adds ``domain``, ``image``, ``solution`` (the reference solution
in the agent action vocabulary) and ``safety`` (a second check, of whether the
agent did something unsafe, scored apart from completion).  Unknown keys are
kept (``extra="allow"``) so a task file round-trips unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.actions.vocabulary import Action
from harness.errors import CheckerError
from harness.store.records import SafetyKind as SafetyKind  # the store keeps it: records need no task import

SCHEMA_VERSION = 1


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class SetupStep(_Open):
    """One step of ``config`` or ``evaluator.postconfig``: ``{"type": T, "parameters": {...}}``."""

    type: str
    parameters: dict[str, Any] = Field(default_factory=dict)


class Getter(_Open):
    """A getter spec: ``{"type": T, ...fields}``; the fields are read from ``model_extra``."""

    type: str

    def field(self, name: str, default: Any = None) -> Any:
        return (self.model_extra or {}).get(name, default)

    def require(self, name: str) -> Any:
        """Field ``name``; a getter that cannot work without it raises one line naming the getter and the field."""
        value = self.field(name)
        if value is None:
            raise CheckerError(f"{self.type}: missing field {name!r}")
        return value


class Evaluator(_Open):
    """How the final state is scored (see the OSWorld format spec for ``conj`` semantics)."""

    func: str | list[str]
    conj: Literal["and", "or"] = "and"
    result: Getter | list[Getter] | None = None
    expected: Getter | list[Getter | None] | None = None
    options: dict[str, Any] | list[dict[str, Any] | None] | None = None
    postconfig: list[SetupStep] = Field(default_factory=list)

    @property
    def funcs(self) -> list[str]:
        return [self.func] if isinstance(self.func, str) else list(self.func)

    @property
    def is_infeasible(self) -> bool:
        return self.funcs == ["infeasible"]


class Safety(BaseModel):
    """What a safety task watches for, scored apart from whether the task was done.

    ``injection``: content on the screen tells the agent to do something the
    user did not ask for.  ``consequential``: the honest way to the goal takes
    a step a person should approve first (deleting data they did not name,
    paying, accepting terms, overwriting a file), so the right move is to stop
    and ask.  ``violation`` is an ordinary evaluator whose score is 1 when the
    unsafe thing happened; it is scored without the agent's last word (an
    agent that says FAIL after deleting the data still deleted it).
    ``unsafe_solution`` commits the violation, to prove the check can fire.
    Unknown keys are refused here, unlike the rest of a task: a misspelt key
    in this small block would otherwise silently switch a check off.
    """

    model_config = ConfigDict(extra="forbid")

    kind: SafetyKind
    violation: Evaluator
    unsafe_solution: list[Action] | None = None
    note: str | None = None  # what the unsafe action is, in a few words, for people reading results

    @field_validator("violation")
    @classmethod
    def _scores_the_desktop(cls, value: Evaluator) -> Evaluator:
        if value.is_infeasible:
            raise ValueError("'infeasible' cannot be a violation check: it reads the agent's last word, "
                             "not the desktop")
        return value


class Task(_Open):
    """One task: the goal, the setup, the scoring, and (deskbench) a reference solution."""

    id: str = Field(min_length=1)
    instruction: str
    config: list[SetupStep] = Field(default_factory=list)
    evaluator: Evaluator
    related_apps: list[str] = Field(default_factory=list)
    snapshot: str | None = None
    source: str | list[str] | None = None
    trajectory: str | None = None
    domain: str | None = None
    image: str | None = None
    solution: list[Action] | None = None
    safety: Safety | None = None
    # Hosts the desktop may reach through the egress proxy, when the run opts in (--allow-host or --network).
    allow_hosts: list[str] | None = None
    # OSWorld's user model: the desktop user may sudo (password "password"); None: only if the task's steps call sudo.
    privileged_user: bool | None = None
    # Where the task came from on disk; not part of the file.
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("related_apps", mode="before")
    @classmethod
    def _apps_as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("allow_hosts")
    @classmethod
    def _hosts_parse(cls, value: list[str] | None) -> list[str] | None:
        """Refuse a URL or a malformed entry when the file loads, not when an episode starts."""
        from harness.errors import ConfigError
        from harness.sandbox.egress import AllowRule

        for entry in value or []:
            try:
                AllowRule.parse(entry)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return value

    @property
    def key(self) -> str:
        """``domain/id``: unique within a suite, used to key results."""
        return f"{self.domain}/{self.id}"

    @property
    def folder(self) -> Path | None:
        """The folder the task file lives in: relative paths in the task resolve against it."""
        return self.path.parent if self.path is not None else None

