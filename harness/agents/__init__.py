"""Agents: the interface, scripted baselines, the random baseline, and the registry.

The Claude agent lives in ``harness.agents.claude`` (imported on demand: its SDK is slow to import).
"""

from harness.agents.base import Agent, EpisodeInfo, Observation, Turn, Usage
from harness.agents.random_agent import RandomAgent
from harness.agents.registry import AGENTS, make_agent
from harness.agents.scripted import FailAgent, NoopAgent, OracleAgent
from harness.agents.spec import AgentSpec, build_spec

__all__ = ["AGENTS", "Agent", "AgentSpec", "EpisodeInfo", "FailAgent", "NoopAgent", "Observation", "OracleAgent",
           "RandomAgent", "Turn", "Usage", "build_spec", "make_agent"]
