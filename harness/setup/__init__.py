"""Setup steps: the task's ``config`` and the evaluator's ``postconfig``."""

from harness.setup.steps import STEPS, SetupContext, run_steps, step

__all__ = ["STEPS", "SetupContext", "run_steps", "step"]
