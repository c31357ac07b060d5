"""Report tables on real runs (``report_runs``) checked against the episode records, and ``deskbench report``."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from harness.report import (
    cost_table,
    latency_table,
    pass_at_k,
    pass_hat_k,
    pass_k_table,
    status_table,
    success_table,
    wilson_interval,
)
from harness.report.runs import load_runs

from .report_runs import counted_records as records
from .report_runs import deskbench

pytestmark = pytest.mark.docker


def row(table: pd.DataFrame, **where: object) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        mask &= table[column] == value
    assert mask.sum() == 1, f"{where}: {mask.sum()} rows"
    return table[mask].iloc[0]


def test_success_table_counts_and_intervals(report_runs: dict[str, Path]) -> None:
    frame = load_runs([report_runs["oracle"], report_runs["noop"]])
    table = success_table(frame)
    by_budget: dict[tuple[str, int], list[str]] = defaultdict(list)
    by_domain: dict[tuple[str, int, str], list[str]] = defaultdict(list)
    for name in ("oracle", "noop"):
        for r in records(report_runs[name]):
            by_budget[(r["agent"], r["budget"])].append(r["status"])
            by_domain[(r["agent"], r["budget"], r["domain"])].append(r["status"])
    for (agent, budget), statuses in by_budget.items():
        overall = row(table, agent=agent, budget=budget, domain="overall")
        successes, scored = statuses.count("success"), sum(s in ("success", "failure") for s in statuses)
        assert (overall["successes"], overall["scored"], overall["episodes"]) == (successes, scored, len(statuses))
        assert (overall["ci_low"], overall["ci_high"]) == pytest.approx(wilson_interval(successes, scored))
    for (agent, budget, domain), statuses in by_domain.items():
        assert row(table, agent=agent, budget=budget, domain=domain)["successes"] == statuses.count("success")
    # what the smoke suite is built to show: the oracle solves everything with 15 steps, not with 1; noop nothing
    assert row(table, agent="oracle", budget=15, domain="overall")[["successes", "scored"]].tolist() == [14, 14]
    assert row(table, agent="oracle", budget=1, domain="overall")[["successes", "scored"]].tolist() == [6, 14]
    assert (table[table["agent"] == "noop"]["successes"] == 0).all()
    # the columns `deskbench run` prints are still there; 'overall' comes last in each configuration
    assert {"agent", "budget", "domain", "episodes", "scored", "successes", "success_rate", "errors",
            "mean_steps"} <= set(table.columns)
    assert table.groupby(["run_id", "budget"])["domain"].last().eq("overall").all()


def test_pass_k_from_the_repeats(report_runs: dict[str, Path]) -> None:
    table = pass_k_table(load_runs([report_runs["oracle"], report_runs["noop"], report_runs["claude"]]))
    assert set(table["agent"]) == {"oracle"}  # noop and claude ran once: no pass@k
    per_task: dict[tuple[int, str], list[bool]] = defaultdict(list)
    for r in records(report_runs["oracle"]):
        per_task[(r["budget"], f"{r['domain']}/{r['task_id']}")].append(r["status"] == "success")
    for budget in (1, 15):
        outcomes = [v for (b, _), v in per_task.items() if b == budget]
        k = 2
        assert all(len(v) == k for v in outcomes)
        got = row(table, budget=budget)
        assert got["k"] == k and got["tasks"] == len(outcomes) and got["tasks_short"] == 0
        # with n = k, pass@k is "any repeat succeeded" and pass^k "every repeat did"
        assert got["pass_at_k"] == pytest.approx(sum(any(v) for v in outcomes) / len(outcomes))
        assert got["pass_hat_k"] == pytest.approx(sum(all(v) for v in outcomes) / len(outcomes))
        assert got["pass_at_1"] == pytest.approx(sum(sum(v) / k for v in outcomes) / len(outcomes))
    assert row(table, budget=15)["pass_hat_k"] == 1.0


def test_latency_uses_the_episodes_that_ran(report_runs: dict[str, Path]) -> None:
    table = latency_table(load_runs([report_runs["oracle"], report_runs["claude"]]))
    oracle = records(report_runs["oracle"])
    checkpoint_scored = [r for r in oracle if r["budget"] == 1]
    assert all(r["derived_from"] for r in checkpoint_scored)  # a prefix sweep: budget 1 is read off budget 15
    b1 = row(table, agent="oracle", budget=1)
    assert (b1["measured"], b1["derived"]) == (0, len(checkpoint_scored)) and math.isnan(b1["wall_p50"])
    for agent, run, budget in (("oracle", oracle, 15), ("claude", records(report_runs["claude"]), 15)):
        ran = [r for r in run if r["budget"] == budget and not r["derived_from"]]
        got = row(table, agent=agent, budget=budget)
        walls = [r["timings"]["total"] for r in ran]
        think = [r["timings"]["agent_think"] / r["steps_used"] for r in ran if r["steps_used"]]
        env = [r["timings"]["agent_env"] / r["steps_used"] for r in ran if r["steps_used"]]
        assert got["measured"] == len(ran)
        assert got["wall_p50"] == pytest.approx(statistics.median(walls))
        assert got["wall_p95"] == pytest.approx(float(np.percentile(walls, 95)))
        assert got["think_per_step_p50"] == pytest.approx(statistics.median(think))
        assert got["env_per_step_p95"] == pytest.approx(float(np.percentile(env, 95)))
        assert got["env_start_p50"] == pytest.approx(statistics.median(r["timings"]["env_start"] for r in ran))


def test_cost_totals_equal_the_records(report_runs: dict[str, Path]) -> None:
    table = cost_table(load_runs([report_runs["claude"], report_runs["oracle"]]))
    claude = records(report_runs["claude"])
    total = sum(r["usage"]["cost_usd"] for r in claude)
    tokens = sum(r["usage"][f"{t}_tokens"] for r in claude for t in ("input", "output", "cache_write", "cache_read"))
    assert total > 0 and tokens > 0  # the mock API reports real usage, priced
    got = row(table, agent="claude", budget=15)
    assert got["usd_total"] == pytest.approx(total)
    assert got["tokens_total"] == tokens
    assert got["usd_per_episode"] == pytest.approx(total / len(claude))
    successes = sum(r["status"] == "success" for r in claude)
    assert got["usd_per_success"] == pytest.approx(total / successes)
    assert got["output_per_episode"] == pytest.approx(sum(r["usage"]["output_tokens"] for r in claude) / len(claude))
    assert row(table, agent="oracle", budget="all")["episodes"] == len(records(report_runs["oracle"]))


def test_status_table_denominators(report_runs: dict[str, Path]) -> None:
    table = status_table(load_runs([report_runs["oracle"], report_runs["noop"]]))
    for name in ("oracle", "noop"):
        for budget in (1, 15):
            statuses = [r["status"] for r in records(report_runs[name]) if r["budget"] == budget]
            got = row(table, agent=name, budget=budget)
            assert got["episodes"] == len(statuses) and got["success"] == statuses.count("success")
            assert got["failure"] == statuses.count("failure") and got["infra_error"] == 0
            assert got["summary"] == f"scored {len(statuses)} of {len(statuses)}"


def synthetic(rows: list[dict[str, Any]]) -> pd.DataFrame:
    base = {"run_id": "r", "agent": "a", "model": None, "budget": 5, "repeat": 0, "domain": "d", "steps_used": 2,
            "attempts": 1, "derived_from": None, "usage.cost_usd": 0.0, "usage.input_tokens": 0,
            "usage.output_tokens": 0, "usage.cache_write_tokens": 0, "usage.cache_read_tokens": 0}
    return pd.DataFrame([{**base, "episode_id": f"e{i}", "task_id": f"t{i}", **r} for i, r in enumerate(rows)])


def test_errors_stay_out_of_the_rate_and_are_named() -> None:
    frame = synthetic([{"status": "success"}, {"status": "failure"}, {"status": "infra_error", "attempts": 3},
                       {"status": "timeout"}])
    success = row(success_table(frame), domain="overall")
    assert (success["scored"], success["successes"], success["errors"]) == (2, 1, 2)
    assert success["success_rate"] == 0.5 and success["model"] == "-"
    status = status_table(frame).iloc[0]
    assert status["summary"] == "scored 2 of 4; 1 infra_error, 1 timeout; 2 attempt(s) retried"
    assert status["attempts"] == 6


def test_checkpoint_records_are_not_paid_twice() -> None:
    frame = synthetic([
        {"status": "success", "budget": 10, "usage.cost_usd": 0.30, "usage.input_tokens": 300},
        {"status": "failure", "budget": 2, "usage.cost_usd": 0.10, "usage.input_tokens": 100, "derived_from": "e0"},
    ])
    table = cost_table(frame)
    b2, b10, both = row(table, budget=2), row(table, budget=10), row(table, budget="all")
    assert b2["usd_per_episode"] == pytest.approx(0.10) and b2["usd_total"] == 0.0  # its usage, not paid again
    assert b10["usd_total"] == pytest.approx(0.30)
    assert both["usd_total"] == pytest.approx(0.30) and both["tokens_total"] == 300
    assert both["usd_per_episode"] == pytest.approx(0.15) and both["usd_per_success"] == pytest.approx(0.30)


def test_pass_k_leaves_out_tasks_with_too_few_scored_repeats() -> None:
    frame = synthetic([{"task_id": "x", "repeat": 0, "status": "success"}, {"task_id": "x", "repeat": 1,
                                                                             "status": "failure"},
                       {"task_id": "x", "repeat": 2, "status": "success"},
                       {"task_id": "y", "repeat": 0, "status": "success"}, {"task_id": "y", "repeat": 1,
                                                                             "status": "agent_error"},
                       {"task_id": "y", "repeat": 2, "status": "success"}])
    got = pass_k_table(frame).iloc[0]
    assert (got["k"], got["tasks"], got["tasks_short"]) == (3, 1, 1)
    assert got["pass_at_k"] == pytest.approx(pass_at_k(3, 2, 3)) and got["pass_hat_k"] == pass_hat_k(3, 2, 3)


def test_report_command_formats(report_runs: dict[str, Path], tmp_path: Path) -> None:
    runs = [str(report_runs[name]) for name in ("oracle", "noop", "claude")]
    expected = success_table(load_runs(runs))

    terminal = deskbench("report", *runs)
    assert terminal.returncode == 0, terminal.stderr
    for title in ("success rate by domain", "pass@k", "latency", "tokens and dollars", "episodes by status"):
        assert title in terminal.stdout

    markdown = tmp_path / "report.md"
    assert deskbench("report", *runs, "--format", "markdown", "--out", str(markdown)).returncode == 0
    text = markdown.read_text()
    assert "| run | agent | budget | domain |" in text
    assert "\n| --- | --- | ---: | --- | ---: |" in text  # text left, numbers right
    oracle15 = row(expected, agent="oracle", budget=15, domain="overall")
    assert f"| {oracle15['successes']} | {100 * oracle15['success_rate']:.1f}% |" in text
    assert text.count("### ") == 5

    csv = tmp_path / "success.csv"
    assert deskbench("report", *runs, "--format", "csv", "--table", "success", "--out", str(csv)).returncode == 0
    parsed = pd.read_csv(csv)
    assert parsed["successes"].tolist() == expected["successes"].tolist()
    assert parsed["ci_high"].to_numpy() == pytest.approx(expected["ci_high"].to_numpy())

    folder = tmp_path / "tables"
    assert deskbench("report", *runs, "--format", "csv", "--out", str(folder)).returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == ["cost.csv", "latency.csv", "pass_k.csv", "status.csv",
                                                        "success.csv"]
    assert pd.read_csv(folder / "cost.csv")["usd_total"].sum() > 0

    latex = deskbench("report", *runs, "--format", "latex", "--table", "success")
    assert latex.returncode == 0, latex.stderr
    assert latex.stdout.count(r"\begin{tabular}") == 1 and r"\end{tabular}" in latex.stdout
    body = latex.stdout.split(r"\midrule")[1].split(r"\bottomrule")[0]
    assert len([line for line in body.splitlines() if line.endswith(r"\\")]) == len(expected)
    assert r"text\_editor" in body and r"100.0\%" in body  # LaTeX's special characters escaped


def test_report_refuses_bad_input(report_runs: dict[str, Path], tmp_path: Path) -> None:
    cases = [([str(tmp_path)], "is not a run folder"), ([str(tmp_path / "missing")], "does not exist"),
             ([str(report_runs["oracle"]), str(report_runs["oracle"])], "given twice"),
             ([str(report_runs["oracle"]), "--table", "nope"], "unknown table"),
             ([str(report_runs["oracle"]), "--format", "csv"], "a CSV holds one table")]
    empty = tmp_path / "empty-run"
    empty.mkdir()
    (empty / "episodes.jsonl").write_text("")
    cases.append(([str(empty)], "is empty"))
    for args, needle in cases:
        proc = deskbench("report", *args)
        assert proc.returncode == 1, (args, proc.stdout)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("deskbench: error:") and needle in lines[0], proc.stderr
