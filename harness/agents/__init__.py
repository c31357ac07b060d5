"""Agents: the interface, scripted baselines, the random baseline, and the registry.

The Claude agent lives in ``harness.agents.claude`` (imported on demand: its SDK is slow to import).
"""

from harness.agents.base import Agent, EpisodeInfo, Observation, Turn, Usage
from harness.agents.random_agent import RandomAgent
from harness.agents.registry import AGENTS, agent_spec, make_agent
from harness.agents.scripted import FailAgent, NoopAgent, OracleAgent

__all__ = ["AGENTS", "Agent", "EpisodeInfo", "FailAgent", "NoopAgent", "Observation", "OracleAgent", "RandomAgent",
           "Turn", "Usage", "agent_spec", "make_agent"]
