"""A bug in deskbench's own code is ``harness_error``: its traceback on disk, never retried as infrastructure."""

from __future__ import annotations

from pathlib import Path

import pytest

import harness.runner.episode as episode_module
from harness.runner.run import RunConfig, execute_run
from harness.store.run_folder import RunFolder
from harness.store.trajectory import episode_folder
from harness.tasks.loader import load_tasks

from .conftest import SMOKE


def test_an_exception_in_deskbench_code_is_a_harness_error_with_its_traceback(
        tmp_path: Path, desktop_image: str, no_leftovers: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a field deskbench forgot")

    monkeypatch.setattr(episode_module, "_evaluate_final", broken)
    task = load_tasks(SMOKE / "terminal" / "hello-file.json")
    folder = RunFolder(tmp_path / "pytest-harness-error")
    records = execute_run(task, RunConfig(agent="oracle", retries=2), folder)
    assert [(r.status, r.attempt, r.will_retry) for r in records] == [("harness_error", 0, False)], \
        "one attempt, not retried as infrastructure"
    assert "KeyError" in (records[0].error or "") and "traceback.txt" in (records[0].error or "")
    text = (episode_folder(folder.path, records[0].episode_id) / "traceback.txt").read_text()
    assert "Traceback (most recent call last)" in text and "in broken" in text and "a field deskbench forgot" in text


def test_an_engine_error_stays_an_infrastructure_error() -> None:
    import docker.errors

    status, _ = episode_module._status_of(docker.errors.APIError("engine said no"), "agent")
    assert status == "infra_error"
    status, _ = episode_module._status_of(ConnectionResetError("socket"), "agent")
    assert status == "infra_error"
    status, message = episode_module._status_of(AttributeError("'NoneType' object has no attribute 'x'"), "setup")
    assert status == "harness_error" and "deskbench bug" in message
