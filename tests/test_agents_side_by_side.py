"""Issue 18's "done": claude, openai, gemini and vlm each run the smoke suite through ``deskbench run`` in real
desktops against their local API servers, every task is solved, and one ``deskbench report`` over the four runs
shows the models side by side with tokens and dollars equal to what each server billed, priced by the table.

The four runs go at once (one episode each at a time), so the suite pays for the slowest run rather than the sum.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.mockapi import load_scripts
from harness.mockapi.chat_server import ChatMockServer
from harness.mockapi.gemini_server import GeminiServer
from harness.mockapi.openai_responses import ResponsesMockServer
from harness.mockapi.server import MockServer
from harness.sandbox.engine import list_containers
from harness.store import EpisodeResult, RunFolder
from harness.tasks import load_tasks

from .conftest import REPO, SMOKE

pytestmark = pytest.mark.docker
TABLE = json.loads((REPO / "harness" / "agents" / "pricing.json").read_text())
VLM_PRICE = (0.2, 0.6)  # an open-weights model has no list price: the vlm agent is told its price


@dataclass(frozen=True)
class Billed:
    """One answered call's usage in the table's four kinds of token (input here excludes cached reads)."""

    input: int
    output: int
    cache_write: int = 0
    cache_read: int = 0

    def dollars(self, price: tuple[float, float]) -> float:
        return float(self.input * price[0] + self.output * price[1]
                + self.cache_write * price[0] * TABLE["cache_write_multiplier"]
                + self.cache_read * price[0] * TABLE["cache_read_multiplier"]) / 1e6


def claude_usage(u: dict[str, Any]) -> Billed:
    return Billed(u["input_tokens"], u["output_tokens"], u["cache_creation_input_tokens"],
                  u["cache_read_input_tokens"])


def openai_usage(u: dict[str, Any]) -> Billed:
    return Billed(u["input_tokens"], u["output_tokens"])  # no cached-input price: cached tokens bill as input


def gemini_usage(u: dict[str, Any]) -> Billed:
    cached = u.get("cachedContentTokenCount", 0)
    return Billed(u["promptTokenCount"] - cached, u["candidatesTokenCount"], 0, cached)


def vlm_usage(u: dict[str, Any]) -> Billed:
    return Billed(u["prompt_tokens"], u["completion_tokens"])


def table_price(key: str) -> tuple[float, float]:
    return TABLE["models"][key]["input"], TABLE["models"][key]["output"]


@dataclass(frozen=True)
class Side:
    """One agent of the comparison: its server, the options that point it there, the model the report names,
    how its server reports usage and the price that turns it into dollars."""

    agent: str
    model: str
    server: MockServer
    options: tuple[str, ...]
    usage: Callable[[dict[str, Any]], Billed]
    price: tuple[float, float]


@pytest.fixture
def sides() -> Iterator[list[Side]]:
    scripts = load_scripts(SMOKE)
    with ExitStack() as stack:
        claude, openai = MockServer(scripts), ResponsesMockServer(scripts)
        gemini, chat = GeminiServer(scripts), ChatMockServer(scripts, reply_format="pyautogui")
        for server in (claude, openai, gemini, chat):
            stack.enter_context(server)
        yield [
            Side("claude", "claude-sonnet-4-6", claude, (f"base_url={claude.url}",), claude_usage,
                 table_price("claude-sonnet-4-6")),
            Side("openai", "computer-use-preview", openai, (f"base_url={openai.base_url}",), openai_usage,
                 table_price("computer-use-preview")),
            Side("gemini", "gemini-2.5-computer-use-preview-10-2025", gemini, (f"base_url={gemini.url}",),
                 gemini_usage, table_price("gemini-2.5-computer-use-preview")),
            Side("vlm", "qwen2.5-vl-7b-instruct", chat,
                 ("model=qwen2.5-vl-7b-instruct", f"base_url={chat.base_url}", f"price={VLM_PRICE[0]}/{VLM_PRICE[1]}"),
                 vlm_usage, VLM_PRICE),
        ]


def start_run(side: Side, run_dir: Path) -> subprocess.Popen[str]:
    options = [arg for option in side.options for arg in ("--agent-option", option)]
    env = {k: v for k, v in os.environ.items() if k not in ("VLM_BASE_URL", "VLM_API_KEY", "ANTHROPIC_BASE_URL",
                                                             "OPENAI_BASE_URL", "GOOGLE_GEMINI_BASE_URL")}
    env.update(ANTHROPIC_API_KEY="pytest-key", OPENAI_API_KEY="pytest-key", GEMINI_API_KEY="pytest-key")
    return subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", "--suite", str(SMOKE), "--agent", side.agent, *options,
         "--parallel", "1", "--run-dir", str(run_dir), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)


def check_billing(side: Side, results: list[EpisodeResult]) -> None:
    """Every episode's tokens and dollars are its script's calls as the server billed them, priced."""
    wrong = {r.task_id: (r.status, r.error) for r in results if r.status != "success"}
    assert len(results) == len(load_tasks(SMOKE)) and not wrong, (side.agent, wrong)
    assert all(r.agent == side.agent and r.model == side.model and r.last_control == "DONE" for r in results)
    for r in results:
        billed = [side.usage(c.usage) for c in side.server.successful_calls() if c.script == r.task_id and c.usage]
        assert r.usage.calls == len(billed) == r.steps_used, (side.agent, r.task_id)
        assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.cache_write_tokens, r.usage.cache_read_tokens) \
            == tuple(sum(getattr(b, kind) for b in billed) for kind in ("input", "output", "cache_write",
                                                                           "cache_read")), (side.agent, r.task_id)
        assert r.usage.cost_usd == pytest.approx(sum(b.dollars(side.price) for b in billed), rel=1e-9)


def test_four_agents_solve_the_smoke_suite_and_one_report_shows_them_side_by_side(
        sides: list[Side], tmp_path: Path, desktop_image: str) -> None:
    runs = {side.agent: tmp_path / f"pytest-side-{side.agent}-{os.getpid()}" for side in sides}
    procs = {side.agent: start_run(side, runs[side.agent]) for side in sides}
    outputs = {agent: proc.communicate(timeout=600) for agent, proc in procs.items()}
    failed = {agent: outputs[agent][1][-2000:] for agent, proc in procs.items() if proc.returncode != 0}
    assert not failed, failed
    for side in sides:
        check_billing(side, RunFolder(runs[side.agent]).results())
        # each run's containers are gone (a shared check would also see other suites' runs in progress)
        assert not list_containers({"label": [f"deskbench.run={runs[side.agent].name}"]})
    # each step's Responses call is in the trajectory with the server's request id and the response it chained to
    steps = [json.loads(line) for line in (runs["openai"] / "episodes" / "terminal.env-report.b15.r0" / "steps.jsonl")
             .read_text().splitlines()]
    calls = [c for step in steps for c in step.get("calls", [])]
    assert calls and all(c["request_id"].startswith("req_") and c["response_id"].startswith("resp_") for c in calls)

    report = subprocess.run([sys.executable, "-m", "harness.cli", "report", *map(str, runs.values()), "--format",
                             "csv", "--table", "cost"], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert report.returncode == 0, report.stderr[-2000:]
    rows = list(csv.DictReader(io.StringIO(report.stdout)))
    print(report.stdout)
    by_agent = {row["agent"]: row for row in rows}
    assert set(by_agent) == {s.agent for s in sides}, report.stdout
    for side in sides:
        row = by_agent[side.agent]
        billed = [side.usage(c.usage) for c in side.server.successful_calls() if c.usage]
        assert row["model"] == side.model
        assert int(float(row["tokens_total"])) == sum(b.input + b.output + b.cache_write + b.cache_read
                                                      for b in billed), (side.agent, row)
        assert float(row["usd_total"]) == pytest.approx(sum(b.dollars(side.price) for b in billed), rel=1e-6)
    # the servers' prompt caches were hit, so the cached-read price is what was checked, not a zero
    assert float(by_agent["claude"]["cache_read_per_episode"]) > 0 and float(by_agent["gemini"]["cache_read_per_episode"]) > 0
