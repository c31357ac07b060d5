"""Bad input gives one clear error line naming what was wrong, a non-zero exit, no traceback,
and loses nothing already finished."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import ImageNotFound, TaskFileError, UnknownActionError
from harness.tasks import load_tasks

from .conftest import SMOKE


def deskbench(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("deskbench: error:")]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def write_task(folder: Path, name: str, data: object) -> Path:
    path = folder / "terminal" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


GOOD = json.loads((SMOKE / "terminal" / "count-errors.json").read_text())


def test_malformed_json_names_file_and_position(tmp_path: Path) -> None:
    path = write_task(tmp_path, "broken.json", '{"id": "x", "instruction": ')
    with pytest.raises(TaskFileError, match=r"broken\.json: not valid JSON: .* line 1 column"):
        load_tasks(tmp_path)
    assert_one_line_error(deskbench("run", "--suite", str(path)), "broken.json", "not valid JSON")


def test_missing_field_names_file_and_json_path(tmp_path: Path) -> None:
    bad = {k: v for k, v in GOOD.items() if k != "instruction"}
    write_task(tmp_path, "noinstr.json", bad)
    assert_one_line_error(deskbench("tasks", "list", str(tmp_path)), "noinstr.json", "$.instruction", "required")


def test_wrong_type_deep_in_evaluator_names_the_path(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(GOOD))
    bad["evaluator"]["conj"] = "xor"
    write_task(tmp_path, "conj.json", bad)
    with pytest.raises(TaskFileError, match=r"conj\.json: \$\.evaluator\.conj"):
        load_tasks(tmp_path)


def test_unknown_action_in_solution_is_named(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(GOOD))
    bad["solution"] = [{"tool": "computer", "action": "left_clik", "coordinate": [1, 2]}]
    write_task(tmp_path, "action.json", bad)
    assert_one_line_error(deskbench("run", "--suite", str(tmp_path), "--run-dir", str(tmp_path / "r")),
                          "action.json", "$.solution[0]", "left_clik")


def test_unknown_action_from_parse_action() -> None:
    from harness.actions import parse_action

    with pytest.raises(UnknownActionError, match="solution\\[3\\]: unknown tool 'mouse'"):
        parse_action({"tool": "mouse", "action": "click"}, "solution[3]")


def test_unknown_agent_fails_before_any_container(tmp_path: Path) -> None:
    assert_one_line_error(deskbench("run", "--agent", "nosuch", "--run-dir", str(tmp_path / "r")), "nosuch")


def test_daemon_down_is_one_line(tmp_path: Path) -> None:
    env = {"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    proc = deskbench("run", "--run-dir", str(tmp_path / "r"), env=env)
    assert_one_line_error(proc, "Docker engine does not answer")
    proc = deskbench("images", "build", "desktop", env=env)
    assert_one_line_error(proc, "Docker engine does not answer")


@pytest.mark.docker
def test_unknown_image_is_one_line(tmp_path: Path, desktop_image: str) -> None:
    bad = dict(GOOD, image="nosuchimage")
    write_task(tmp_path, "img.json", bad)
    with pytest.raises(ImageNotFound, match="unknown image 'nosuchimage'"):
        from harness.sandbox.images import resolve_image
        resolve_image("nosuchimage")
    assert_one_line_error(deskbench("images", "build", "nosuchimage"), "unknown image 'nosuchimage'")


@pytest.mark.docker
def test_a_missing_image_stops_the_run_before_it_starts_and_keeps_finished_results(tmp_path: Path,
                                                                                    desktop_image: str) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    write_task(good, "a-good.json", GOOD)
    write_task(bad, "a-good.json", GOOD)
    write_task(bad, "b-bad-image.json", dict(GOOD, id="count-errors-2", image="deskbench/nosuch:1"))
    run_dir = tmp_path / "run"
    assert deskbench("run", "--suite", str(good), "--run-dir", str(run_dir), "--quiet").returncode == 0
    before = (run_dir / "episodes.jsonl").read_text()
    assert json.loads(before)["status"] == "success"
    proc = deskbench("run", "--suite", str(bad), "--run-dir", str(run_dir), "--quiet")
    assert_one_line_error(proc, "deskbench/nosuch:1", "does not exist")
    assert (run_dir / "episodes.jsonl").read_text() == before
