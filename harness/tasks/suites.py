"""The suites that ship with deskbench, by name: what ``deskbench run`` runs when given none."""

from __future__ import annotations

from pathlib import Path

SUITES_ROOT = Path(__file__).resolve().parents[2] / "tasks"
CORE_SUITE = SUITES_ROOT / "core"  # the built-in suite: 70 tasks over 8 domains, every one validated
SMOKE_SUITE = SUITES_ROOT / "smoke"  # 7 quick tasks in the light desktop image
BUILT_IN_SUITE = CORE_SUITE
