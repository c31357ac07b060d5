"""The agent interface: observations in, actions out.  An agent never touches Docker.

A step is one agent turn (for a model, one call).  A turn returns tool
actions to run in order, or a control word: DONE (finished), FAIL (the task
is impossible) or WAIT (let the desktop catch up).  The runner caps turns at
the step budget.  A new agent is one class implementing ``start`` and ``act``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from harness.actions.vocabulary import Action, Control, ToolAction
from harness.store.values import Screenshot
from harness.store.values import Usage as Usage  # the store keeps it; agents fill it in
from harness.tools.result import ToolResult


@dataclass(frozen=True)
class EpisodeInfo:
    """What an agent is told when an episode starts."""

    task_id: str
    domain: str
    instruction: str
    budget: int
    screen: tuple[int, int]
    reference_solution: list[Action] | None = None  # only for agents with uses_reference_solution
    seed: int = 0  # the run's seed plus the repeat index: agents that sample draw from it, so reruns repeat


@dataclass(frozen=True)
class Observation:
    """The desktop after the previous turn: a screenshot and the results of that turn's actions."""

    step: int
    screenshot: Screenshot
    tool_results: list[ToolResult] = field(default_factory=list)


@dataclass
class Turn:
    """One agent turn: tool actions to run in order, and/or a control word that ends it."""

    actions: list[ToolAction] = field(default_factory=list)
    control: Control | None = None
    text: str = ""
    usage: Usage = field(default_factory=Usage)
    #: one JSON-ready record per model call of the turn (request id, latency, retries, stop reason, usage)
    calls: list[dict[str, Any]] = field(default_factory=list)


class Agent(ABC):
    """Subclass this (or implement the same three members) to evaluate your own agent."""

    name: ClassVar[str] = "agent"
    uses_reference_solution: ClassVar[bool] = False
    wants_action_screenshots: ClassVar[bool] = False
    #: text editor semantics the agent expects: "20241022", "20250124" (undo_edit, insert via new_str)
    #: or "20250728" (insert via insert_text, no undo_edit)
    editor_version: str = "20250728"

    @abstractmethod
    def start(self, episode: EpisodeInfo) -> None:
        """Reset for a new episode."""

    @abstractmethod
    def act(self, observation: Observation) -> Turn:
        """Decide the next turn from the current observation."""

    def model_name(self) -> str | None:
        """The model behind the agent, for the results table (None for scripted agents)."""
        return None
