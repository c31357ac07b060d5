"""Gemini as a deskbench agent: the computer-use tool, its normalized grid, function calls, retries.

Names are imported on first use: the mock server needs the grid and the
translation without paying for the SDK's import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness.agents.gemini.agent import GeminiAgent
    from harness.agents.gemini.grid import GRID, Grid
    from harness.agents.gemini.options import GeminiOptions
    from harness.agents.gemini.translate import PlannedCall, SafetyDecision, plan_call

_EXPORTS = {
    "GeminiAgent": "harness.agents.gemini.agent", "GRID": "harness.agents.gemini.grid",
    "Grid": "harness.agents.gemini.grid", "GeminiOptions": "harness.agents.gemini.options",
    "PlannedCall": "harness.agents.gemini.translate", "SafetyDecision": "harness.agents.gemini.translate",
    "plan_call": "harness.agents.gemini.translate",
}
__all__ = ["GRID", "GeminiAgent", "GeminiOptions", "Grid", "PlannedCall", "SafetyDecision", "plan_call"]

__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
