"""Agents by name, or any class by ``package.module:Class``, with options.

Options are strings (``--agent-option key=value`` and ``--model`` on the
command line) and reach the agent's factory as keyword arguments.  They can
also ride inside the spec string itself, ``claude?model=claude-opus-4-5&
thinking_budget=2048``, so that one string describes an agent completely:
that is how a run's configuration passes them to every episode it starts.
"""

from __future__ import annotations

import importlib
import inspect
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from harness.agents.base import Agent
from harness.agents.random_agent import RandomAgent
from harness.agents.scripted import FailAgent, NoopAgent, OracleAgent
from harness.errors import ConfigError

AgentFactory = Callable[..., Agent]


def claude(**options: Any) -> Agent:
    """The ``claude`` agent, imported on first use: the SDK takes seconds to import and most commands never need it."""
    from harness.agents.claude import ClaudeAgent

    return ClaudeAgent.from_options(**options)


AGENTS: dict[str, AgentFactory] = {"oracle": OracleAgent, "noop": NoopAgent, "fail": FailAgent,
                                   "random": RandomAgent, "claude": claude}


def agent_spec(name: str, options: Mapping[str, str] | None = None) -> str:
    """The spec string of agent ``name`` with ``options`` (``name`` alone without options)."""
    if not options:
        return name
    return f"{name}?{urllib.parse.urlencode(dict(options))}"


def split_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``name?k=v&k=v`` -> (name, options); a repeated key is an error, not a silent override."""
    name, _, query = spec.partition("?")
    options: dict[str, str] = {}
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        if key in options:
            raise ConfigError(f"agent option {key!r} given twice in {spec!r}")
        options[key] = value
    return name, options


def parse_option(text: str) -> tuple[str, str]:
    """One ``key=value`` from the command line."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"an agent option must look like key=value, got {text!r}")
    return key.strip(), value


def make_agent(spec: str, options: Mapping[str, str] | None = None) -> Agent:
    """A built-in agent name, or ``module:Class`` for your own agent class; ``options`` go to its factory."""
    name, merged = split_spec(spec)
    for key, value in (options or {}).items():
        merged[key] = value
    factory = _factory(name)
    agent = _build(factory, name, merged)
    if not (hasattr(agent, "start") and hasattr(agent, "act")):
        raise ConfigError(f"agent {name!r} has no start/act methods")
    return agent


def _factory(name: str) -> AgentFactory:
    if name in AGENTS:
        return AGENTS[name]
    if ":" not in name:
        raise ConfigError(f"unknown agent {name!r} (built in: {', '.join(AGENTS)}; or package.module:Class)")
    module_name, _, class_name = name.partition(":")
    try:
        cls: Any = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load agent {name!r}: {exc}") from None
    return cls  # type: ignore[no-any-return]


def _build(factory: AgentFactory, name: str, options: dict[str, str]) -> Agent:
    if not options:
        return factory()
    try:
        inspect.signature(factory).bind(**options)
    except TypeError as exc:
        raise ConfigError(f"agent {name!r} does not take the options {', '.join(sorted(options))} ({exc})") from None
    except ValueError:  # no signature to check (a builtin): let the call decide
        pass
    return factory(**options)
