"""Agents: the interface, scripted baselines, and the registry."""

from harness.agents.base import Agent, EpisodeInfo, Observation, Turn, Usage
from harness.agents.registry import AGENTS, make_agent
from harness.agents.scripted import NoopAgent, OracleAgent

__all__ = ["AGENTS", "Agent", "EpisodeInfo", "NoopAgent", "Observation", "OracleAgent", "Turn", "Usage", "make_agent"]
