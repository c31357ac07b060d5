"""Setup steps: the task's ``config`` and the evaluator's ``postconfig``."""

from harness.setup import browser_steps as _browser_steps  # noqa: F401  (registers the browser/wallpaper steps)
from harness.setup.steps import STEPS, SetupContext, run_steps, step

__all__ = ["STEPS", "SetupContext", "run_steps", "step"]
