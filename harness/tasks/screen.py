"""The screen size a suite's desktops get.

OSWorld runs its tasks on a 1920x1080 screen, and its task files assume it
(setup steps click at fixed coordinates, e.g. the centre at 960,540), so a
suite loaded from an OSWorld index file gets that size by default.
deskbench's own suites keep the smaller 1280x800 they were written and
validated at.  A run's ``--screen WIDTHxHEIGHT`` overrides both.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from harness.errors import ConfigError
from harness.tasks.loader import is_index_file

DESKBENCH_SCREEN = (1280, 800)
OSWORLD_SCREEN = (1920, 1080)
MIN_SIDE, MAX_SIDE = 320, 7680  # what Xvfb and the agents' scaling handle sensibly


def parse_screen(text: str, where: str = "--screen") -> tuple[int, int]:
    """``"1920x1080"`` -> ``(1920, 1080)``; a ConfigError naming ``where`` for anything else."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*[xX]\s*(\d{1,5})\s*", text)
    if match is None:
        raise ConfigError(f"{where} must be WIDTHxHEIGHT (e.g. 1920x1080), got {text!r}")
    width, height = int(match.group(1)), int(match.group(2))
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ConfigError(f"{where}: each side must be {MIN_SIDE} to {MAX_SIDE} pixels, got {width}x{height}")
    return width, height


def suite_screen(suite: Path | str) -> tuple[int, int]:
    """The default screen of a suite: OSWorld's for an OSWorld index file, deskbench's for anything else."""
    path = Path(suite)
    if isinstance(suite, str) and suite.startswith("hf:") or not path.is_file() or path.suffix != ".json":
        return DESKBENCH_SCREEN
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return DESKBENCH_SCREEN  # the loader reports the bad file, with its path, when it reads it
    return OSWORLD_SCREEN if is_index_file(data) else DESKBENCH_SCREEN
