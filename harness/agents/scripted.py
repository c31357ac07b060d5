"""Scripted agents: ``oracle`` replays the task's reference solution, ``noop`` says DONE at once,
``fail`` declares every task infeasible at once.

They calibrate the harness: oracle must score 1 and noop 0 on every task of a
shipped suite, which proves each task is solvable and not passed by doing nothing.
"""

from __future__ import annotations

from harness.actions.vocabulary import Action
from harness.agents.base import Agent, EpisodeInfo, Observation, Turn
from harness.errors import ConfigError


class OracleAgent(Agent):
    """One action of the reference solution per turn, then DONE (or the solution's own FAIL)."""

    name = "oracle"
    uses_reference_solution = True

    def __init__(self) -> None:
        self._plan: list[Action] = []

    def start(self, episode: EpisodeInfo) -> None:
        if episode.reference_solution is None:
            raise ConfigError(f"task {episode.task_id} has no reference solution for the oracle agent")
        self._plan = list(episode.reference_solution)

    def act(self, observation: Observation) -> Turn:
        if not self._plan:
            return Turn(control="DONE")
        action = self._plan.pop(0)
        if isinstance(action, str):
            return Turn(control=action)
        return Turn(actions=[action])


class NoopAgent(Agent):
    """Says DONE on its first turn without touching anything."""

    name = "noop"

    def start(self, episode: EpisodeInfo) -> None:
        pass

    def act(self, observation: Observation) -> Turn:
        return Turn(control="DONE")


class FailAgent(Agent):
    """Says FAIL (the task is infeasible) on its first turn: scores exactly the infeasible tasks."""

    name = "fail"

    def start(self, episode: EpisodeInfo) -> None:
        pass

    def act(self, observation: Observation) -> Turn:
        return Turn(control="FAIL", text="FAIL agent: every task is declared infeasible")
