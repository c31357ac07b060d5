"""Load run folders for a report, refusing what is not a run or holds nothing to report, with a message naming it.

``load_results`` happily returns an empty frame for any folder; a report of
a mistyped path would then be an empty table, easy to take for a result.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from harness.errors import ConfigError
from harness.store.manifest import MANIFEST
from harness.store.run_folder import EPISODES, load_results


def check_run_folder(path: Path | str) -> Path:
    """``path`` as a Path, when it is a run folder with at least one episode; ``ConfigError`` otherwise."""
    folder = Path(path)
    if not folder.exists():
        raise ConfigError(f"run folder {folder} does not exist")
    if not folder.is_dir():
        raise ConfigError(f"{folder} is not a run folder (it is a file; give the folder holding {EPISODES})")
    episodes = folder / EPISODES
    if not episodes.is_file():
        has_manifest = (folder / MANIFEST).is_file()
        raise ConfigError(f"{folder} has no episodes yet (a run that finished no episode)" if has_manifest
                          else f"{folder} is not a run folder (no {EPISODES} or {MANIFEST} in it)")
    if not episodes.read_text(encoding="utf-8").strip():
        raise ConfigError(f"run folder {folder} is empty: {EPISODES} holds no episode")
    return folder


def load_runs(paths: Sequence[Path | str], all_attempts: bool = False) -> pd.DataFrame:
    """The episodes of every run folder in ``paths`` (one row per episode), after checking each folder.

    Giving one run twice would count its episodes twice, so a repeated run id
    is refused too.
    """
    if not paths:
        raise ConfigError("no run folder given")
    frames = []
    seen: dict[str, Path] = {}
    for path in paths:
        folder = check_run_folder(path)
        frame = load_results(folder, all_attempts=all_attempts)
        if frame.empty:
            raise ConfigError(f"run folder {folder} is empty: no readable episode in {EPISODES}")
        for run_id in frame["run_id"].unique():
            if str(run_id) in seen:
                raise ConfigError(f"run {run_id} is given twice ({seen[str(run_id)]} and {folder}); "
                                  "its episodes would be counted twice")
            seen[str(run_id)] = folder
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
