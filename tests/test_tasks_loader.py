"""The loader on the real OSWorld files and on deskbench's own suites."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from harness.actions import BashAction, ComputerAction
from harness.errors import TaskFileError
from harness.tasks import load_task_file, load_tasks

from .conftest import REPO, SMOKE

OSWORLD = REPO.parent / "shared" / "osworld"


@pytest.mark.skipif(not OSWORLD.is_dir(), reason="shared/osworld is beside the project in CI and for developers")
def test_osworld_index_loads_every_task_with_its_domain() -> None:
    tasks = load_tasks(OSWORLD / "test_all.json")
    index = json.loads((OSWORLD / "test_all.json").read_text())
    assert len(tasks) == sum(len(v) for v in index.values())
    assert Counter(t.domain for t in tasks) == Counter({d: len(ids) for d, ids in index.items()})
    infeasible = [t for t in tasks if t.evaluator.is_infeasible]
    assert len(infeasible) == 30


@pytest.mark.skipif(not OSWORLD.is_dir(), reason="shared/osworld is beside the project in CI and for developers")
def test_unknown_keys_are_kept() -> None:
    path = next((OSWORLD / "examples" / "os").glob("*.json"))
    task = load_task_file(path)
    assert task.model_extra is not None or task.trajectory is not None
    raw = json.loads(path.read_text())
    dumped = task.model_dump(exclude_none=True, exclude={"domain"})
    assert set(raw) <= set(dumped)


def test_solutions_parse_into_the_action_vocabulary() -> None:
    tasks = {t.id: t for t in load_tasks(SMOKE)}
    hello = tasks["hello-file"].solution
    assert hello is not None and isinstance(hello[0], ComputerAction) and hello[0].action == "type"
    count = tasks["count-errors"].solution
    assert count is not None and isinstance(count[0], BashAction)


def test_relative_resources_resolve_against_the_task_file() -> None:
    task = load_task_file(SMOKE / "terminal" / "hello-file.json")
    assert task.folder == SMOKE / "terminal"
    assert task.domain == "terminal"


def test_duplicate_keys_in_a_suite_are_refused(tmp_path: Path) -> None:
    data = json.loads((SMOKE / "terminal" / "count-errors.json").read_text())
    for name in ("a.json", "b.json"):
        (tmp_path / "os").mkdir(exist_ok=True)
        (tmp_path / "os" / name).write_text(json.dumps(data))
    with pytest.raises(TaskFileError, match="duplicate task 'os/count-errors'"):
        load_tasks(tmp_path)


def test_a_json_array_is_not_a_task(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(TaskFileError, match="x.json: a task file must hold one JSON object, found list"):
        load_task_file(tmp_path / "x.json")


def test_missing_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(TaskFileError, match="nothere: no such task file or folder"):
        load_tasks(tmp_path / "nothere")


def test_core_suite_has_the_promised_shape() -> None:
    """tasks/core: at least 60 tasks over 7 domains, 8% infeasible, each with a solution and a source."""
    tasks = load_tasks(REPO / "tasks" / "core")
    domains = {t.domain for t in tasks}
    infeasible = [t for t in tasks if t.evaluator.funcs == ["infeasible"]]
    assert len(tasks) >= 60 and len(domains) >= 7, (len(tasks), sorted(d or "" for d in domains))
    assert len(infeasible) / len(tasks) >= 0.08
    assert [t.key for t in tasks if not t.solution or not t.source] == []


def test_tasks_check_reports_every_bad_file_and_the_rest(tmp_path: Path) -> None:
    """A folder with a broken file: the broken one is listed as invalid, the others assessed, exit 1."""
    from typer.testing import CliRunner

    from harness.cli.app import app

    (tmp_path / "os").mkdir()
    (tmp_path / "os" / "good.json").write_text((REPO / "tasks" / "smoke" / "terminal" / "count-errors.json").read_text())
    (tmp_path / "os" / "bad.json").write_text('{"id": 3')
    result = CliRunner().invoke(app, ["tasks", "check", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "invalid" in result.output and "bad.json: not valid JSON" in result.output
    assert "1 files did not load" in " ".join(result.output.split())
