"""An agent for tests that takes a credential as an option: ``--agent tests.secret_agent:KeyedAgent
--agent-option api_key=...``.  It does nothing (says DONE), but refuses to exist unless it was given the
key the test expects (by its SHA-256 in ``KEYED_AGENT_KEY_SHA256``): a redacted spec must still carry
the real value to the agent."""

from __future__ import annotations

import hashlib
import os

from harness.agents.scripted import NoopAgent
from harness.errors import ConfigError


class KeyedAgent(NoopAgent):
    name = "keyed"

    def __init__(self, api_key: str = "") -> None:
        super().__init__()
        expected = os.environ.get("KEYED_AGENT_KEY_SHA256")
        if expected and hashlib.sha256(api_key.encode()).hexdigest() != expected:
            raise ConfigError("KeyedAgent was not given the api_key the test expects")
        self.api_key = api_key
