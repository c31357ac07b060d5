"""``deskbench report`` counts the model calls that were retried and the seconds lost to them (from the
episodes' usage, which the Claude agent fills from its per-call records)."""

from __future__ import annotations

import pandas as pd

from harness.report import cost_table


def episodes(*usage: tuple[int, float]) -> pd.DataFrame:
    rows = [{"run_id": "r", "agent": "claude", "model": "claude-sonnet-4-6", "budget": 15, "repeat": 0,
             "domain": "d", "steps_used": 3, "attempts": 1, "derived_from": None, "status": "success",
             "episode_id": f"e{i}", "task_id": f"t{i}", "usage.cost_usd": 0.5, "usage.input_tokens": 10,
             "usage.output_tokens": 5, "usage.cache_write_tokens": 0, "usage.cache_read_tokens": 0,
             "usage.calls": 4, "usage.retries": retries, "usage.retried_seconds": seconds}
            for i, (retries, seconds) in enumerate(usage)]
    return pd.DataFrame(rows)


def test_the_cost_table_counts_retries_and_the_time_they_cost() -> None:
    table = cost_table(episodes((3, 7.5), (0, 0.0), (1, 2.25)))
    assert len(table) == 1  # one agent, model and budget
    total = table.iloc[0]
    assert int(total["retries"]) == 4 and float(total["retry_seconds"]) == 9.75
    assert int(total["model_calls"]) == 12
