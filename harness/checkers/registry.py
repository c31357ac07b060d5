"""Checkers are plain functions registered by name: getters read the desktop, metrics compare values.

A suite can register its own in a Python file it ships (see ``load_plugin``).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from harness.errors import CheckerError

#: the module names of suite checker files (the metric server imports them by the same name)
PLUGIN_PREFIX = "deskbench_suite_checkers_"

GetterFn = Callable[..., Any]
MetricFn = Callable[..., float]
F = TypeVar("F", bound=Callable[..., Any])

GETTERS: dict[str, GetterFn] = {}
METRICS: dict[str, MetricFn] = {}


GETTER_PARAMS: dict[str, type[BaseModel]] = {}  # the fields each getter reads (task validation)


def getter(name: str, params: type[BaseModel] | None = None) -> Callable[[F], F]:
    """Register ``fn(ctx, spec) -> value`` as getter ``name``; ``params`` declares the spec's fields.

    Every built-in getter declares them (a test holds it to that); a suite's own
    getter may not, and its fields are then not checked when tasks load.
    """
    def register(fn: F) -> F:
        GETTERS[name] = fn
        if params is not None:
            GETTER_PARAMS[name] = params
        return fn
    return register


def metric(name: str) -> Callable[[F], F]:
    """Register ``fn(result, expected, **options) -> float in [0, 1]`` as metric ``name``."""
    def register(fn: F) -> F:
        METRICS[name] = fn
        return fn
    return register


def get_getter(name: str) -> GetterFn:
    try:
        return GETTERS[name]
    except KeyError:
        raise CheckerError(f"unknown getter {name!r}") from None


def get_metric(name: str) -> MetricFn:
    try:
        return METRICS[name]
    except KeyError:
        raise CheckerError(f"unknown metric {name!r}") from None


def load_plugin(path: Path) -> None:
    """Import a suite's own checker file; its ``@getter``/``@metric`` decorators register on import."""
    spec = importlib.util.spec_from_file_location(f"{PLUGIN_PREFIX}{abs(hash(path))}", path)
    if spec is None or spec.loader is None:
        raise CheckerError(f"{path}: cannot load checker file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its functions pickle by name, so they run in the metric server (limits.py)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[spec.name]
        raise CheckerError(f"{path}: loading checker file failed: {type(exc).__name__}: {exc}") from None
