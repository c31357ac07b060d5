"""`deskbench run --agent openai` against the local Responses API solves the smoke suite in real desktops, and its
tokens and dollars are what the server billed, priced by the price table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.mockapi import load_scripts
from harness.mockapi.openai_responses import ResponsesMockServer

from .conftest import REPO, SMOKE

pytestmark = pytest.mark.docker


def openai_containers() -> set[str]:
    """Containers of this module's runs (named pytest-openai-...): other suites may run at the same time."""
    from harness.sandbox.engine import docker_client

    found = docker_client().api.containers(all=True, filters={"label": ["deskbench.run"]})
    return {str(c["Id"]) for c in found if str(c["Labels"].get("deskbench.run", "")).startswith("pytest-openai-")}


@pytest.fixture
def no_openai_leftovers() -> Iterator[None]:
    before = openai_containers()
    yield
    after = openai_containers() - before
    assert not after, f"containers left behind: {sorted(after)}"


def test_the_cli_solves_the_smoke_suite_with_the_openai_agent_billed_as_the_server_reported(
        tmp_path: Path, desktop_image: str, no_openai_leftovers: None) -> None:
    run_dir = tmp_path / "pytest-openai-smoke"
    with ResponsesMockServer(load_scripts(SMOKE)) as server:
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "harness.cli", "run", "--suite", str(SMOKE), "--agent", "openai",
             "--agent-option", f"base_url={server.base_url}", "--run-dir", str(run_dir), "--quiet"],
            capture_output=True, text=True, timeout=300, env={**os.environ, "OPENAI_API_KEY": "pytest-key"})
        seconds = time.monotonic() - started
        billed: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for call in server.successful_calls():
            assert call.usage is not None
            billed[call.script][0] += call.usage["input_tokens"]
            billed[call.script][1] += call.usage["output_tokens"]
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = [json.loads(line) for line in (run_dir / "episodes.jsonl").read_text().splitlines()]
    assert {r["task_id"]: r["status"] for r in records} == {s.name: "success" for s in load_scripts(SMOKE)}
    price = json.loads((REPO / "harness" / "agents" / "pricing.json").read_text())["models"]["computer-use-preview"]
    for record in records:
        assert (record["agent"], record["model"]) == ("openai", "computer-use-preview")
        tokens_in, tokens_out = billed[record["task_id"]]
        assert (record["usage"]["input_tokens"], record["usage"]["output_tokens"]) == (tokens_in, tokens_out)
        assert record["usage"]["cost_usd"] == pytest.approx((tokens_in * price["input"]
                                                             + tokens_out * price["output"]) / 1e6)
    # each step's model call is in the trajectory with the server's request id and the response it chained to
    steps = [json.loads(line) for line in (run_dir / "episodes" / "terminal.env-report.b15.r0" / "steps.jsonl")
             .read_text().splitlines()]
    calls = [c for step in steps for c in step.get("calls", [])]
    assert len(calls) == 4 and all(c["request_id"].startswith("req_") and c["response_id"].startswith("resp_")
                                   for c in calls)
    print(f"openai smoke suite: {len(records)} episodes in {seconds:.1f} s")
