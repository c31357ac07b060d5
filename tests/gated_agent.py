"""An agent for tests: ``--agent tests.gated_agent:GatedAgent`` holds its episode open until a gate file exists.

Tests use it to keep a run's containers alive for as long as they need
(``GATED_AGENT_GATE`` names the file), then let the run finish at once.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from harness.agents import Agent, EpisodeInfo, Observation, Turn


class GatedAgent(Agent):
    name = "gated"

    def start(self, episode: EpisodeInfo) -> None:
        self.gate = Path(os.environ.get("GATED_AGENT_GATE", "/nonexistent-gate"))

    def act(self, observation: Observation) -> Turn:
        deadline = time.monotonic() + 300
        while not self.gate.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        return Turn(control="DONE")
