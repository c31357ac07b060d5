"""``compare_runs`` and ``deskbench compare`` on real runs, checked against pairs made from the records by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from harness.errors import ConfigError
from harness.report import compare_runs, mcnemar_test, wilson_interval
from harness.report.runs import load_runs
from harness.report.stats import paired_difference_interval

from .report_runs import counted_records as records
from .report_runs import deskbench

pytestmark = pytest.mark.docker


def keyed(run: Path) -> dict[tuple[str, int, int], str]:
    return {(f"{r['domain']}/{r['task_id']}", r["budget"], r["repeat"]): r["status"] for r in records(run)}


def test_oracle_against_noop(report_runs: dict[str, Path]) -> None:
    comparison = compare_runs(load_runs([report_runs["oracle"]]), load_runs([report_runs["noop"]]))
    a, b = keyed(report_runs["oracle"]), keyed(report_runs["noop"])
    for budget in (1, 15):
        shared = [key for key in a if key in b and key[1] == budget]
        only_a = sum(a[k] == "success" and b[k] == "failure" for k in shared)
        only_b = sum(a[k] == "failure" and b[k] == "success" for k in shared)
        both = sum(a[k] == b[k] == "success" for k in shared)
        row = comparison.summary[comparison.summary["budget"] == budget].iloc[0]
        assert (row["pairs"], row["only_a"], row["only_b"], row["both"]) == (len(shared), only_a, only_b, both)
        assert row["unpaired_a"] == sum(1 for k in a if k[1] == budget and k not in b)  # the oracle's second repeat
        assert row["unpaired_b"] == 0 and row["unscored_pairs"] == 0
        # exact two-sided binomial p with only_b = 0: 2 * (1/2)^only_a
        assert only_b == 0 and row["mcnemar_p"] == pytest.approx(min(1.0, 2 * 0.5**only_a))
        assert row["test"] == "exact binomial"
        assert row["rate_a"] == pytest.approx(only_a / len(shared)) and row["rate_b"] == 0.0
        low, high = paired_difference_interval(both, only_a, only_b, len(shared) - both - only_a - only_b)
        assert (row["ci_low"], row["ci_high"]) == (pytest.approx(low), pytest.approx(high))
        assert row["ci_low"] <= row["difference"] <= row["ci_high"]
    b15 = comparison.summary[comparison.summary["budget"] == 15].iloc[0]
    assert b15["only_a"] == 7 and b15["mcnemar_p"] == pytest.approx(2 / 2**7)  # every task, one repeat each
    assert b15["ci_low"] > 0  # the oracle is better, and the interval says so
    discordant = comparison.discordant_tasks
    assert len(discordant) == int(comparison.summary["only_a"].sum())
    assert set(discordant["task"]) <= {k[0] for k in a}


def test_compare_command(report_runs: dict[str, Path], tmp_path: Path) -> None:
    oracle, noop = str(report_runs["oracle"]), str(report_runs["noop"])
    comparison = compare_runs(load_runs([oracle]), load_runs([noop]))
    terminal = deskbench("compare", oracle, noop)
    assert terminal.returncode == 0, terminal.stderr
    assert "paired comparison per budget" in terminal.stdout and "discordant tasks" in terminal.stdout
    for task in comparison.discordant_tasks["task"]:
        assert task in terminal.stdout

    markdown = deskbench("compare", oracle, noop, "--format", "markdown")
    assert markdown.returncode == 0, markdown.stderr
    assert "| budget | pairs | both | only A | only B |" in markdown.stdout
    assert "Newcombe" in markdown.stdout and "McNemar" in markdown.stdout

    folder = tmp_path / "compare"
    assert deskbench("compare", oracle, noop, "--format", "csv", "--out", str(folder)).returncode == 0
    summary = pd.read_csv(folder / "summary.csv")
    assert summary["only_a"].tolist() == comparison.summary["only_a"].tolist()
    assert summary["mcnemar_p"].to_numpy() == pytest.approx(comparison.summary["mcnemar_p"].to_numpy())
    assert len(pd.read_csv(folder / "discordant.csv")) == len(comparison.discordant_tasks)

    latex = tmp_path / "compare.tex"
    assert deskbench("compare", oracle, noop, "--format", "latex", "--table", "summary", "--out",
                     str(latex)).returncode == 0
    text = latex.read_text()
    assert text.count(r"\begin{tabular}") == 1 and r"95\% CI" in text


def test_compare_refuses_what_cannot_be_paired(report_runs: dict[str, Path], tmp_path: Path) -> None:
    oracle = str(report_runs["oracle"])
    for args, needle in (([oracle, oracle], "both sides are run"), ([oracle, str(tmp_path)], "not a run folder")):
        proc = deskbench("compare", *args)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 1 and len(lines) == 1 and needle in lines[0], proc.stderr


def side(run_id: str, rows: list[tuple[str, int, int, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"run_id": run_id, "agent": "a", "model": None, "domain": "d", "task_id": task,
                          "budget": budget, "repeat": repeat, "status": status} for task, budget, repeat, status in rows])


def test_pairing_rules() -> None:
    a = side("A", [("t1", 5, 0, "success"), ("t2", 5, 0, "success"), ("t3", 5, 0, "infra_error"),
                   ("t4", 5, 0, "failure"), ("t5", 5, 1, "success")])
    b = side("B", [("t1", 5, 0, "failure"), ("t2", 5, 0, "success"), ("t3", 5, 0, "success"),
                   ("t4", 5, 0, "success"), ("t6", 5, 0, "failure")])
    row = compare_runs(a, b).summary.iloc[0]
    assert (row["pairs"], row["both"], row["only_a"], row["only_b"], row["neither"]) == (3, 1, 1, 1, 0)
    assert (row["unpaired_a"], row["unpaired_b"], row["unscored_pairs"]) == (1, 1, 1)
    assert row["mcnemar_p"] == mcnemar_test(1, 1).p_value == 1.0
    assert row["rate_a"] == pytest.approx(2 / 3) and math.isclose(row["difference"], 0.0, abs_tol=1e-12)
    assert wilson_interval(2, 3)[0] > row["ci_low"]  # an interval of a difference, wider than either rate's


def test_mismatched_runs_are_refused() -> None:
    a = side("A", [("t1", 5, 0, "success")])
    with pytest.raises(ConfigError, match="share no episode"):
        compare_runs(a, side("B", [("t1", 50, 0, "success")]))
    with pytest.raises(ConfigError, match="holds 2 runs"):
        compare_runs(pd.concat([a, side("C", [("t1", 5, 0, "success")])]), side("B", [("t1", 5, 0, "success")]))
    with pytest.raises(ConfigError, match="more than once"):
        compare_runs(pd.concat([a, a]), side("B", [("t1", 5, 0, "success")]))
    with pytest.raises(ConfigError, match="no episodes"):
        compare_runs(a.iloc[0:0], a)
