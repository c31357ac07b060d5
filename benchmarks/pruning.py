"""Tokens and dollars per episode for three screenshot-pruning policies, on the local Messages API server.

``python benchmarks/pruning.py [steps ...]`` (default 15 and 50 steps) runs
the ``claude`` agent against ``harness.mockapi`` (which bills the prompt
cache as the API does: a prefix is read back only if it is byte-for-byte
unchanged) for an episode of screenshot actions, each answered with a new
screenshot, under: no pruning, keeping the 3 newest by dropping one per turn,
and keeping them by dropping old ones in batches (``screenshot_drop_chunk``
5 and 10).  Prints, per policy and episode length: fresh input, cache
write and cache read tokens, calls that read the cache, calls that rewrote
the history the previous call sent (the server compares them), and dollars
at the default model's prices.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from typing import Any

import anthropic
from PIL import Image

from harness.agents.base import EpisodeInfo, Observation
from harness.agents.claude import ClaudeAgent
from harness.mockapi import MockServer, Script
from harness.sandbox.guest import Screenshot
from harness.tools.result import ToolResult

TASK = "Benchmark task: look at the screen repeatedly."
SCREEN = (1280, 800)
POLICIES: dict[str, dict[str, Any]] = {
    "no pruning": {"keep_screenshots": None},
    "keep 3, one at a time": {"keep_screenshots": 3, "screenshot_drop_chunk": 1},
    "keep 3, batches of 5": {"keep_screenshots": 3, "screenshot_drop_chunk": 5},
    "keep 3, batches of 10": {"keep_screenshots": 3, "screenshot_drop_chunk": 10},
}


@dataclass(frozen=True)
class Episode:
    """What one episode was billed."""

    input_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    cache_hits: int
    rewrites: int
    calls: int
    usd: float


def screenshot(step: int) -> Screenshot:
    """A different screen each step (tokens depend on the size alone; a flat colour keeps requests small)."""
    image = Image.new("RGB", SCREEN, ((37 * step) % 256, (91 * step) % 256, (53 * step) % 256))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return Screenshot(buf.getvalue(), "image/png", *SCREEN)


def run_episode(steps: int, options: dict[str, Any]) -> Episode:
    """One episode of ``steps`` screenshot actions on a fresh server (a cold cache)."""
    turns = [[{"type": "tool_use", "name": "computer", "input": {"action": "screenshot"}}]] * steps
    with MockServer([Script(TASK, turns, "Done.")]) as server:
        client = anthropic.Anthropic(api_key="benchmark", base_url=server.url, max_retries=0)
        agent = ClaudeAgent(client=client, **options)
        agent.start(EpisodeInfo("pruning", "bench", TASK, steps + 1, SCREEN))
        results: list[ToolResult] = []
        usd = 0.0
        for step in range(steps + 1):
            turn = agent.act(Observation(step, screenshot(step), results))
            usd += turn.usage.cost_usd
            if turn.control is not None:
                break
            results = [ToolResult(screenshot=screenshot(step + 1)) for _ in turn.actions]
        billed = [c.usage for c in server.successful_calls() if c.usage]
        return Episode(sum(u["input_tokens"] for u in billed), sum(u["cache_creation_input_tokens"] for u in billed),
                       sum(u["cache_read_input_tokens"] for u in billed), server.cache_hits(), server.prefix_rewrites(),
                       len(billed), usd)


def main(argv: list[str]) -> int:
    lengths = [int(a) for a in argv] or [15, 50]
    print(f"{'steps':>5} {'policy':<24} {'input':>9} {'cache write':>12} {'cache read':>11} {'hits':>9} {'rewrites':>8} {'USD':>8}")
    for steps in lengths:
        for name, options in POLICIES.items():
            e = run_episode(steps, options)
            print(f"{steps:>5} {name:<24} {e.input_tokens:>9} {e.cache_write_tokens:>12} {e.cache_read_tokens:>11} "
                  f"{e.cache_hits:>4}/{e.calls:<4} {e.rewrites:>8} {e.usd:>8.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
