"""Agents by name, or any class by ``package.module:Class``."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from harness.agents.base import Agent
from harness.agents.scripted import NoopAgent, OracleAgent
from harness.errors import ConfigError

AgentFactory = Callable[[], Agent]
AGENTS: dict[str, AgentFactory] = {"oracle": OracleAgent, "noop": NoopAgent}


def make_agent(spec: str) -> Agent:
    """A built-in agent name, or ``module:Class`` for your own agent class."""
    if spec in AGENTS:
        return AGENTS[spec]()
    if ":" not in spec:
        raise ConfigError(f"unknown agent {spec!r} (built in: {', '.join(AGENTS)}; or package.module:Class)")
    module_name, _, class_name = spec.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load agent {spec!r}: {exc}") from None
    agent = cls()
    if not (hasattr(agent, "start") and hasattr(agent, "act")):
        raise ConfigError(f"agent {spec!r} has no start/act methods")
    return agent  # type: ignore[no-any-return]
