"""``AgentSpec``: an agent's name and its options as typed, validated JSON values, checked once before a run.

The command line gives options as text (``--agent-option thinking_budget=
2048``) and ``run_suite`` as Python values; :func:`build_spec` validates
either against the agent's options model and keeps the values in their JSON
form (``2048``, not ``"2048"``), so that a manifest records what the agent
was really given and a bad value is refused before a run folder or a
container exists.  The model is found per agent: a model agent's
``AgentOptions`` subclass, a class's ``Options`` attribute when it is a
pydantic model, or else the class's ``__init__`` signature.

Options that are credentials (``api_key``, ``token``...) are validated like
the others but never shown: the spec's ``options`` say ``redacted`` and the
value rides in a private attribute that no dump, repr or manifest includes.
It travels with the object inside this process and, pickled in memory, to a
Ray node's process; a spec read back from a manifest has no secret and asks
for it again when an agent is made from it.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import typing
import urllib.parse
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple, overload

from pydantic import BaseModel, ConfigDict, JsonValue, PrivateAttr, ValidationError, create_model

from harness.agents.options import option_error
from harness.errors import ConfigError

#: what a secret option's value reads as in a spec, a manifest or a log
REDACTED = "redacted"
#: the last word of an option name (split at ``_``, ``-``, ``.``) that makes it a credential
_SECRET_WORDS = frozenset({"key", "apikey", "secret", "password", "passwd", "token", "auth", "authorization",
                           "credential", "credentials", "cookie"})


class BuiltIn(NamedTuple):
    """A built-in agent: where its options model is (``module:Attribute``), and what it is, in one line."""

    options: str
    about: str


#: the built-in agents; options models are imported on first use (model agents' modules load their provider SDKs).
#: ``harness.agents.registry.AGENTS`` holds their factories under the same names.
BUILT_IN: dict[str, BuiltIn] = {
    "oracle": BuiltIn("harness.agents.scripted:OracleAgent", "replays the task's reference solution (scores 1)"),
    "noop": BuiltIn("harness.agents.scripted:NoopAgent", "says DONE at once (scores 0 on a sound task)"),
    "fail": BuiltIn("harness.agents.scripted:FailAgent", "declares every task infeasible at once"),
    "random": BuiltIn("harness.agents.random_agent:RandomAgent", "random computer actions, reproducible from a seed"),
    "claude": BuiltIn("harness.agents.claude.options:ClaudeOptions", "Claude with its computer, bash and editor "
                      "tools (Messages API)"),
    "openai": BuiltIn("harness.agents.openai.options:OpenAIOptions", "OpenAI's computer-use model (Responses API)"),
    "gemini": BuiltIn("harness.agents.gemini.options:GeminiOptions", "Gemini's computer-use tool (generate_content)"),
    "vlm": BuiltIn("harness.agents.vlm.options:VlmOptions", "any OpenAI-compatible vision model writing pyautogui "
                   "or UI-TARS actions"),
}


def is_secret_option(key: str) -> bool:
    """Whether option ``key`` holds a credential (``api_key``, ``x-api-key``, ``access_token``; not ``max_tokens``)."""
    words = [w for w in re.split(r"[_\-.]", key.strip().lower()) if w]
    return bool(words) and words[-1] in _SECRET_WORDS


class AgentSpec(BaseModel):
    """An agent by name with the options it was given (not its defaults), validated, secrets redacted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    options: dict[str, JsonValue] = {}
    _secrets: dict[str, str] = PrivateAttr(default_factory=dict)

    def __str__(self) -> str:
        """``claude(model="claude-opus-4-5", thinking_budget=2048)``: how a run announces its agent."""
        if not self.options:
            return self.name
        return f"{self.name}({', '.join(f'{k}={json.dumps(v)}' for k, v in self.options.items())})"

    def identity(self) -> dict[str, Any]:
        """What a run manifest records: name and typed options, secrets ``redacted``."""
        return self.model_dump(mode="json")

    def values(self) -> dict[str, Any]:
        """The options as the agent's factory takes them, each secret put back (a ConfigError if it is not here)."""
        values = dict(self.options)
        for key, value in self.options.items():
            if not is_secret_option(key) or value != REDACTED:
                continue
            if key not in self._secrets:
                raise ConfigError(f"agent option {key!r} of {self.name!r} is a secret, kept only by the process it "
                                  f"was given to and never written down: give it again (--agent-option {key}=...) "
                                  "or use the environment variable the agent reads")
            values[key] = self._secrets[key]
        return values

    def with_options(self, options: Mapping[str, Any]) -> AgentSpec:
        """This spec with ``options`` added (or replacing its own), validated again."""
        merged: dict[str, Any] = {**self.options, **self._secrets, **options}
        return build_spec(self.name, merged)


def build_spec(agent: str, options: Mapping[str, Any] | None = None) -> AgentSpec:
    """The spec of agent ``agent`` (a built-in name or ``package.module:Class``) with raw ``options``.

    Values are CLI strings or Python values; both are validated by the agent's
    options model and kept in JSON form.  An unknown agent, an unknown option
    or a bad value is one ConfigError naming the agent, the option and the
    known options.  The legacy ``name?k=v&k=v`` text is accepted for callers'
    old code; ``options`` override what it says.
    """
    name, given = _legacy(agent)
    given.update(options or {})
    model = options_model(name)
    try:
        checked = model.model_validate(given)
    except ValidationError as exc:
        raise option_error(name, model, exc) from None
    try:
        typed = checked.model_dump(mode="json", include=set(given))
    except Exception as exc:  # noqa: BLE001 - a value pydantic cannot put in JSON (an arbitrary object)
        raise ConfigError(f"agent {name!r}: an option is not a JSON value ({type(exc).__name__}); give options as "
                          "numbers, strings, booleans or lists") from None
    secrets = {key: value for key, value in given.items()
               if is_secret_option(key) and isinstance(value, str) and value != REDACTED}
    spec = AgentSpec(name=name, options={k: REDACTED if k in secrets else v for k, v in typed.items()})
    spec._secrets.update(secrets)
    return spec


@overload
def as_spec(agent: AgentSpec) -> AgentSpec: ...
@overload
def as_spec(agent: str) -> AgentSpec: ...
def as_spec(agent: AgentSpec | str) -> AgentSpec:
    """``agent`` as a spec: a spec as it is, a name (or legacy ``name?k=v`` text) validated once."""
    return agent if isinstance(agent, AgentSpec) else build_spec(agent)


def recorded_spec(value: Any) -> Any:
    """An identity's ``agent`` as this version records it: an old manifest's ``name?k=v`` string read as a spec.

    Anything that cannot be read (an agent no longer known) is returned as it
    is, so that comparing identities names the difference instead of failing.
    """
    if not isinstance(value, str):
        return value
    try:
        return build_spec(value).identity()
    except ConfigError:
        return value


def _legacy(text: str) -> tuple[str, dict[str, Any]]:
    """``name?k=v&k=v`` -> (name, options); a repeated key is an error, not a silent override."""
    name, _, query = text.partition("?")
    options: dict[str, Any] = {}
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if key in options:
            raise ConfigError(f"agent {name!r}: option {key!r} given twice")
        options[key] = value
    return name.strip(), options


def options_model(name: str) -> type[BaseModel]:
    """The pydantic model that validates agent ``name``'s options."""
    if name in BUILT_IN:
        return _model_of(load_object(BUILT_IN[name].options, name))
    if ":" not in name:
        raise ConfigError(f"unknown agent {name!r} (built in: {', '.join(BUILT_IN)}; or package.module:Class)")
    return _model_of(load_object(name, name))


def load_object(path: str, name: str) -> Any:
    """``package.module:Attribute``, or one ConfigError naming agent ``name``."""
    module_name, _, attribute = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"cannot load agent {name!r}: {exc}") from None


def _model_of(target: Any) -> type[BaseModel]:
    """An options model as it is; a class's ``Options`` model; else a model made from the class's ``__init__``."""
    if isinstance(target, type) and issubclass(target, BaseModel):
        return target
    own = getattr(target, "Options", None)
    if isinstance(own, type) and issubclass(own, BaseModel):
        return own
    return signature_model(target)


def signature_model(target: Any) -> type[BaseModel]:
    """A pydantic model of ``target``'s keyword parameters (``**kwargs`` allows any further option)."""
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):  # no signature to read (a builtin): let the call decide
        return create_model("Options", __config__=ConfigDict(extra="allow", arbitrary_types_allowed=True))
    try:
        hints = typing.get_type_hints(getattr(target, "__init__", target) if isinstance(target, type) else target)
    except Exception:  # noqa: BLE001 - an annotation that does not resolve is simply not checked
        hints = {}
    fields: dict[str, Any] = {}
    extra: Literal["forbid", "allow"] = "forbid"
    for parameter in parameters:
        if parameter.kind is parameter.VAR_KEYWORD:
            extra = "allow"
        elif parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            default = ... if parameter.default is parameter.empty else parameter.default
            fields[parameter.name] = (hints.get(parameter.name, Any), default)
    config = ConfigDict(extra=extra, arbitrary_types_allowed=True)
    return create_model(f"{getattr(target, '__name__', 'Agent')}Options", __config__=config, **fields)



class SpecField:
    """A dataclass field holding an :class:`AgentSpec` that also takes a name, converted once when it is set.

    ``RunConfig(agent="oracle")`` stays as convenient as it was while every
    reader of ``config.agent`` gets the typed spec.
    """

    def __init__(self, default: str = "oracle") -> None:
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self.attribute = f"_{name}_spec"

    @overload
    def __get__(self, instance: None, owner: type) -> AgentSpec: ...
    @overload
    def __get__(self, instance: object, owner: type) -> AgentSpec: ...
    def __get__(self, instance: object | None, owner: type) -> AgentSpec:
        if instance is None:  # the dataclass asks for the default
            return AgentSpec(name=self.default)
        spec: AgentSpec = getattr(instance, self.attribute)
        return spec

    def __set__(self, instance: object, value: AgentSpec | str) -> None:
        setattr(instance, self.attribute, as_spec(value))
