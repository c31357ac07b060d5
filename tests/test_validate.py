"""``deskbench validate``: every shipped suite is calibrated (oracle 1, noop 0), in fresh containers."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.runner.validate import validate_suite
from harness.tasks import load_tasks

from .conftest import REPO, SMOKE

pytestmark = pytest.mark.docker
CORE = REPO / "tasks" / "core"


def _assert_calibrated(suite: Path, tmp_path: Path) -> None:
    rows = validate_suite(load_tasks(suite), tmp_path / "pytest-validate", parallel=2)
    bad = {r.key: (r.oracle and (r.oracle.status, r.oracle.error), r.noop and (r.noop.status, r.noop.error))
           for r in rows if not r.ok}
    assert not bad, f"uncalibrated tasks: {bad}"


def test_smoke_suite_is_calibrated(tmp_path: Path, desktop_image: str, no_leftovers: None) -> None:
    _assert_calibrated(SMOKE, tmp_path)


def test_core_suite_is_calibrated(tmp_path: Path, desktop_image: str, office_image: str, no_leftovers: None) -> None:
    _assert_calibrated(CORE, tmp_path)


def test_validate_reports_a_task_that_noop_passes(tmp_path: Path, desktop_image: str) -> None:
    """A task whose goal already holds at the start is listed as not calibrated."""
    import json

    data = json.loads((SMOKE / "terminal" / "count-errors.json").read_text())
    data["config"].append({"type": "execute", "parameters": {
        "command": "mkdir -p ~/Desktop && echo 3 > ~/Desktop/errors.txt", "shell": True}})
    (tmp_path / "os").mkdir()
    (tmp_path / "os" / "already-done.json").write_text(json.dumps(data))
    rows = validate_suite(load_tasks(tmp_path / "os"), tmp_path / "pytest-validate-bad", parallel=1)
    assert [(r.solvable, r.not_passed_by_doing_nothing, r.ok) for r in rows] == [(True, False, False)]
