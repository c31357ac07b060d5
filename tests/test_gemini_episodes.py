"""`deskbench run --suite tasks/smoke --agent gemini` in real desktops against the local generateContent server:
every smoke task solved by its reference solution said in Gemini's action set, and tokens and dollars equal to the
server's usage priced by the table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.mockapi import load_scripts
from harness.mockapi.gemini_server import GeminiServer
from harness.sandbox.engine import list_containers
from harness.tasks import load_tasks

from .conftest import REPO, SMOKE

pytestmark = pytest.mark.docker


def test_the_cli_solves_the_smoke_suite_with_gemini_and_bills_what_the_server_reported(
        tmp_path: Path, desktop_image: str) -> None:
    run_dir = tmp_path / "pytest-gemini-smoke"
    with GeminiServer(load_scripts(SMOKE)) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "harness.cli", "run", "--suite", str(SMOKE), "--agent", "gemini",
             "--parallel", "2", "--run-dir", str(run_dir)],
            capture_output=True, text=True, timeout=300,
            env={**os.environ, "GEMINI_API_KEY": "pytest-key", "GOOGLE_GEMINI_BASE_URL": server.url})
        billed = [c.usage for c in server.successful_calls() if c.usage]
    assert proc.returncode == 0, proc.stderr
    # this run's containers are gone (a shared check would also see other suites' runs in progress)
    assert not list_containers({"label": [f"deskbench.run={run_dir.name}"]})
    records = [json.loads(line) for line in (run_dir / "episodes.jsonl").read_text().splitlines()]
    tasks = {t.id for t in load_tasks(SMOKE)}
    assert {r["task_id"] for r in records} == tasks
    wrong = {r["task_id"]: (r["status"], r.get("error")) for r in records if r["status"] != "success"}
    assert not wrong, wrong
    assert all(r["agent"] == "gemini" and r["model"] == "gemini-2.5-computer-use-preview-10-2025" for r in records)
    assert sum(r["usage"]["calls"] for r in records) == len(billed) == len(server.calls)
    cached = sum(u.get("cachedContentTokenCount", 0) for u in billed)
    assert sum(r["usage"]["cache_read_tokens"] for r in records) == cached > 0
    assert sum(r["usage"]["input_tokens"] for r in records) == sum(u["promptTokenCount"] for u in billed) - cached
    assert sum(r["usage"]["output_tokens"] for r in records) == sum(u["candidatesTokenCount"] for u in billed)
    table = json.loads((REPO / "harness" / "agents" / "pricing.json").read_text())
    price = table["models"]["gemini-2.5-computer-use-preview"]
    dollars = sum((u["promptTokenCount"] - u.get("cachedContentTokenCount", 0)) * price["input"]
                  + u.get("cachedContentTokenCount", 0) * price["input"] * table["cache_read_multiplier"]
                  + u["candidatesTokenCount"] * price["output"] for u in billed) / 1e6
    assert sum(r["usage"]["cost_usd"] for r in records) == pytest.approx(dollars, rel=1e-9)
