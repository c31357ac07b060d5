"""The run folder format: episode records, trajectories, and how to read them back.

The names are imported on first use (PEP 562): the guest client and the
agent interface import ``harness.store.values`` from here, and that must not
load pandas with the run-folder reader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness._lazy import lazy_exports

if TYPE_CHECKING:
    from harness.store.records import EpisodeResult, Status, Timings, TokenUsage
    from harness.store.run_folder import RunFolder, RunFolderError, load_results
    from harness.store.step_frames import load_calls, load_steps
    from harness.store.steps import ModelCall, StepRecord
    from harness.store.values import Screenshot, Usage
    from harness.store.versions import NewerRecordError

_EXPORTS = {
    "EpisodeResult": "harness.store.records", "Status": "harness.store.records", "Timings": "harness.store.records",
    "TokenUsage": "harness.store.records", "RunFolder": "harness.store.run_folder",
    "RunFolderError": "harness.store.run_folder", "load_results": "harness.store.run_folder",
    "ModelCall": "harness.store.steps", "StepRecord": "harness.store.steps", "Screenshot": "harness.store.values",
    "Usage": "harness.store.values", "NewerRecordError": "harness.store.versions",
    "load_calls": "harness.store.step_frames", "load_steps": "harness.store.step_frames",
}
__all__ = ["EpisodeResult", "ModelCall", "NewerRecordError", "RunFolder", "RunFolderError", "Screenshot", "Status",
           "StepRecord", "Timings", "TokenUsage", "Usage", "load_calls", "load_results", "load_steps"]

__getattr__ = lazy_exports(__name__, _EXPORTS, globals())
