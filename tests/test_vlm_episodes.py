"""``deskbench run --suite tasks/smoke --agent vlm`` against the local chat-completions server, in real desktops:
every smoke task solved by a vision model's replayed pyautogui code, tokens and dollars as the server billed
them, priced by the agent's price option."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.mockapi import load_scripts
from harness.mockapi.chat_server import ChatMockServer
from harness.store import RunFolder
from harness.tasks import load_tasks

from .conftest import REPO, SMOKE

pytestmark = pytest.mark.docker
PRICE = (0.2, 0.6)


def test_the_smoke_suite_is_solved_through_the_cli_and_billed_as_served(tmp_path: Path, desktop_image: str) -> None:
    tasks = load_tasks(SMOKE)
    with ChatMockServer(load_scripts(SMOKE), reply_format="pyautogui") as server:
        env = {k: v for k, v in os.environ.items() if k not in ("VLM_BASE_URL", "VLM_API_KEY")}
        run = subprocess.run(
            [sys.executable, "-m", "harness.cli", "run", "--suite", str(SMOKE), "--agent", "vlm", "--quiet",
             "--agent-option", "model=qwen2.5-vl-7b-instruct", "--agent-option", f"base_url={server.base_url}",
             "--agent-option", f"price={PRICE[0]}/{PRICE[1]}", "--run-dir", str(tmp_path / "pytest-vlm-smoke")],
            capture_output=True, text=True, timeout=300, cwd=REPO, env=env)
        billed = [c.usage for c in server.successful_calls() if c.usage]
    assert run.returncode == 0, run.stderr[-2000:]
    results = RunFolder(tmp_path / "pytest-vlm-smoke").results()
    wrong = {r.task_id: (r.status, r.error) for r in results if r.status != "success"}
    assert len(results) == len(tasks) and not wrong, wrong
    assert all(r.model == "qwen2.5-vl-7b-instruct" and r.last_control == "DONE" for r in results)
    assert len(billed) == sum(r.steps_used for r in results)
    assert sum(r.usage.input_tokens for r in results) == sum(u["prompt_tokens"] for u in billed)
    assert sum(r.usage.output_tokens for r in results) == sum(u["completion_tokens"] for u in billed)
    dollars = sum(u["prompt_tokens"] * PRICE[0] + u["completion_tokens"] * PRICE[1] for u in billed) / 1e6
    assert sum(r.usage.cost_usd for r in results) == pytest.approx(dollars, rel=1e-9)
