"""``random``: random valid computer actions, reproducible from a seed.

A floor for success rates (a task a random agent passes is too easy or
checked badly) and a cheap load generator for the harness: it never ends an
episode early, so it uses the whole budget.
"""

from __future__ import annotations

import random
import string

from harness.actions.vocabulary import ComputerAction, ComputerActionName
from harness.agents.base import Agent, EpisodeInfo, Observation, Turn
from harness.errors import ConfigError

KEYS = ("Return", "Escape", "Tab", "BackSpace", "space", "Up", "Down", "Left", "Right", "ctrl+a", "ctrl+z")
POINTER: tuple[ComputerActionName, ...] = ("mouse_move", "left_click", "double_click", "right_click")
KINDS: tuple[ComputerActionName, ...] = (*POINTER, "scroll", "key", "type")


def _int_option(name: str, value: int | str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"random agent option {name} must be an integer, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"random agent option {name} must be at least {minimum}, got {number}")
    return number


class RandomAgent(Agent):
    """``actions`` random computer actions per turn; the same seeds (option and run) and task give the same actions."""

    name = "random"

    def __init__(self, seed: int | str = 0, actions: int | str = 1) -> None:
        self.seed = _int_option("seed", seed, 0)
        self.actions = _int_option("actions", actions, 1)
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
