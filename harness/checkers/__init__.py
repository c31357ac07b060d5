"""Checkers: getters, metrics, their registry, and the evaluator that combines them."""

from harness.checkers import getters as _getters  # noqa: F401  (registers the built-in getters)
from harness.checkers import getters_a11y as _getters_a11y  # noqa: F401  (the accessibility tree)
from harness.checkers import getters_apps as _getters_apps  # noqa: F401  (VLC, GIMP, VS Code, wallpaper, terminal)
from harness.checkers import getters_browser as _getters_browser  # noqa: F401  (browser getters over DevTools)
from harness.checkers import getters_files as _getters_files  # noqa: F401  (spreadsheet rows, slide media)
from harness.checkers import getters_web as _getters_web  # noqa: F401  (cookies, extensions, pages visited)
from harness.checkers import metrics as _metrics  # noqa: F401  (registers the built-in metrics)
from harness.checkers.context import EvalContext
from harness.checkers.evaluate import MetricOutcome, Verdict, evaluate
from harness.checkers.registry import GETTERS, METRICS, getter, load_plugin, metric

__all__ = ["GETTERS", "METRICS", "EvalContext", "MetricOutcome", "Verdict", "evaluate", "getter", "load_plugin",
           "metric"]
