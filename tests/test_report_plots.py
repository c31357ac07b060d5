"""Figures of real runs: files written and not blank, labels in the SVG, and the data behind them checked
against the episodes; bad runs are refused with a message naming them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib._pylab_helpers import Gcf
from PIL import Image
from typer.testing import CliRunner

from harness.errors import ConfigError
from harness.report import plot_data, plots
from harness.report.published import OSWORLD_CLAUDE_35_SONNET
from harness.store.records import EpisodeResult
from harness.store.run_folder import RunFolder, load_results

pytestmark = pytest.mark.docker

STEMS = ("success_vs_budget", "cost_vs_success", "success_by_domain", "latency")
CLAUDE = "claude (claude-sonnet-4-5)"


@pytest.fixture(scope="module")
def frame(report_runs: dict[str, Path]) -> pd.DataFrame:
    return plot_data.load_plot_runs(*report_runs.values())


@pytest.fixture(scope="module")
def written(report_runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every figure as PNG and SVG, with the published reference points; file name -> path."""
    out = tmp_path_factory.mktemp("plots")
    paths = plots.plot_runs(*report_runs.values(), out_dir=out, reference=True)
    return {p.name: p for p in paths}


def svg_text(path: Path) -> str:
    """All text of an SVG file, which must parse as XML."""
    return " ".join(ET.parse(path).getroot().itertext())


def scored_counts(rows: pd.DataFrame) -> tuple[int, int]:
    scored = rows[rows["status"].isin(["success", "failure"])]
    return int((scored["status"] == "success").sum()), len(scored)


def test_every_figure_is_written_as_png_and_svg(written: dict[str, Path]) -> None:
    assert sorted(written) == sorted(f"{stem}.{fmt}" for stem in STEMS for fmt in ("png", "svg"))
    for name, path in written.items():
        if name.endswith(".png"):
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("L"), dtype=float)
            assert pixels.shape[0] > 300 and pixels.shape[1] > 600, name
            assert pixels.std() > 10, f"{name} looks blank"
        else:
            assert ET.parse(path).getroot().tag.endswith("svg")
    assert Gcf.get_num_fig_managers() == 0  # nothing went through pyplot's global figure list


def test_svg_labels(written: dict[str, Path]) -> None:
    budget = svg_text(written["success_vs_budget.svg"])
    for label in ("step budget", "success rate", "oracle", "noop", CLAUDE, "published (OSWorld)", "14.9%",
                  "22.0%", "50"):
        assert label in budget, label
    cost = svg_text(written["cost_vs_success.svg"])
    assert "Pareto front" in cost and "mean cost per episode (USD)" in cost and "@15" in cost
    domain = svg_text(written["success_by_domain.svg"])
    for label in ("files", "terminal", "text_editor", "oracle @15", "noop @15", "6/6", "0/3"):
        assert label in domain, label
    latency = svg_text(written["latency.svg"])
    for label in plot_data.LATENCY_METRICS:
        assert label in latency, label


def test_reference_points_only_when_asked(frame: pd.DataFrame, tmp_path: Path) -> None:
    (svg,) = plots.save_figure(plots.budget_figure(frame), tmp_path / "budget", ("svg",))
    assert "published" not in svg_text(svg)
    assert [(p.budget, p.rate) for p in OSWORLD_CLAUDE_35_SONNET] == [(15, 0.149), (50, 0.220)]
    assert all("Anthropic" in p.source for p in OSWORLD_CLAUDE_35_SONNET)


def test_budget_curve_is_successes_over_scored_per_budget(frame: pd.DataFrame) -> None:
    curve = plot_data.budget_curve(frame)
    labels = plot_data.series_labels(frame)
    assert set(curve["series"]) == {"oracle", "noop", CLAUDE}
    assert len(curve) == 5  # oracle and noop at 1 and 15, claude at 15
    for row in curve.itertuples():
        successes, scored = scored_counts(frame[(labels == row.series) & (frame["budget"] == row.budget)])
        assert (row.successes, row.scored) == (successes, scored)
        assert row.rate == pytest.approx(successes / scored)
        assert row.ci_low <= row.rate + 1e-12 and row.rate <= row.ci_high + 1e-12
    by_key = curve.set_index(["series", "budget"])["rate"]
    assert by_key[("oracle", 15)] == 1.0 and by_key[("oracle", 1)] < 1.0  # budget 1 fails multi-step tasks
    assert by_key[("noop", 1)] == 0.0


def test_pareto_front_holds_the_cheapest_best(frame: pd.DataFrame) -> None:
    points = plot_data.cost_points(frame)
    best = points[points["rate"] == points["rate"].max()]
    cheapest_best = best.loc[best["cost_per_episode"].idxmin()]
    assert bool(cheapest_best["pareto"])
    front = points[points["pareto"]]
    for point in front.itertuples():  # nothing on the front is dominated
        better = points[(points["cost_per_episode"] <= point.cost_per_episode) & (points["rate"] >= point.rate)
                        & ((points["cost_per_episode"] < point.cost_per_episode) | (points["rate"] > point.rate))]
        assert better.empty, point.label
    claude = points.set_index("label").loc[f"{CLAUDE} @15"]
    assert not claude["pareto"]  # as successful as the free oracle, but paid for
    claude_rows = frame[frame["agent"] == "claude"]
    assert claude["cost_per_episode"] == pytest.approx(claude_rows["usage.cost_usd"].mean())
    assert claude["cost_per_episode"] > 0


def test_pareto_front_with_a_costly_oracle(frame: pd.DataFrame, tmp_path: Path) -> None:
    """Make the oracle at budget 15 cost more than Claude: the front becomes the free budget-1 oracle, then Claude."""
    costly = frame.copy()
    costly.loc[(costly["agent"] == "oracle") & (costly["budget"] == 15), "usage.cost_usd"] = 0.5
    points = plot_data.cost_points(costly)
    assert set(points[points["pareto"]]["label"]) == {"oracle @1", f"{CLAUDE} @15"}
    (svg,) = plots.save_figure(plots.cost_figure(costly), tmp_path / "cost", ("svg",))
    assert "Pareto front" in svg_text(svg)


def test_pareto_front_of_made_up_points() -> None:
    assert plot_data.pareto_front([0.1, 0.2, 0.2, 0.05, 0.3], [0.5, 0.7, 0.6, 0.5, 0.7]) == [
        False, True, False, True, False]
    assert plot_data.pareto_front([1.0, 1.0], [0.5, 0.5]) == [True, True]  # equal points do not dominate


def test_total_spend_counts_derived_rows_once(frame: pd.DataFrame) -> None:
    real = frame[frame["derived_from"].isna()]
    assert plot_data.total_spend(frame) == pytest.approx(real["usage.cost_usd"].sum())


def test_domain_rates_take_each_series_at_its_largest_budget(frame: pd.DataFrame) -> None:
    rates = plot_data.domain_rates(frame)
    labels = plot_data.series_labels(frame)
    assert set(rates["budget"]) == {15}
    for row in rates.itertuples():
        rows = frame[(labels == row.series) & (frame["budget"] == row.budget) & (frame["domain"] == row.domain)]
        assert (row.successes, row.scored) == scored_counts(rows)
    at_one = plot_data.domain_rates(frame, budget=1)
    assert set(at_one["series"]) == {"oracle", "noop"}


def test_latency_uses_only_episodes_that_ran(frame: pd.DataFrame) -> None:
    samples = plot_data.latency_samples(frame)
    walls = samples[samples["metric"] == "episode wall time"]
    real = frame[frame["derived_from"].isna()]
    assert len(walls) == len(real)
    assert sorted(walls["seconds"]) == pytest.approx(sorted(real["timings.total"]))
    think = samples[(samples["metric"] == "model time per step") & (samples["series"] == CLAUDE)]
    claude = real[real["agent"] == "claude"]
    assert sorted(think["seconds"]) == pytest.approx(sorted(claude["timings.agent_think"] / claude["steps_used"]))


def test_runs_sharing_agent_and_budget_stay_apart(frame: pd.DataFrame) -> None:
    oracle = frame[frame["agent"] == "oracle"]
    twice = pd.concat([oracle, oracle.assign(run_id="pytest-other-oracle")], ignore_index=True)
    labels = set(plot_data.series_labels(twice))
    assert labels == {"oracle [pytest-report-oracle]", "oracle [pytest-other-oracle]"}


def unscored_run(path: Path) -> Path:
    """A run folder whose only episode ended in an infrastructure error."""
    folder = RunFolder(path)
    folder.create()
    folder.append(EpisodeResult(run_id=path.name, episode_id="terminal.x.b15.r0", task_id="x", domain="terminal",
                                agent="oracle", budget=15, status="infra_error", error="engine went away"))
    return path


def test_unscored_or_empty_runs_are_refused_by_name(report_runs: dict[str, Path], tmp_path: Path) -> None:
    bad = unscored_run(tmp_path / "pytest-unscored")
    with pytest.raises(ConfigError, match="pytest-unscored.*no scored episode.*1 infra_error"):
        plots.plot_runs(report_runs["oracle"], bad, out_dir=tmp_path / "out")
    empty = tmp_path / "pytest-empty"
    RunFolder(empty).create()
    with pytest.raises(ConfigError, match="pytest-empty"):
        plots.plot_runs(empty, out_dir=tmp_path / "out")
    with pytest.raises(ConfigError, match="no episodes to plot"):
        plots.budget_figure(load_results(empty))
    assert not (tmp_path / "out").exists()


def test_plot_command(report_runs: dict[str, Path], tmp_path: Path) -> None:
    from harness.cli.app import app

    out = tmp_path / "figures"
    result = CliRunner().invoke(app, ["plot", str(report_runs["oracle"]), str(report_runs["claude"]),
                                      "--out", str(out), "--format", "svg,PNG", "--reference"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{s}.{f}" for s in STEMS for f in ("png", "svg"))
    assert "8 files" in result.output
    assert "published (OSWorld)" in svg_text(out / "success_vs_budget.svg")
    assert "noop" not in svg_text(out / "success_vs_budget.svg")
    bad = CliRunner().invoke(app, ["plot", str(report_runs["noop"]), "--out", str(out), "--format", "gif"])
    assert isinstance(bad.exception, ConfigError) and "gif" in str(bad.exception)
