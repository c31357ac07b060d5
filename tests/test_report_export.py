"""``deskbench export``: Parquet and a Hugging Face dataset of real runs, and a clear error where pushing cannot work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from harness.report import to_dataset

pytestmark = pytest.mark.docker


def lines(run: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / "episodes.jsonl").read_text().splitlines() if line.strip()]


def deskbench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, timeout=300,
                          check=False, env=env)


def test_parquet_holds_every_episode(report_runs: dict[str, Path], tmp_path: Path) -> None:
    runs = [report_runs["oracle"], report_runs["claude"]]
    target = tmp_path / "out" / "episodes.parquet"
    proc = deskbench("export", *map(str, runs), "--to", "parquet", "--out", str(target))
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_parquet(target)
    records = [r for run in runs for r in lines(run)]
    assert sorted(zip(frame["run_id"], frame["episode_id"], strict=True)) == sorted(
        {(r["run_id"], r["episode_id"]) for r in records})  # one row per episode (its counted attempt)
    claude = frame[frame["agent"] == "claude"]
    assert claude["usage.cost_usd"].sum() == pytest.approx(sum(r["usage"]["cost_usd"]
                                                               for r in lines(report_runs["claude"])))
    assert str(frame["started_at"].dtype).startswith("datetime64") and "UTC" in str(frame["started_at"].dtype)
    checkpoints = frame[frame["checkpoints"].notna()]["checkpoints"]  # nested values: JSON text
    assert all(isinstance(json.loads(text), list) for text in checkpoints)


def test_dataset_saved_to_disk(report_runs: dict[str, Path], tmp_path: Path) -> None:
    from datasets import load_from_disk

    target = tmp_path / "dataset"
    proc = deskbench("export", str(report_runs["claude"]), "--to", "dataset", "--out", str(target))
    assert proc.returncode == 0, proc.stderr
    loaded = load_from_disk(str(target))
    claude = lines(report_runs["claude"])
    assert loaded.num_rows == len({r["episode_id"] for r in claude})
    assert sum(loaded["usage.cost_usd"]) == pytest.approx(sum(r["usage"]["cost_usd"] for r in claude))
    assert set(loaded["status"]) == {r["status"] for r in claude}
    again = deskbench("export", str(report_runs["claude"]), "--to", "dataset", "--out", str(target))
    assert again.returncode == 1 and "not empty" in again.stderr


def test_to_dataset_of_several_runs(report_runs: dict[str, Path]) -> None:
    dataset = to_dataset([report_runs["oracle"], report_runs["noop"]])
    assert dataset.num_rows == sum(len({r["episode_id"] for r in lines(report_runs[n])}) for n in ("oracle", "noop"))
    assert set(dataset["run_id"]) == {"pytest-report-oracle", "pytest-report-noop"}


def test_push_needs_a_token_and_a_network(report_runs: dict[str, Path], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env["HF_HOME"] = str(tmp_path / "hf-home")  # no saved login there
    run = str(report_runs["noop"])
    cases = [(env, "no Hugging Face token"), ({**env, "HF_HUB_OFFLINE": "1"}, "HF_HUB_OFFLINE")]
    for case_env, needle in cases:
        proc = deskbench("export", run, "--to", "dataset", "--push", "someone/deskbench-runs", env=case_env)
        lines_ = proc.stderr.strip().splitlines()
        assert proc.returncode == 1 and len(lines_) == 1 and needle in lines_[0], proc.stderr
    wrong = deskbench("export", run, "--to", "parquet", "--push", "someone/x", env=env)
    assert wrong.returncode == 1 and "--push needs --to dataset" in wrong.stderr
    missing = deskbench("export", run, "--to", "parquet", env=env)
    assert missing.returncode == 1 and "--out is required" in missing.stderr
