"""An agent for tests: loaded by ``--agent tests.slow_agent:SlowAgent``; thinks for a long time."""

from __future__ import annotations

import time
from pathlib import Path

from harness.agents import Agent, EpisodeInfo, Observation, Turn


class SlowAgent(Agent):
    name = "slow"

    def start(self, episode: EpisodeInfo) -> None:
        marker = Path(__import__("os").environ.get("SLOW_AGENT_MARKER", "/dev/null"))
        if str(marker) != "/dev/null":
            marker.write_text("started")

    def act(self, observation: Observation) -> Turn:
        time.sleep(60)
        return Turn(control="DONE")
