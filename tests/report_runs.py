"""Real runs made once per test session, for the report, plot, notebook, viewer and export tests.

Three run folders over the smoke suite, each made by the real runner in real containers:

- ``oracle``: the reference-solution agent at budgets 1 and 15 (prefix sweep), two repeats --
  budget 1 fails the multi-step tasks, so success differs by budget; repeats give pass@k.
- ``noop``: does nothing at budgets 1 and 15 (fails everything): the other side of a paired comparison.
- ``claude``: Claude's tools against the local mock of the Messages API (reference solutions replayed),
  budget 15: real token counts and dollar costs in the records, and screenshots with clicks and typing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.agents.spec import build_spec
from harness.mockapi import MockServer, load_scripts
from harness.runner.run import RunConfig, execute_run
from harness.store.run_folder import RunFolder
from harness.tasks import load_tasks

SMOKE = Path(__file__).resolve().parents[1] / "tasks" / "smoke"
CLAUDE_MODEL = "claude-sonnet-4-5"


def make_report_runs(root: Path) -> dict[str, Path]:
    """The three run folders under ``root`` (ids start with ``pytest-`` so leftover checks see them)."""
    tasks = load_tasks(SMOKE)
    runs = {name: root / f"pytest-report-{name}" for name in ("oracle", "noop", "claude")}
    execute_run(tasks, RunConfig(agent="oracle", budgets=(1, 15), repeats=2, sweep="prefix", parallel=2),
                RunFolder(runs["oracle"]))
    execute_run(tasks, RunConfig(agent="noop", budgets=(1, 15), parallel=2), RunFolder(runs["noop"]))
    old_key = os.environ.get("ANTHROPIC_API_KEY")
    os.environ["ANTHROPIC_API_KEY"] = "pytest-key"  # the mock ignores it; the SDK wants one
    try:
        with MockServer(load_scripts(SMOKE)) as server:
            spec = build_spec("claude", {"model": CLAUDE_MODEL, "base_url": server.url})
            execute_run(tasks, RunConfig(agent=spec, budgets=(15,), parallel=2), RunFolder(runs["claude"]))
    finally:
        if old_key is None:
            os.environ.pop("ANTHROPIC_API_KEY", None)
        else:
            os.environ["ANTHROPIC_API_KEY"] = old_key
    return runs


def counted_records(run: Path) -> list[dict[str, Any]]:
    """The counted attempt of each episode, read straight from the JSON lines (not through load_results),
    so the report tests check the report code against the raw data."""
    latest: dict[str, dict[str, Any]] = {}
    for line in (run / "episodes.jsonl").read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            seen = latest.get(record["episode_id"])
            if seen is None or record["attempt"] >= seen["attempt"]:
                latest[record["episode_id"]] = record
    return list(latest.values())


def deskbench(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess, its output captured."""
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, timeout=300,
                          check=False)
