"""The run folder format without containers: attempts, torn lines, Parquet, manifests, prefix eligibility."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from harness.errors import ConfigError, DeskbenchError
from harness.runner.prefix import expand_prefix, prefix_ineligible
from harness.runner.run import RunConfig, plan_jobs
from harness.runner.summary import denominators, prefix_savings
from harness.store.manifest import RunManifest, check_resume, suite_hash
from harness.store.records import CheckpointScore, EpisodeResult, TokenUsage
from harness.store.run_folder import RunFolder, RunFolderError, load_results
from harness.tasks import load_tasks
from harness.tasks.schema import Task

from .conftest import SMOKE

TASKS = load_tasks(SMOKE)


def record(episode_id: str = "d.t.b15.r0", status: str = "success", attempt: int = 0, **extra: object
           ) -> EpisodeResult:
    return EpisodeResult.model_validate({"run_id": "r", "episode_id": episode_id, "task_id": "t", "domain": "d",
                                         "agent": "a", "budget": 15, "status": status, "attempt": attempt, **extra})


def test_only_the_last_attempt_counts_and_every_attempt_is_kept(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    folder.create()
    folder.append_all([record(status="infra_error", will_retry=True),
                       record("d.u.b15.r0", status="failure")])
    assert folder.finished_ids() == {"d.u.b15.r0"}, "an attempt that will be retried is not finished"
    folder.append(record(status="success", attempt=1))
    assert folder.finished_ids() == {"d.t.b15.r0", "d.u.b15.r0"}
    frame = load_results(tmp_path)
    assert sorted(zip(frame["episode_id"], frame["status"], frame["attempts"], strict=True)) == [
        ("d.t.b15.r0", "success", 2), ("d.u.b15.r0", "failure", 1)]
    assert len(load_results(tmp_path, all_attempts=True)) == 3
    assert denominators(frame).describe() == "2 episodes (failure 1, success 1); 3 attempts (1 retried)"


def test_a_torn_last_line_is_cut_before_the_next_append(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    folder.create()
    folder.append(record())
    with open(folder.episodes_file, "a") as fh:
        fh.write('{"run_id": "r", "episode_')  # kill -9 in the middle of a write
    assert [r.episode_id for r in folder.results()] == ["d.t.b15.r0"]
    RunFolder(tmp_path).create()
    RunFolder(tmp_path).append(record("d.u.b15.r0"))
    assert [r.episode_id for r in folder.results()] == ["d.t.b15.r0", "d.u.b15.r0"]


def test_a_bad_line_in_the_middle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "episodes.jsonl").write_text("not json\n" + record().model_dump_json() + "\n")
    with pytest.raises(RunFolderError, match="episodes.jsonl:1"):
        RunFolder(tmp_path).results()


def test_version_1_records_still_load(tmp_path: Path) -> None:
    old = {k: v for k, v in json.loads(record().model_dump_json()).items()
           if k not in ("will_retry", "sweep", "derived_from", "checkpoints")}
    (tmp_path / "episodes.jsonl").write_text(json.dumps({**old, "record_version": 1}) + "\n")
    (loaded,) = RunFolder(tmp_path).results()
    assert loaded.record_version == 1 and loaded.sweep == "independent" and not loaded.will_retry


def test_consolidated_parquet_holds_every_attempt(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    folder.create()
    folder.append_all([record(status="infra_error", will_retry=True), record(attempt=1, checker={"note": "x"}),
                       record("d.t.b5.r0", derived_from="d.t.b15.r0",
                              checkpoints=[])])
    frame = pd.read_parquet(folder.consolidate())
    assert list(frame["attempt"]) == [0, 1, 0]
    assert frame["usage.input_tokens"].dtype.kind == "i"


def test_the_manifest_refuses_a_different_configuration_and_names_it(tmp_path: Path) -> None:
    old = RunManifest(deskbench_version="0", identity={"budgets": [15], "agent": "oracle"},
                      settings={"parallel": 1})
    check_resume(old, old.model_copy(update={"settings": {"parallel": 8}}), tmp_path)  # speed may change
    new = old.model_copy(update={"identity": {"budgets": [15, 50], "agent": "oracle"}})
    with pytest.raises(ConfigError, match=r"budgets: was \[15\], now \[15, 50\]"):
        check_resume(old, new, tmp_path)


def test_suite_hash_follows_content_not_order() -> None:
    changed = [TASKS[0].model_copy(update={"instruction": TASKS[0].instruction + "!"}), *TASKS[1:]]
    assert suite_hash(TASKS) == suite_hash(list(reversed(TASKS)))
    assert suite_hash(TASKS) != suite_hash(changed)


def test_suite_hash_follows_the_assets_too(tmp_path: Path) -> None:
    """An edited expected file changes what scores 1: the suite is not the same any more."""
    (tmp_path / "os").mkdir()
    (tmp_path / "os" / "assets").mkdir()
    (tmp_path / "os" / "t.json").write_text((SMOKE / "terminal" / "count-errors.json").read_text())
    gold = tmp_path / "os" / "assets" / "expected.txt"
    gold.write_text("3\n")
    before = suite_hash(load_tasks(tmp_path))
    gold.write_text("4\n")
    assert suite_hash(load_tasks(tmp_path)) != before


def _with_getter(task: Task, getter: dict[str, object]) -> Task:
    data = task.model_dump(mode="json")
    data["evaluator"]["result"] = getter
    return Task.model_validate(data)


def test_prefix_eligibility_is_conservative() -> None:
    task = next(t for t in TASKS if t.id == "count-errors")
    assert all(prefix_ineligible(t) is None for t in TASKS), "the smoke suite only reads to score"
    assert prefix_ineligible(_with_getter(task, {"type": "vm_command_line", "command": "ls ~ 2>&1 | wc -l"})) is None
    for command in ("rm -f ~/x; cat ~/y", "cat a > b", "echo $(touch x)", "python3 -c 'print(1)'"):
        reason = prefix_ineligible(_with_getter(task, {"type": "vm_command_line", "command": command}))
        assert reason is not None and "vm_command_line" in reason, command
    data = task.model_dump(mode="json")
    data["evaluator"]["postconfig"] = [{"type": "execute", "parameters": {"command": "true"}}]
    assert prefix_ineligible(Task.model_validate(data)) == "its evaluator has postconfig steps"
    assert prefix_ineligible(_with_getter(task, {"type": "chrome_prefs"})) is not None


def test_prefix_plan_falls_back_per_task_and_says_why() -> None:
    task = next(t for t in TASKS if t.id == "count-errors")
    data = task.model_dump(mode="json")
    data["id"] = "with-postconfig"
    data["evaluator"]["postconfig"] = [{"type": "execute", "parameters": {"command": "true"}}]
    run_plan = plan_jobs([task, Task.model_validate(data)], RunConfig(budgets=(15, 5, 50), sweep="prefix"))
    assert [(j.spec.task.id, j.spec.budget, j.spec.checkpoints, j.budgets) for j in run_plan.jobs] == [
        ("count-errors", 50, (5, 15), (5, 15, 50)),
        ("with-postconfig", 5, (), (5,)), ("with-postconfig", 15, (), (15,)), ("with-postconfig", 50, (), (50,))]
    assert run_plan.fallback == {"terminal/with-postconfig": "its evaluator has postconfig steps"}


def test_expand_prefix_uses_checkpoints_and_the_final_state_after_an_early_stop() -> None:
    main = record("d.t.b50.r0", budget=50, status="success", score=1.0, steps_used=7, last_control="DONE",
                  usage=TokenUsage(input_tokens=700, cost_usd=0.7),
                  checkpoints=[CheckpointScore(steps=5, status="failure", score=0.0,
                                               usage=TokenUsage(input_tokens=500, cost_usd=0.5))])
    out = expand_prefix(main, [5, 15], ["d.t.b5.r0", "d.t.b15.r0"])
    assert [(r.episode_id, r.budget, r.status, r.steps_used, r.last_control, r.derived_from) for r in out] == [
        ("d.t.b5.r0", 5, "failure", 5, None, "d.t.b50.r0"),
        ("d.t.b15.r0", 15, "success", 7, "DONE", "d.t.b50.r0"),  # stopped at 7 < 15: the final state counts
        ("d.t.b50.r0", 50, "success", 7, "DONE", None)]
    frame = pd.json_normalize([r.model_dump(mode="json") for r in out])
    savings = prefix_savings(frame)
    assert (savings.episodes, savings.turns, savings.tokens) == (2, 12, 1200)


# ---- one path from options to a run: the command and run_suite ---------------------------------------------------


def cli_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", "run", *args], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.mark.parametrize(("cli", "python", "message"), [
    (["--sweep", "diagonal"], {"sweep": "diagonal"}, "--sweep must be independent or prefix, got 'diagonal'"),
    (["--agent", "no-such-agent"], {"agent": "no-such-agent"}, "no-such-agent"),
])
def test_the_command_and_run_suite_refuse_a_bad_option_with_the_same_line(
        cli: list[str], python: dict[str, Any], message: str, tmp_path: Path) -> None:
    from harness.runner import run_suite

    suite = str(SMOKE / "text_editor" / "change-port.json")
    done = cli_run("--suite", suite, "--run-dir", str(tmp_path / "cli"), *cli)
    assert done.returncode == 1 and message in done.stderr
    with pytest.raises(DeskbenchError) as caught:
        run_suite(suite, run_dir=tmp_path / "py", **python)
    assert done.stderr.splitlines() == [f"deskbench: error: {caught.value}"], "the same one line from both"
    assert not (tmp_path / "cli").exists() and not (tmp_path / "py").exists()


@pytest.mark.docker
def test_the_command_and_run_suite_make_the_same_run_in_the_same_results_folder(
        tmp_path: Path, desktop_image: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Policy, allowed hosts, checker semantics, seed and budgets reach the manifest the same way from both."""
    from harness.runner import run_suite

    suite = str(SMOKE / "text_editor" / "change-port.json")
    monkeypatch.setenv("DESKBENCH_RESULTS", str(tmp_path / "results"))
    done = cli_run("--suite", suite, "--agent", "noop", "--budgets", "1", "--seed", "7", "--policy", "default",
                   "--allow-host",
                   "example.org", "--checkers", "strict", "--parallel", "1", "--quiet", env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    frame = run_suite(suite, agent="noop", budgets=(1,), seed=7, policy="default", allow_hosts=["example.org"],
                      checkers="strict", parallel=1)
    folders = sorted(p for p in (tmp_path / "results").iterdir())
    assert len(folders) == 2 and Path(frame.attrs["run_dir"]) in folders, "both in the one default results folder"
    manifests = [json.loads((f / "manifest.json").read_text()) for f in folders]
    for m in manifests:
        for run_specific in ("created_at", "files"):
            m.pop(run_specific)
    assert manifests[0] == manifests[1]
    assert manifests[0]["identity"]["allow_hosts"] == ["example.org"] and manifests[0]["checkers"] == "strict"
    assert list(load_results(folders[0])["status"]) == list(frame["status"]) == ["failure"]  # noop, scored
