"""``deskbench rescore`` on a real run of the light desktop: the same checkers give the same scores, a corrected
checker changes exactly its episodes, a live-state getter is named, and bad input stops with one line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.runner.rescore import Rescored, RescoreError, compare_table, rescore_run
from harness.store import RunFolder
from harness.store.snapshot import ARCHIVE_FILE, MANIFEST_FILE, SNAPSHOT_DIR, read_manifest
from harness.store.trajectory import episode_folder
from harness.tasks import load_tasks
from harness.tasks.schema import Evaluator, Task

from .conftest import SMOKE

LIVE = Evaluator.model_validate({"func": "check_include_exclude", "result": {"type": "accessibility_tree"},
                                 "expected": {"type": "rule", "rules": {"include": ["desktop-frame"], "exclude": []}}})


def _tasks() -> list[Task]:
    files = load_tasks(SMOKE / "files")
    live = files[0].model_copy(update={"id": "live-tree", "evaluator": LIVE})
    return [*files, live]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, desktop_image: str) -> Path:
    """One oracle run of the two file tasks and a task scored from the accessibility tree."""
    from harness.runner import RunConfig, execute_run

    folder = RunFolder(tmp_path_factory.mktemp("rescore") / "pytest-rescore")
    execute_run(_tasks(), RunConfig(agent="oracle", image=desktop_image), folder)
    return folder.path


def _rows(result: Rescored) -> dict[str, tuple[float | None, float | None, str]]:
    return {r.episode_id.split(".")[1]: (r.old, r.new, r.note) for r in result.rows}


def test_same_checkers_same_scores_and_live_state_named(run: Path, tmp_path: Path) -> None:
    before = (run / "episodes.jsonl").read_bytes()
    result = rescore_run(run, _tasks(), out=tmp_path / "view")
    rows = _rows(result)
    assert rows["rename-photos"][:2] == rows["sort-downloads"][:2] == (1.0, 1.0)
    assert rows["rename-photos"][2] == rows["sort-downloads"][2] == ""  # rescored, not kept
    assert rows["live-tree"][2] == "not re-scorable: live application state (accessibility_tree)"
    assert (run / "episodes.jsonl").read_bytes() == before
    new = {r.task_id: r for r in RunFolder(tmp_path / "view").results()}
    assert new["sort-downloads"].checker["rescored"] == {"from_score": 1.0, "from_checkers": "osworld"}
    assert "0 of 3 episodes changed under osworld (tasks as the run had them)" in compare_table(result)


def test_a_corrected_checker_changes_exactly_its_episodes(run: Path, tmp_path: Path) -> None:
    tasks = _tasks()
    assert tasks[1].id == "sort-downloads"
    fixed = {**tasks[1].evaluator.model_dump(exclude_none=True), "expected": [  # a stricter expected listing
        {"type": "rule", "rules": {"expected": "report.txt\n"}}, {"type": "rule", "rules": {"expected": "x"}}]}
    tasks[1] = tasks[1].model_copy(update={"evaluator": Evaluator.model_validate(fixed)})
    result = rescore_run(run, tasks, "strict", out=tmp_path / "fixed")
    changed = [r.episode_id.split(".")[1] for r in result.rows if r.changed]
    assert changed == ["sort-downloads"] and _rows(result)["sort-downloads"][1] == 0.0
    assert {r.checkers for r in RunFolder(tmp_path / "fixed").results() if r.task_id != "live-tree"} == {"strict"}


def _copy(run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    return copy


def _snapshot(run: Path, task: str) -> Path:
    record = next(r for r in RunFolder(run).results() if r.task_id == task)
    folder = episode_folder(run, record.episode_id)
    assert read_manifest(folder) is not None
    return folder / SNAPSHOT_DIR


def _one_line(run: Path, expected: str) -> None:
    before = sorted(p.name for p in run.iterdir())
    with pytest.raises(RescoreError) as caught:
        rescore_run(run, _tasks())
    assert "\n" not in str(caught.value) and expected in str(caught.value)
    assert sorted(p.name for p in run.iterdir()) == before  # no rescored-* folder: nothing written


def test_corrupt_snapshot_is_one_line(run: Path, tmp_path: Path) -> None:
    copy = _copy(run, tmp_path)
    archive = _snapshot(copy, "sort-downloads") / ARCHIVE_FILE
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    _one_line(copy, "corrupt snapshot")


def test_missing_image_is_one_line(run: Path, tmp_path: Path) -> None:
    copy = _copy(run, tmp_path)
    file = _snapshot(copy, "rename-photos") / MANIFEST_FILE
    manifest = json.loads(file.read_text())
    manifest["image_id"] = "sha256:" + "0" * 64
    file.write_text(json.dumps(manifest))
    _one_line(copy, "is no longer in the Docker engine")


def test_older_record_version_is_one_line(run: Path, tmp_path: Path) -> None:
    copy = _copy(run, tmp_path)
    lines = [json.loads(line) for line in (copy / "episodes.jsonl").read_text().splitlines()]
    (copy / "episodes.jsonl").write_text("".join(json.dumps({**line, "record_version": 5}) + "\n" for line in lines))
    _one_line(copy, "records of version 5")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", "rescore", *args], capture_output=True, text=True,
                          timeout=600, check=False)


def test_cli_rescores_with_a_checker_fixed_in_the_suite_files(run: Path, tmp_path: Path) -> None:
    """The suite as it is on disk now: an edited expected value in the task file reaches the old run."""
    suite = tmp_path / "files"
    shutil.copytree(SMOKE / "files", suite)
    task = json.loads((suite / "rename-photos.json").read_text())
    task["evaluator"]["expected"]["rules"]["include"].append("missing.jpg")
    (suite / "rename-photos.json").write_text(json.dumps(task))
    done = _cli(str(run), "--tasks", str(suite), "--out", str(tmp_path / "view"))
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.startswith("files.")}
    assert lines["files.rename-photos.b15.r0"].split()[1:4] == ["1", "0", "changed"]
    assert lines["files.sort-downloads.b15.r0"].split()[1:] == ["1", "1"]
    assert "is not in the given tasks" in lines["files.live-tree.b15.r0"]
    assert "1 of 3 episodes changed under osworld (tasks changed since the run)" in done.stdout


def test_cli_bad_input_is_one_line(run: Path, tmp_path: Path) -> None:
    (tmp_path / "view").mkdir()
    done = _cli(str(run), "--tasks", str(SMOKE / "files"), "--out", str(tmp_path / "view"))
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "already exists; rescore never overwrites" in done.stderr
    done = _cli(str(run), "--tasks", str(SMOKE / "files"), "--checkers", "lenient")
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "choose one of osworld, strict" in done.stderr


def _broken(result: object, expected: object, **options: object) -> float:
    raise ValueError("a checker bug")


def _fixed(result: object, expected: object, **options: object) -> float:
    return float(result == "report.txt\ntodo.txt\n")


def test_a_checker_error_is_scored_once_the_checker_is_fixed(tmp_path: Path, desktop_image: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.checkers import METRICS
    from harness.runner import RunConfig, execute_run

    base = next(t for t in load_tasks(SMOKE / "files") if t.id == "sort-downloads")
    evaluator = base.evaluator.model_dump(exclude_none=True)
    evaluator.update(func="pytest_rescore_metric", result=evaluator["result"][0], expected=evaluator["expected"][0])
    task = base.model_copy(update={"evaluator": Evaluator.model_validate(evaluator)})
    folder = RunFolder(tmp_path / "pytest-rescore-checker-error")
    monkeypatch.setitem(METRICS, "pytest_rescore_metric", _broken)
    (record,) = execute_run([task], RunConfig(agent="oracle", image=desktop_image), folder)
    assert record.status == "checker_error" and "a checker bug" in (record.error or "")
    monkeypatch.setitem(METRICS, "pytest_rescore_metric", _fixed)
    result = rescore_run(folder.path, [task], out=tmp_path / "view")
    assert [(r.old, r.new, r.note) for r in result.rows] == [(None, 1.0, "")]
    (new,) = RunFolder(tmp_path / "view").results()
    assert new.status == "success" and new.error is None
