"""The run folder format: episode records and how to read them back."""

from harness.store.records import EpisodeResult, Status, Timings, TokenUsage
from harness.store.run_folder import RunFolder, RunFolderError, load_results

__all__ = ["EpisodeResult", "RunFolder", "RunFolderError", "Status", "Timings", "TokenUsage", "load_results"]
