"""Helpers shared by the ``test_claude_*`` tests: images, a client on the local mock, a model-free driver."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anthropic
from PIL import Image

from harness.actions.vocabulary import ToolAction
from harness.agents.base import Agent, EpisodeInfo, Observation, Turn
from harness.agents.claude import ClaudeAgent
from harness.mockapi import MockServer, Script
from harness.sandbox.guest import Screenshot
from harness.tools.result import ToolResult

SMOKE_DIR = str(Path(__file__).resolve().parents[1] / "tasks" / "smoke")


def png(width: int = 1280, height: int = 800, color: tuple[int, int, int] = (40, 90, 160)) -> Screenshot:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return Screenshot(buf.getvalue(), "image/png", width, height)


def client_for(server: MockServer, timeout: float = 30.0) -> anthropic.Anthropic:
    """The real SDK client pointed at the mock (SDK retries off: the agent counts its own)."""
    return anthropic.Anthropic(api_key="test-key", base_url=server.url, max_retries=0, timeout=timeout)


class SleepLog:
    """Records the agent's backoff waits instead of sleeping them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_claude(server: MockServer, sleep: Callable[[float], None] | None = None, **options: Any) -> ClaudeAgent:
    return ClaudeAgent(client=client_for(server), sleep=sleep or SleepLog(), **options)


def script(match: str, *turns: Sequence[Any], final: str = "All done.") -> Script:
    """A script whose turns are lists of actions in the vocabulary (``{"tool": ...}``) or content blocks."""
    blocks = [[({"type": "tool_use", "name": b["tool"], "input": {k: v for k, v in b.items() if k != "tool"}}
                if "tool" in b else b) for b in turn] for turn in turns]
    return Script(match, blocks, final)


Executor = Callable[[ToolAction], ToolResult]


def drive(agent: Agent, instruction: str, execute: Executor | None = None, *, screen: tuple[int, int] = (1280, 800),
          budget: int = 10) -> list[Turn]:
    """Run the agent loop without a desktop: ``execute`` fakes each action's result."""
    run = execute or (lambda action: ToolResult(output="ok", screenshot=png(*screen)))
    agent.start(EpisodeInfo("t", "d", instruction, budget, screen))
    turns: list[Turn] = []
    results: list[ToolResult] = []
    for step in range(budget):
        turn = agent.act(Observation(step, png(*screen), results))
        turns.append(turn)
        if turn.control in ("DONE", "FAIL"):
            break
        results = [run(a) for a in turn.actions]
    return turns


def tool_results(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in message["content"] if b.get("type") == "tool_result"]


def result_text(block: dict[str, Any]) -> str:
    return "\n".join(b["text"] for b in block["content"] if b["type"] == "text")
