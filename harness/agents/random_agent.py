"""``random``: random valid computer actions, reproducible from a seed.

A floor for success rates (a task a random agent passes is too easy or
checked badly) and a cheap load generator for the harness: it never ends an
episode early, so it uses the whole budget.
"""

from __future__ import annotations

import random
import string

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.actions.vocabulary import ComputerAction, ComputerActionName
from harness.agents.base import Agent, EpisodeInfo, Observation, Turn
from harness.agents.options import option_error

KEYS = ("Return", "Escape", "Tab", "BackSpace", "space", "Up", "Down", "Left", "Right", "ctrl+a", "ctrl+z")
POINTER: tuple[ComputerActionName, ...] = ("mouse_move", "left_click", "double_click", "right_click")
KINDS: tuple[ComputerActionName, ...] = (*POINTER, "scroll", "key", "type")


class RandomOptions(BaseModel):
    """Options of the ``random`` agent (strings from the command line are converted)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    seed: int = Field(default=0, ge=0)
    """Seed of the actions, mixed with the run's seed and the task: the same seeds give the same actions."""
    actions: int = Field(default=1, ge=1)
    """Random computer actions per turn."""


class RandomAgent(Agent):
    """``actions`` random computer actions per turn; the same seeds (option and run) and task give the same actions."""

    name = "random"
    Options = RandomOptions

    def __init__(self, seed: int = 0, actions: int = 1) -> None:
        try:
            options = RandomOptions(seed=seed, actions=actions)
        except ValidationError as exc:
            raise option_error(self.name, RandomOptions, exc) from None
        self.seed, self.actions = options.seed, options.actions
        self.rng = random.Random(self.seed)
        self.screen = (1280, 800)

    def start(self, episode: EpisodeInfo) -> None:
        self.rng = random.Random(f"{self.seed}:{episode.seed}:{episode.task_id}")
        self.screen = episode.screen

    def act(self, observation: Observation) -> Turn:
        return Turn(actions=[self.random_action() for _ in range(self.actions)])

    def random_action(self) -> ComputerAction:
        rng = self.rng
        kind = rng.choice(KINDS)
        point = (rng.randrange(self.screen[0]), rng.randrange(self.screen[1]))
        if kind == "key":
            return ComputerAction(action="key", text=rng.choice(KEYS))
        if kind == "type":
            return ComputerAction(action="type", text="".join(rng.choices(string.ascii_lowercase, k=rng.randint(1, 8))))
        if kind == "scroll":
            return ComputerAction(action="scroll", coordinate=point, scroll_amount=rng.randint(1, 5),
                                  scroll_direction=rng.choice(("up", "down", "left", "right")))
        return ComputerAction(action=kind, coordinate=point)
