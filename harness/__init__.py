"""deskbench: an evaluation harness for computer-use agents.

The public Python API is re-exported here; the CLI (``deskbench``) is a thin
layer over it.
"""

from harness.agents import Agent, EpisodeInfo, Observation, Turn, Usage
from harness.runner import RunConfig, execute_run, run_suite
from harness.store import EpisodeResult, RunFolder, load_results
from harness.tasks import Task, load_tasks

__version__ = "0.1.0"
__all__ = ["Agent", "EpisodeInfo", "EpisodeResult", "Observation", "RunConfig", "RunFolder", "Task", "Turn", "Usage",
           "__version__", "execute_run", "load_results", "load_tasks", "run_suite"]
