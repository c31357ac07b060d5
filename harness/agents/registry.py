"""Agents by name, or any class by ``package.module:Class``, with options.

Options are strings (``--agent-option key=value`` and ``--model`` on the
command line) and reach the agent's factory as keyword arguments.  They can
also ride inside the spec string itself, ``claude?model=claude-opus-4-5&
thinking_budget=2048``, so that one string describes an agent completely:
that is how a run's configuration passes them to every episode it starts.

A spec string is written into manifests and printed, so it never carries a
credential: options whose names say they are one (``api_key``, ``token``,
``password``...) are kept in this process only and the spec says
``api_key=redacted``; :func:`make_agent` puts the value back.  A run resumed
in a new process must be given the option again.
"""

from __future__ import annotations

import importlib
import inspect
import re
import threading
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


AGENTS: dict[str, AgentFactory] = {"oracle": OracleAgent, "noop": NoopAgent, "fail": FailAgent,
                                   "random": RandomAgent, "claude": claude, "openai": openai}
AGENTS["gemini"] = gemini
AGENTS["vlm"] = vlm


#: what a secret option's value reads as in a spec string, a manifest or a log
REDACTED = "redacted"
#: the last word of an option name (split at ``_``, ``-``, ``.``) that makes it a credential
_SECRET_WORDS = frozenset({"key", "apikey", "secret", "password", "passwd", "token", "auth", "authorization",
                           "credential", "credentials", "cookie"})
_secrets: dict[tuple[str, str], str] = {}  # (agent name, option) -> value, in this process only
_secrets_lock = threading.Lock()


def is_secret_option(key: str) -> bool:
    """Whether option ``key`` holds a credential (``api_key``, ``x-api-key``, ``access_token``; not ``max_tokens``)."""
    words = [w for w in re.split(r"[_\-.]", key.strip().lower()) if w]
    return bool(words) and words[-1] in _SECRET_WORDS


def agent_spec(name: str, options: Mapping[str, str] | None = None) -> str:
    """The spec string of agent ``name`` with ``options`` (``name`` alone without options).

    Secret options are remembered here and appear as ``redacted``: the last
    value given for an agent's option wins, process-wide.
    """
    if not options:
        return name
    public = {key: _withhold(name, key, value) for key, value in options.items()}
    return f"{name}?{urllib.parse.urlencode(public)}"


def _withhold(name: str, key: str, value: str) -> str:
    if not is_secret_option(key) or value == REDACTED:
        return value
    with _secrets_lock:
        _secrets[(name, key)] = value
    return REDACTED


def redact_spec(spec: str) -> str:
    """``spec`` with every secret option's value replaced by ``redacted``, for anything shown or stored.

    Specs made by :func:`agent_spec` are redacted already; this covers one
    written by hand (``name?api_key=...``) before it is printed or recorded.
    """
    name, sep, query = spec.partition("?")
    if not sep:
        return spec
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    return f"{name}?{urllib.parse.urlencode([(k, REDACTED if is_secret_option(k) else v) for k, v in pairs])}"


def split_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``name?k=v&k=v`` -> (name, options); a repeated key is an error, not a silent override."""
    name, _, query = spec.partition("?")
    options: dict[str, str] = {}
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        if key in options:
            raise ConfigError(f"agent option {key!r} given twice in {redact_spec(spec)!r}")
        options[key] = value
    return name, options


def _reveal(name: str, options: dict[str, str]) -> dict[str, str]:
    """The options with each ``redacted`` secret replaced by the value this process was given."""
    revealed = dict(options)
    for key, value in options.items():
        if value != REDACTED or not is_secret_option(key):
            continue
        with _secrets_lock:
            secret = _secrets.get((name, key))
        if secret is None:
            raise ConfigError(f"agent option {key!r} of {name!r} is a secret, kept only by the process it was given "
                              f"to and never written down: give it again (--agent-option {key}=...) or use the "
                              "environment variable the agent reads")
        revealed[key] = secret
    return revealed


def parse_option(text: str) -> tuple[str, str]:
    """One ``key=value`` from the command line."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"an agent option must look like key=value, got {text!r}")
    return key.strip(), value


def make_agent(spec: str, options: Mapping[str, str] | None = None) -> Agent:
    """A built-in agent name, or ``module:Class`` for your own agent class; ``options`` go to its factory."""
    name, merged = split_spec(spec)
    merged = _reveal(name, merged)
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
