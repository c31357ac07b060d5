"""Figures of finished runs: success vs step budget, cost vs success, success per domain, latency.

Each figure is a ``matplotlib.figure.Figure`` drawn on its own Agg canvas:
nothing goes through ``pyplot``, so making figures in a loop, a test or a
notebook leaves no global figure state behind.  The numbers come from
``harness.report.plot_data``, where they can be checked without pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, PercentFormatter

from harness.errors import ConfigError
from harness.report import plot_data
from harness.report.published import OSWORLD_CLAUDE_35_SONNET

FORMATS = ("png", "svg", "pdf")
PUBLISHED_LABEL = "published (OSWorld): Claude 3.5 Sonnet"
BAND_ALPHA = 0.15
DODGE = 1.03  # factor between neighbouring series' x positions on the budget axis


def budget_figure(frame: pd.DataFrame, reference: bool = False) -> Figure:
    """Success rate against step budget, one line per series, with Wilson 95% bands and whiskers.

    Whiskers as well as bands, because a series run at a single budget has a
    band of zero width.  ``reference`` adds the published OSWorld points as
    separate star markers, never joined to a measured line.
    """
    plot_data.require_scored(frame)
    curve = plot_data.budget_curve(frame)
    fig, ax = _figure((7.5, 4.8))
    colours = _colours(plot_data.series_labels(frame))
    groups = list(curve.groupby("series", sort=True))
    for i, (series, rows) in enumerate(groups):
        colour = colours[str(series)]
        x = _dodge(rows["budget"].to_numpy(dtype=float), i, len(groups))
        y = rows["rate"].to_numpy(dtype=float)
        ax.plot(x, y, marker="o", color=colour, label=str(series))
        ax.fill_between(x, rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float),
                        color=colour, alpha=BAND_ALPHA, linewidth=0)
        _whiskers(ax, x, rows, colour)
    budgets = set(curve["budget"].astype(int))
    if reference:
        budgets |= _draw_published(ax)
    _budget_axis(ax, sorted(budgets))
    _rate_axis(ax, "success rate (scored episodes)")
    ax.set_title("Success rate vs step budget (Wilson 95% intervals)")
    ax.legend(fontsize="small", loc="best")
    return fig


def _dodge(budgets: np.ndarray, index: int, count: int) -> np.ndarray:
    """Shift series ``index`` of ``count`` a few percent sideways, so equal rates at one budget stay visible."""
    factor: float = DODGE ** (index - (count - 1) / 2)
    return np.asarray(budgets * factor, dtype=float)


def _draw_published(ax: Axes) -> set[int]:
    """The published points as stars with their values, and their source under the axes."""
    budgets = [p.budget for p in OSWORLD_CLAUDE_35_SONNET]
    rates = [p.rate for p in OSWORLD_CLAUDE_35_SONNET]
    ax.scatter(budgets, rates, marker="*", s=160, color="black", zorder=5, label=PUBLISHED_LABEL)
    for budget, rate in zip(budgets, rates, strict=True):
        ax.annotate(f"{100 * rate:.1f}%", (budget, rate), textcoords="offset points", xytext=(6, -12),
                    fontsize="small")
    _footnote(ax, f"published points: {OSWORLD_CLAUDE_35_SONNET[0].source};\n"
                  "the full OSWorld suite, not these tasks: context, not a comparison")
    return set(budgets)


def _budget_axis(ax: Axes, budgets: list[int]) -> None:
    """Log scale when budgets span a factor of ten or more, ticks at exactly the budgets used."""
    if budgets[-1] >= 10 * budgets[0]:
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(budgets[0] / 1.4, budgets[-1] * 1.4)
    ax.set_xticks(budgets, labels=[str(b) for b in budgets])
    ax.set_xlabel("step budget")


def cost_figure(frame: pd.DataFrame) -> Figure:
    """Mean cost per episode against success rate, one point per configuration, the Pareto front marked."""
    plot_data.require_scored(frame)
    points = plot_data.cost_points(frame)
    fig, ax = _figure((7.5, 4.8))
    colours = _colours(plot_data.series_labels(frame))
    for series, rows in points.groupby("series", sort=True):
        colour = colours[str(series)]
        x, y = rows["cost_per_episode"].to_numpy(dtype=float), rows["rate"].to_numpy(dtype=float)
        ax.scatter(x, y, color=colour, label=str(series), zorder=3)
        _whiskers(ax, x, rows, colour)
        for (cost, rate), same in rows.groupby(["cost_per_episode", "rate"]):  # one label for coinciding points
            budgets = ",".join(str(b) for b in sorted(same["budget"]))
            ax.annotate(f"@{budgets}", (cost, rate), textcoords="offset points", xytext=(5, 4), fontsize="small")
    front = points[points["pareto"]].sort_values("cost_per_episode")
    ax.step(front["cost_per_episode"], front["rate"], where="post", color="dimgray", linestyle="--", zorder=2,
            label="Pareto front (lower cost, higher success)")
    ax.scatter(front["cost_per_episode"], front["rate"], s=200, facecolors="none", edgecolors="black", zorder=4)
    ax.set_xlabel("mean cost per episode (USD)")
    _rate_axis(ax, "success rate (scored episodes)")
    ax.set_title("Cost per episode vs success rate (one point per agent and budget)")
    ax.legend(fontsize="small", loc="best")
    _footnote(ax, f"spent in total: {plot_data.total_spend(frame):.4f} USD (prefix-sweep checkpoints are not "
                  "counted again)")
    return fig


def domain_figure(frame: pd.DataFrame, budget: int | None = None) -> Figure:
    """Grouped bars of success per domain with interval whiskers and ``successes/scored`` above each bar."""
    plot_data.require_scored(frame)
    rates = plot_data.domain_rates(frame, budget)
    domains = sorted(rates["domain"].unique())
    all_series = sorted(rates["series"].unique())
    fig, ax = _figure((max(7.5, 1.4 * len(domains) * max(1, len(all_series)) ** 0.5), 4.8))
    colours = _colours(plot_data.series_labels(frame))
    width = 0.8 / len(all_series)
    for i, series in enumerate(all_series):
        rows = rates[rates["series"] == series]
        x = np.array([domains.index(d) for d in rows["domain"]]) - 0.4 + width * (i + 0.5)
        y = rows["rate"].to_numpy(dtype=float)
        label = f"{series} @{int(rows['budget'].iloc[0])}"
        ax.bar(x, y, width * 0.92, color=colours[series], label=label)
        _whiskers(ax, x, rows, "black")
        for xi, top, k, n in zip(x, rows["ci_high"], rows["successes"], rows["scored"], strict=True):
            ax.annotate(f"{k}/{n}", (xi, top), textcoords="offset points", xytext=(0, 2), ha="center",
                        fontsize="x-small")
    ax.set_xticks(range(len(domains)), labels=domains)
    ax.set_xlabel("domain")
    _rate_axis(ax, "success rate (scored episodes)", top=1.12)
    which = "each series at its largest budget" if budget is None else f"budget {budget}"
    ax.set_title(f"Success per domain\n({which}; Wilson 95% intervals)")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def latency_figure(frame: pd.DataFrame) -> Figure:
    """Box plots of episode wall time, model time per step and environment time per step, per series."""
    plot_data.require_scored(frame)
    samples = plot_data.latency_samples(frame)
    fig = Figure(figsize=(13, 4.8), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(plot_data.LATENCY_METRICS))
    colours = _colours(plot_data.series_labels(frame))
    for ax, metric in zip(axes, plot_data.LATENCY_METRICS, strict=True):
        _latency_panel(ax, samples[samples["metric"] == metric], colours)
        ax.set_title(metric)
    fig.suptitle("Latency (episodes that really ran; prefix-sweep checkpoints left out)")
    return fig


def _latency_panel(ax: Axes, samples: pd.DataFrame, colours: dict[str, str]) -> None:
    groups = [(str(s), rows["seconds"].to_numpy(dtype=float)) for s, rows in samples.groupby("series", sort=True)]
    groups = [(s, values) for s, values in groups if len(values)]
    if not groups:
        ax.text(0.5, 0.5, "no measured episodes", ha="center", va="center", transform=ax.transAxes)
        return
    boxes = ax.boxplot([values for _, values in groups], positions=list(range(len(groups))), widths=0.6,
                       patch_artist=True, medianprops={"color": "black"})
    for patch, (series, _) in zip(boxes["boxes"], groups, strict=True):
        patch.set_facecolor(colours[series])
        patch.set_alpha(0.6)
    ax.set_xticks(range(len(groups)), labels=[s for s, _ in groups], rotation=20, ha="right", fontsize="small")
    ax.set_ylabel("seconds")
    ax.set_ylim(bottom=0)


FIGURES: dict[str, Callable[[pd.DataFrame, bool], Figure]] = {
    "success_vs_budget": budget_figure,
    "cost_vs_success": lambda frame, _reference: cost_figure(frame),
    "success_by_domain": lambda frame, _reference: domain_figure(frame),
    "latency": lambda frame, _reference: latency_figure(frame),
}


def all_figures(frame: pd.DataFrame, reference: bool = False) -> dict[str, Figure]:
    """Every figure by its file name stem; ``reference`` adds the published points to the budget curve."""
    plot_data.require_scored(frame)
    return {name: make(frame, reference) for name, make in FIGURES.items()}


def save_figure(fig: Figure, stem: Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write ``fig`` as ``stem.<format>`` for each format.

    SVG text stays text (``svg.fonttype: none``) so labels can be searched and
    checked; dates are left out so the same data gives the same file.
    """
    _check_formats(formats)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "deskbench"}):
        for fmt in formats:
            path = stem.with_name(f"{stem.name}.{fmt}")
            fig.savefig(path, format=fmt, dpi=150, metadata=_METADATA.get(fmt))
            written.append(path)
    return written


_METADATA: dict[str, dict[str, str | None]] = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}


def _check_formats(formats: Sequence[str]) -> None:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ConfigError(f"plot formats must be some of {', '.join(FORMATS)}, got {', '.join(formats) or 'none'}")


def write_plots(frame: pd.DataFrame, out_dir: Path, formats: Sequence[str] = ("png", "svg"),
                reference: bool = False) -> list[Path]:
    """Every figure of ``frame`` into ``out_dir``, in each format; the files written."""
    _check_formats(formats)
    written = []
    for name, fig in all_figures(frame, reference).items():
        written.extend(save_figure(fig, out_dir / name, formats))
    return written


def plot_runs(*paths: Path | str, out_dir: Path, formats: Sequence[str] = ("png", "svg"),
              reference: bool = False) -> list[Path]:
    """Load run folders (a missing, empty or unscored one is an error naming it) and write every figure."""
    _check_formats(formats)
    return write_plots(plot_data.load_plot_runs(*paths), out_dir, formats, reference)


def _figure(size: tuple[float, float]) -> tuple[Figure, Axes]:
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _colours(series: pd.Series) -> dict[str, str]:
    """One colour per series, stable across figures because it depends only on the sorted names."""
    palette = matplotlib.colormaps["tab10"]
    names = sorted({str(s) for s in series})
    return {name: matplotlib.colors.to_hex(palette(i % palette.N)) for i, name in enumerate(names)}


def _whiskers(ax: Axes, x: np.ndarray, rows: pd.DataFrame, colour: str) -> None:
    """Wilson interval as error bars around each rate."""
    y = rows["rate"].to_numpy(dtype=float)
    below = np.clip(y - rows["ci_low"].to_numpy(dtype=float), 0.0, None)  # rounding can make it -1e-17
    above = np.clip(rows["ci_high"].to_numpy(dtype=float) - y, 0.0, None)
    ax.errorbar(x, y, yerr=np.vstack([below, above]), fmt="none", ecolor=colour, capsize=3, linewidth=1)


def _footnote(ax: Axes, text: str) -> None:
    """Small print under the axes' x label, laid out with the axes (a figure-level text would be overlapped)."""
    ax.annotate(text, xy=(0.0, 0.0), xycoords="axes fraction", xytext=(0, -34), textcoords="offset points",
                va="top", ha="left", fontsize=6, color="dimgray", annotation_clip=False)


def _rate_axis(ax: Axes, label: str, top: float = 1.05) -> None:
    ax.set_ylim(-0.02, top)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_ylabel(label)
    ax.grid(axis="y", alpha=0.3)
