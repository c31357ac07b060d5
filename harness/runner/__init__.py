"""Running episodes and runs (names imported on first use, so the CLI starts fast)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness.runner.api import run_suite
    from harness.runner.episode import EpisodeOptions, EpisodeSpec, run_episode
    from harness.runner.executor import Executor, LocalExecutor
    from harness.runner.run import RunConfig, execute_run, plan, plan_jobs

_EXPORTS = {
    "run_suite": "harness.runner.api",
    "EpisodeOptions": "harness.runner.episode", "EpisodeSpec": "harness.runner.episode",
    "run_episode": "harness.runner.episode",
    "Executor": "harness.runner.executor", "LocalExecutor": "harness.runner.executor",
    "RunConfig": "harness.runner.run", "execute_run": "harness.runner.run", "plan": "harness.runner.run",
    "plan_jobs": "harness.runner.run",
}
__all__ = ["EpisodeOptions", "EpisodeSpec", "Executor", "LocalExecutor", "RunConfig", "execute_run", "plan",
           "plan_jobs", "run_episode", "run_suite"]


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
