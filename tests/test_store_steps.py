"""Typed trajectory records: what the runner writes, the viewer and loaders read back, by the same models.

A step written through ``TrajectoryWriter`` comes back from ``read_steps``
field for field (provider extras of a model call included); lines of the
first format, without the fields added since, still load; a record of a
newer version is refused with one line naming file and line; and the viewer
shows every field a step record has.
"""

from __future__ import annotations

import html
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from PIL import Image

from harness.report.viewer import build_site
from harness.report.viewer.data import trajectory_id
from harness.runner.episode import EpisodeSpec
from harness.store.manifest import MANIFEST, read_manifest
from harness.store.records import RECORD_VERSION, EpisodeResult, TokenUsage
from harness.store.run_folder import RunFolder
from harness.store.step_frames import load_calls, load_steps
from harness.store.steps import STEP_VERSION, ActionResult, ModelCall, StepRecord
from harness.store.trajectory import (
    TrajectoryError,
    TrajectoryWriter,
    episode_folder,
    read_steps,
    trajectory_name,
)
from harness.store.values import Screenshot
from harness.store.versions import NewerRecordError
from harness.tasks import load_tasks

from .conftest import SMOKE


def shot(size: tuple[int, int] = (64, 40)) -> Screenshot:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="PNG")
    return Screenshot(buffer.getvalue(), "image/png", *size)


def full_step() -> StepRecord:
    """A step with every field set to a value of its own, and fields no model names (a newer agent's)."""
    call = ModelCall.model_validate({
        "step": 0, "model": "model-under-test", "request_id": "req_0a1b2c", "stop_reason": "tool_use", "streamed": True,
        "input_tokens": 4321, "output_tokens": 87, "cache_write_tokens": 1500, "cache_read_tokens": 2900,
        "cost_usd": 0.0123, "latency_s": 2.75, "wall_s": 9.5, "retries": 2, "retried_s": 6.25,
        "attempts": [{"status": 529, "error": "overloaded_error", "seconds": 0.5, "wait_s": 2.0}], "images_sent": 3,
        "provider_trace": "trace-7f3e"})
    return StepRecord.model_validate({
        "version": STEP_VERSION, "step": 0, "time": 1_700_000_000.0, "screenshot": None, "screen": None,
        "text": "I will open the settings menu", "control": "WAIT",
        "actions": [{"tool": "computer", "action": "left_click", "coordinate": [12, 30]},
                    {"tool": "bash", "command": "ls /tmp/marker-dir"}],
        "results": [{"output": "clicked-output", "error": None, "screenshot": True},
                    {"output": None, "error": "bash-error-text", "screenshot": False}],
        "usage": TokenUsage(input_tokens=4321, output_tokens=87, cache_write_tokens=1500, cache_read_tokens=2900,
                            cost_usd=0.0123, calls=2, retries=2, retried_seconds=6.25).model_dump(),
        "calls": [call.model_dump()], "think_seconds": 3.5, "env_seconds": 0.75,
        "policy": [{"rule": "no-shell-rm", "decision": "deny", "verdict": "denied", "action": "bash rm -rf marker"}],
        "reflection": "an agent's own field",
    })


def test_a_written_step_reads_back_field_for_field(tmp_path: Path) -> None:
    step = full_step()
    writer = TrajectoryWriter(tmp_path / "t")
    writer.step(step, shot())
    [back] = read_steps(tmp_path / "t")
    assert back.screenshot == "step-0000.png" and (tmp_path / "t" / back.screenshot).is_file()
    assert back.screen == (64, 40)
    assert back.model_dump(exclude={"screenshot", "screen"}) == step.model_dump(exclude={"screenshot", "screen"})
    assert back.calls[0].model_extra == {"provider_trace": "trace-7f3e"}, "a provider's own field is kept"
    assert back.model_extra == {"reflection": "an agent's own field"}


def test_screenshots_off_keeps_the_screen_size_but_writes_no_image(tmp_path: Path) -> None:
    TrajectoryWriter(tmp_path / "t", screenshots=False).step(full_step(), shot())
    [back] = read_steps(tmp_path / "t")
    assert back.screenshot is None and back.screen == (64, 40)
    assert not list((tmp_path / "t").glob("*.png"))


def test_first_format_lines_without_later_fields_still_load(tmp_path: Path) -> None:
    """A line as the first writer made it: no version, no calls, no policy, no time."""
    old = {"step": 3, "screenshot": "step-0003.png", "screen": [1280, 800], "text": "", "control": None,
           "actions": [{"tool": "computer", "action": "key", "text": "ctrl+s"}],
           "results": [{"output": None, "error": None}], "usage": {"input_tokens": 5, "output_tokens": 1,
                                                                    "cache_write_tokens": 0, "cache_read_tokens": 0,
                                                                    "cost_usd": 0.0},
           "think_seconds": 0.5, "env_seconds": 0.25}
    (tmp_path / "steps.jsonl").write_text(json.dumps(old) + "\n")
    [back] = read_steps(tmp_path)
    assert (back.version, back.step, back.screen, back.calls, back.policy, back.time) == (1, 3, (1280, 800), [], [],
                                                                                            None)
    assert back.results == [ActionResult()] and back.usage.input_tokens == 5


def test_a_torn_last_line_is_skipped_and_a_bad_middle_line_names_its_place(tmp_path: Path) -> None:
    good = full_step().model_dump_json()
    (tmp_path / "steps.jsonl").write_text(good + "\n" + good[:40])
    assert len(read_steps(tmp_path)) == 1
    (tmp_path / "steps.jsonl").write_text(good + "\n" + json.dumps({"step": "three"}) + "\n" + good + "\n")
    with pytest.raises(TrajectoryError, match=r"steps\.jsonl:2: not a step record: step: "):
        read_steps(tmp_path)


def test_a_newer_step_record_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    newer = {**full_step().model_dump(mode="json"), "version": STEP_VERSION + 1, "control": "SOMETHING_NEW"}
    (tmp_path / "steps.jsonl").write_text(full_step().model_dump_json() + "\n" + json.dumps(newer) + "\n")
    with pytest.raises(NewerRecordError, match=rf"steps\.jsonl:2: step record has version {STEP_VERSION + 1}, "
                                               rf"newer than this deskbench reads \(up to {STEP_VERSION}\)"):
        read_steps(tmp_path)


def episode(**fields: Any) -> EpisodeResult:
    return EpisodeResult.model_validate({"run_id": "r", "episode_id": "d.t.b3.r0", "task_id": "t", "domain": "d",
                                         "agent": "a", "budget": 3, "status": "failure", **fields})


def test_a_newer_episode_record_or_manifest_is_refused_before_its_values_are_judged(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path)
    folder.create()
    folder.append(episode())
    newer = {**episode().model_dump(mode="json"), "record_version": RECORD_VERSION + 1, "status": "a_new_status"}
    with open(folder.episodes_file, "a") as fh:
        fh.write(json.dumps(newer) + "\n" + episode().model_dump_json() + "\n")
    with pytest.raises(NewerRecordError, match=r"episodes\.jsonl:2: episode record has record_version"):
        folder.results()
    (tmp_path / MANIFEST).write_text(json.dumps({"manifest_version": 99, "deskbench_version": "9", "identity": {}}))
    with pytest.raises(NewerRecordError, match=r"manifest\.json: run manifest has manifest_version 99"):
        read_manifest(tmp_path)


def test_runner_viewer_and_store_name_a_trajectory_the_same_way() -> None:
    task = load_tasks(SMOKE)[0]
    for attempt in (0, 2):
        spec = EpisodeSpec(task, budget=5, repeat=1, attempt=attempt)
        record = episode(episode_id=spec.episode_id, attempt=attempt)
        assert spec.trajectory_id == trajectory_id(record) == trajectory_name(spec.episode_id, attempt)
    assert trajectory_name("x", 0) != trajectory_name("x", 1), "a retry must not overwrite the first attempt"


def leaves(value: Any) -> list[Any]:
    """Every scalar inside a JSON value (dict keys excluded)."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in leaves(v)]
    return [value]


def test_the_viewer_shows_every_field_a_step_record_has(tmp_path: Path) -> None:
    step = full_step()
    assert set(StepRecord.model_fields) <= step.model_fields_set, "the sample must set every field of the model"
    assert set(ModelCall.model_fields) <= step.calls[0].model_fields_set
    run = tmp_path / "run"
    RunFolder(run).create()
    RunFolder(run).append(episode(steps_used=1))
    TrajectoryWriter(episode_folder(run, "d.t.b3.r0")).step(step, shot())
    build_site([run], tmp_path / "site")
    page = html.unescape(next((tmp_path / "site" / "runs").rglob("d.t.b3.r0.html")).read_text())
    shown = [v for v in leaves(step.model_dump(mode="json", exclude={"version", "step", "screenshot", "screen",
                                                                   "actions"}))  # captioned: test_viewer
             if isinstance(v, str) and v]
    missing = [v for v in shown if v not in page]
    assert not missing, f"recorded but not shown: {missing}"
    for text in ("4,321", "2,900", "2.75", "2 retried (6.2 s lost)", "2023-11-14 22:13:20 UTC",
                 "returned a screenshot", "denied: bash rm -rf marker", "provider_trace"):
        assert text in page, text


def test_step_and_call_frames_follow_the_counted_attempt_and_skip_derived_records(tmp_path: Path) -> None:
    run = tmp_path / "run"
    folder = RunFolder(run)
    folder.create()
    first = episode(status="infra_error", will_retry=True)
    retry = episode(attempt=1, steps_used=2)
    derived = episode(episode_id="d.t.b1.r0", budget=1, derived_from="d.t.b3.r0", attempt=1)
    folder.append_all([first, retry, derived])
    TrajectoryWriter(episode_folder(run, trajectory_name(first.episode_id, 0))).step(full_step(), shot())
    writer = TrajectoryWriter(episode_folder(run, trajectory_name(retry.episode_id, 1)))
    for n in range(2):
        writer.step(full_step().model_copy(update={"step": n}), shot())
    steps = load_steps(run)
    assert list(zip(steps["attempt"], steps["step"], strict=True)) == [(1, 0), (1, 1)]
    assert list(steps["usage.retries"]) == [2, 2] and list(steps["calls"]) == [1, 1]
    assert list(steps["reflection"]) == ["an agent's own field"] * 2
    calls = load_calls(run, all_attempts=True)
    assert sorted(zip(calls["attempt"], calls["step"], strict=True)) == [(0, 0), (1, 0), (1, 1)]
    assert set(calls["provider_trace"]) == {"trace-7f3e"} and set(calls["request_id"]) == {"req_0a1b2c"}


@pytest.mark.docker
def test_export_writes_one_row_per_model_call_of_a_real_run(report_runs: dict[str, Path], tmp_path: Path) -> None:
    run = report_runs["claude"]
    target = tmp_path / "calls.parquet"
    done = subprocess.run([sys.executable, "-m", "harness.cli", "export", str(run), "--to", "parquet", "--rows",
                           "calls", "--out", str(target)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    frame = pd.read_parquet(target)
    counted = RunFolder(run).latest().values()
    raw = [json.loads(line) for r in counted if r.derived_from is None
           for line in (episode_folder(run, trajectory_name(r.episode_id, r.attempt)) / "steps.jsonl")
           .read_text().splitlines()]
    request_ids = sorted(call["request_id"] for line in raw for call in line["calls"])
    assert request_ids and sorted(frame["request_id"]) == request_ids
    assert frame["cost_usd"].sum() == pytest.approx(sum(call["cost_usd"] for line in raw for call in line["calls"]))
    bad = subprocess.run([sys.executable, "-m", "harness.cli", "export", str(run), "--to", "parquet", "--rows",
                          "turns", "--out", str(target)], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1 and "--rows must be episodes, steps or calls, got 'turns'" in bad.stderr


def test_the_viewer_shows_a_damaged_trajectory_on_its_page_and_refuses_a_newer_one(tmp_path: Path) -> None:
    run = tmp_path / "run"
    RunFolder(run).create()
    RunFolder(run).append(episode())
    folder = episode_folder(run, "d.t.b3.r0")
    TrajectoryWriter(folder).step(full_step(), shot())
    good = (folder / "steps.jsonl").read_text()
    (folder / "steps.jsonl").write_text(good + "{not json\n" + good)
    build_site([run], tmp_path / "site")
    page = html.unescape(next((tmp_path / "site" / "runs").rglob("d.t.b3.r0.html")).read_text())
    assert "the trajectory cannot be read: " in page and "steps.jsonl:2: not a JSON line" in page
    newer = json.dumps({**full_step().model_dump(mode="json"), "version": STEP_VERSION + 1})
    (folder / "steps.jsonl").write_text(good + newer + "\n")
    with pytest.raises(NewerRecordError, match=r"steps\.jsonl:2: step record has version"):
        build_site([run], tmp_path / "site2")
