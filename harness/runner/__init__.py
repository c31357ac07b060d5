"""Running episodes and runs."""

from harness.runner.api import run_suite
from harness.runner.episode import EpisodeOptions, EpisodeSpec, run_episode
from harness.runner.executor import Executor, LocalExecutor
from harness.runner.run import RunConfig, execute_run, plan, plan_jobs

__all__ = ["EpisodeOptions", "EpisodeSpec", "Executor", "LocalExecutor", "RunConfig", "execute_run", "plan",
           "plan_jobs", "run_episode", "run_suite"]
