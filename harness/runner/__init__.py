"""Running episodes and runs."""

from harness.runner.episode import EpisodeOptions, EpisodeSpec, run_episode
from harness.runner.run import RunConfig, execute_run, plan

__all__ = ["EpisodeOptions", "EpisodeSpec", "RunConfig", "execute_run", "plan", "run_episode"]
