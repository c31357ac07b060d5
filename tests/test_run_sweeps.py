"""Budget sweeps in real containers: a prefix sweep scores exactly what independent episodes score, and a task
whose scoring could change the desktop falls back to independent episodes, saying so."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.runner import RunConfig, execute_run
from harness.runner.summary import prefix_savings
from harness.store import RunFolder, load_results
from harness.store.manifest import read_manifest
from harness.tasks import load_tasks
from harness.tasks.schema import SetupStep

from .conftest import SMOKE

pytestmark = pytest.mark.docker
TASKS = load_tasks(SMOKE)
BUDGETS = (1, 2, 15)


def test_prefix_sweep_scores_like_independent_episodes(tmp_path: Path, desktop_image: str,
                                                       no_leftovers: None) -> None:
    independent = RunFolder(tmp_path / "pytest-sweep-independent")
    prefix = RunFolder(tmp_path / "pytest-sweep-prefix")
    execute_run(TASKS, RunConfig(budgets=BUDGETS, parallel=2), independent)
    execute_run(TASKS, RunConfig(budgets=BUDGETS, parallel=2, sweep="prefix"), prefix)
    a, b = load_results(independent.path), load_results(prefix.path)
    outcome = ["episode_id", "status", "score", "steps_used"]
    assert len(a) == len(b) == len(TASKS) * len(BUDGETS)
    assert a[outcome].sort_values("episode_id").values.tolist() == b[outcome].sort_values("episode_id").values.tolist()
    assert set(a["status"]) == {"success", "failure"}, "budgets 1 and 2 must cut some oracle runs short"
    assert (b["sweep"] == "prefix").all() and (a["sweep"] == "independent").all()
    assert b["derived_from"].notna().sum() == len(TASKS) * 2
    containers = len(list((prefix.path / "episodes").iterdir()))
    assert containers == len(TASKS), "one episode (one container) per task in a prefix sweep"
    assert prefix_savings(b).turns == int(a[a["budget"] < 15]["steps_used"].sum())


def test_a_task_with_postconfig_falls_back_to_independent_episodes(tmp_path: Path, desktop_image: str,
                                                                   no_leftovers: None) -> None:
    base = next(t for t in TASKS if t.id == "count-errors")
    step = SetupStep.model_validate({"type": "execute", "parameters": {"command": ["true"]}})
    guarded = base.model_copy(update={"id": "count-errors-postconfig",
                                      "evaluator": base.evaluator.model_copy(update={"postconfig": [step]})})
    folder = RunFolder(tmp_path / "pytest-sweep-fallback")
    execute_run([base, guarded], RunConfig(budgets=(1, 15), sweep="prefix"), folder)
    frame = load_results(folder.path).set_index("episode_id")
    assert frame.loc["terminal.count-errors-postconfig.b1.r0", "sweep"] == "independent"
    assert frame["derived_from"].isna()["terminal.count-errors-postconfig.b1.r0"]
    assert frame.loc["terminal.count-errors.b1.r0", "derived_from"] == "terminal.count-errors.b15.r0"
    assert (frame["status"] == "success").all()
    manifest = read_manifest(folder.path)
    assert manifest is not None
    assert manifest.prefix_fallback == {"terminal/count-errors-postconfig": "its evaluator has postconfig steps"}


def test_run_suite_from_python_returns_the_frame(tmp_path: Path, desktop_image: str, no_leftovers: None) -> None:
    from harness.runner import run_suite

    run_dir = tmp_path / "pytest-api"
    frame = run_suite(SMOKE / "terminal" / "count-errors.json", budgets=(1, 15), sweep="prefix", run_dir=run_dir)
    assert sorted(zip(frame["budget"], frame["status"], strict=True)) == [(1, "success"), (15, "success")]
    assert frame.attrs["run_dir"] == str(run_dir)
    assert (run_dir / "manifest.json").is_file() and (run_dir / "results.parquet").is_file()


def test_screenshots_off_keeps_the_final_screen_and_the_verdict(tmp_path: Path, desktop_image: str,
                                                                no_leftovers: None) -> None:
    from harness.runner import run_suite

    run_dir = tmp_path / "pytest-no-screenshots"
    frame = run_suite(SMOKE / "terminal" / "count-errors.json", run_dir=run_dir, screenshots=False)
    assert list(frame["status"]) == ["success"]
    [episode] = (run_dir / "episodes").iterdir()
    names = sorted(p.name for p in episode.iterdir())
    assert "final.png" in names and "checker.json" in names and "steps.jsonl" in names
    assert not [n for n in names if n.startswith("step-")], names
