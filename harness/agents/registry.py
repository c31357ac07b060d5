"""Agents by name, or any class by ``package.module:Class``, made from an :class:`AgentSpec`.

A run's configuration holds the agent as a spec (:mod:`harness.agents.spec`):
its name and its options, typed and validated once before the run starts;
every episode makes its agent here from that spec, with each secret option
put back from the spec's private copy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness.agents.base import Agent
from harness.agents.random_agent import RandomAgent
from harness.agents.scripted import FailAgent, NoopAgent, OracleAgent
from harness.agents.spec import BUILT_IN, REDACTED, AgentSpec, as_spec, build_spec, is_secret_option, load_object
from harness.errors import ConfigError

__all__ = ["AGENTS", "REDACTED", "AgentFactory", "AgentSpec", "build_spec", "is_secret_option", "make_agent",
           "parse_option", "parse_options"]

AgentFactory = Callable[..., Agent]


def claude(**options: Any) -> Agent:
    """The ``claude`` agent, imported on first use: the SDK takes seconds to import and most commands never need it."""
    from harness.agents.claude import ClaudeAgent

    return ClaudeAgent.from_options(**options)


def gemini(**options: Any) -> Agent:
    """The ``gemini`` agent, imported on first use (google-genai, like anthropic, is slow to import)."""
    from harness.agents.gemini import GeminiAgent

    return GeminiAgent.from_options(**options)


def openai(**options: Any) -> Agent:
    """The ``openai`` agent, imported on first use like ``claude``."""
    from harness.agents.openai import OpenAIAgent

    return OpenAIAgent.from_options(**options)


def vlm(**options: Any) -> Agent:
    """The ``vlm`` agent (any OpenAI-compatible vision model), imported on first use like ``claude``."""
    from harness.agents.vlm import VlmAgent

    return VlmAgent.from_options(**options)


_FACTORIES: dict[str, AgentFactory] = {"oracle": OracleAgent, "noop": NoopAgent, "fail": FailAgent,
                                       "random": RandomAgent, "claude": claude, "openai": openai, "gemini": gemini,
                                       "vlm": vlm}
#: the built-in agents' factories, in the order and under the names of the one table of them (spec.BUILT_IN, which
#: ``deskbench agents`` lists and options are validated by): a name there without a factory here fails at import
AGENTS: dict[str, AgentFactory] = {name: _FACTORIES[name] for name in BUILT_IN}


def parse_option(text: str) -> tuple[str, str]:
    """One ``key=value`` from the command line."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"an agent option must look like key=value, got {text!r}")
    return key.strip(), value


def parse_options(texts: Sequence[str]) -> dict[str, str]:
    """Every ``--agent-option key=value``; a key given twice is refused, not silently the last one."""
    options: dict[str, str] = {}
    for text in texts:
        key, value = parse_option(text)
        if key in options:
            raise ConfigError(f"agent option {key!r} is given twice (--agent-option {key}=...): give it once")
        options[key] = value
    return options


def make_agent(agent: AgentSpec | str, options: Mapping[str, Any] | None = None) -> Agent:
    """The agent a spec names (or a name and ``options``, validated into one first), its secrets put back."""
    spec = as_spec(agent) if not options else (
        agent.with_options(options) if isinstance(agent, AgentSpec) else build_spec(agent, options))
    factory = AGENTS[spec.name] if spec.name in AGENTS else load_object(spec.name, spec.name)
    made = factory(**spec.values())
    if not (hasattr(made, "start") and hasattr(made, "act")):
        raise ConfigError(f"agent {spec.name!r} has no start/act methods")
    return made
