"""deskbench: an evaluation harness for computer-use agents.

The public Python API is re-exported here; the CLI (``deskbench``) is a thin
layer over it.  The names are imported on first use (PEP 562), so that
``import harness.cli`` -- and with it ``deskbench --help`` -- does not pay for
Docker, pandas and the office libraries the runner pulls in.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness.agents import Agent, EpisodeInfo, Observation, Turn, Usage
    from harness.runner import RunConfig, execute_run, run_suite
    from harness.store import EpisodeResult, RunFolder, load_results
    from harness.tasks import Task, load_tasks

_EXPORTS = {
    "Agent": "harness.agents", "EpisodeInfo": "harness.agents", "Observation": "harness.agents",
    "Turn": "harness.agents", "Usage": "harness.agents",
    "RunConfig": "harness.runner", "execute_run": "harness.runner", "run_suite": "harness.runner",
    "EpisodeResult": "harness.store", "RunFolder": "harness.store", "load_results": "harness.store",
    "Task": "harness.tasks", "load_tasks": "harness.tasks",
}


def _version() -> str:
    """The installed distribution's version: one number, kept in pyproject.toml."""
    try:
        return metadata.version("deskbench")
    except metadata.PackageNotFoundError:
        return "0+unknown"


__version__ = _version()
__all__ = ["Agent", "EpisodeInfo", "EpisodeResult", "Observation", "RunConfig", "RunFolder", "Task", "Turn", "Usage",
           "__version__", "execute_run", "load_results", "load_tasks", "run_suite"]


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
