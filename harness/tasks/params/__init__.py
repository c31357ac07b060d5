"""Typed parameters of setup steps, getters and metrics: the base models and the field types they share.

Each setup step and getter declares its parameter model where it registers
(``@step(..., params=...)`` in ``harness.setup``, ``@getter(..., params=...)``
in ``harness.checkers``); a metric's option model is built from the metric
function's own signature (``options_model``).  ``harness.tasks.validation``
reads the models from those registries, so a parameter renamed in an
implementation cannot leave a stale copy of its name behind here.

Strict where the implementation fails, permissive where OSWorld is: OSWorld
calls a setup step as ``fn(**parameters)`` and a metric as
``fn(result, expected, **options)``, so an unknown name fails there too and is
refused here; a relative desktop path is accepted (OSWorld's own tasks use
them), an empty one or one holding a control character is not.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, create_model
from pydantic.errors import PydanticSchemaGenerationError


class StepParams(BaseModel):
    """A setup step's ``parameters``: unknown names are refused (OSWorld passes them as keyword arguments)."""

    model_config = ConfigDict(extra="forbid")


class GetterParams(BaseModel):
    """A getter's fields besides ``type``: unknown names are refused (a misspelt optional field is otherwise
    silently ignored and the getter reads something else than the author meant)."""

    model_config = ConfigDict(extra="forbid")


def _no_control(value: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("contains a control character (a newline, a tab, NUL...)")
    return value


def _guest_path(value: str) -> str:
    """A path in the desktop: OSWorld's relative paths (resolved against the home folder) are allowed."""
    if not value.strip():
        raise ValueError("empty path")
    return _no_control(value)


def _absolute_guest_path(value: str) -> str:
    _guest_path(value)
    if not value.startswith("/"):
        raise ValueError(f"path must be absolute (start with '/'), got {value!r}")
    if value.endswith("/"):
        raise ValueError(f"path names a folder (ends with '/'), a file is written there: {value!r}")
    return value


def _file_name(value: str) -> str:
    """A plain file name in the episode's cache folder (a getter's ``dest``)."""
    _guest_path(value)
    if "/" in value or "\\" in value or value in (".", ".."):
        raise ValueError(f"must be a plain file name (no '/', not '.' or '..'), got {value!r}")
    return value


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")
WEB_SCHEMES = frozenset({"http", "https"})
FILE_SCHEMES = WEB_SCHEMES | {"file"}
BROWSER_SCHEMES = FILE_SCHEMES | {"chrome", "about", "data", "chrome-extension", "view-source"}


def check_url(value: str, schemes: frozenset[str]) -> str:
    """``value`` as a URL with one of ``schemes``; ValueError saying what is malformed."""
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"not a URL (empty or contains spaces): {value!r}")
    _no_control(value)
    found = _SCHEME.match(value)
    if found is None:
        raise ValueError(f"not a URL (no scheme such as https://): {value!r}")
    scheme = found.group(1).lower()
    if scheme not in schemes:
        raise ValueError(f"unknown URL scheme {scheme!r} (expected {', '.join(sorted(schemes))}): {value!r}")
    if scheme in WEB_SCHEMES | {"file"} and not value[len(scheme) + 1:].startswith("//"):
        raise ValueError(f"malformed URL ({scheme}: must be followed by //): {value!r}")
    if scheme in WEB_SCHEMES:
        try:
            host = urlsplit(value).hostname
        except ValueError as exc:
            raise ValueError(f"malformed URL ({exc}): {value!r}") from None
        if not host:
            raise ValueError(f"malformed URL (no host): {value!r}")
    return value


def _resource(value: str) -> str:
    """A file the host copies in: an http(s)/file URL, or a path (absolute, or relative to the task file)."""
    if _SCHEME.match(value) is not None:
        return check_url(value, FILE_SCHEMES)
    return _guest_path(value)


def _page(value: str) -> str:
    return check_url(value, BROWSER_SCHEMES)


def _web_url(value: str) -> str:
    return check_url(value, WEB_SCHEMES)


GuestPath = Annotated[str, AfterValidator(_guest_path)]
AbsoluteGuestPath = Annotated[str, AfterValidator(_absolute_guest_path)]
FileName = Annotated[str, AfterValidator(_file_name)]
Resource = Annotated[str, AfterValidator(_resource)]
PageUrl = Annotated[str, AfterValidator(_page)]
WebUrl = Annotated[str, AfterValidator(_web_url)]
Command = str | list[str]


class ResourceFile(BaseModel):
    """One file a ``download``/``upload_file`` step copies into the desktop."""

    model_config = ConfigDict(extra="forbid")

    url: Resource | None = None
    local_path: Resource | None = None
    path: GuestPath

    def ref(self) -> str | None:
        return self.url or self.local_path


@cache
def options_model(fn: Callable[..., Any]) -> type[BaseModel]:
    """The options a metric ``fn(result, expected, **options)`` takes, as a model built from its signature.

    Parameters after the first two are the options, typed by their annotations
    (an annotation pydantic cannot check is taken as Any); a ``**kwargs``
    metric takes any further option.
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a callable without a signature to read: its options cannot be checked
        return create_model(f"{getattr(fn, '__name__', 'metric')}_options", __config__=ConfigDict(extra="allow"))
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # an annotation naming something not importable here: the names still count
        hints = {}
    params = list(signature.parameters.values())[2:]
    fields: dict[str, Any] = {}
    open_ended = False
    for p in params:
        if p.kind is p.VAR_KEYWORD:
            open_ended = True
        elif p.kind is not p.VAR_POSITIONAL:
            default = ... if p.default is p.empty else p.default
            fields[p.name] = (hints.get(p.name, Any), default)
    config = ConfigDict(extra="allow" if open_ended else "forbid", arbitrary_types_allowed=True)
    name = f"{getattr(fn, '__name__', 'metric')}_options"
    try:
        model: type[BaseModel] = create_model(name, __config__=config, **fields)
    except PydanticSchemaGenerationError:
        loose: dict[str, Any] = {k: (Any, d) for k, (_, d) in fields.items()}
        model = create_model(name, __config__=config, **loose)
    return model
