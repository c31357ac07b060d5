"""CLI command ``plot``: the figures of finished runs, as PNG and SVG files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.errors import ConfigError


def plot(
    runs: Annotated[list[Path], typer.Argument(help="run folders (their episodes are plotted together)")],
    out: Annotated[Path | None, typer.Option(help="folder for the figures (default: plots/ in the first run)")
                   ] = None,
    file_format: Annotated[str, typer.Option("--format", help="file formats, comma-separated: png, svg, pdf")
                      ] = "png,svg",
    reference: Annotated[bool, typer.Option(help="add the published OSWorld points (Claude 3.5 Sonnet: 14.9% at "
                                                 "15 steps, 22.0% at 50) to the budget curve")] = False,
) -> None:
    """Success vs step budget, cost vs success (Pareto front), success per domain, and latency figures."""
    from harness.cli.app import out as console
    from harness.report.plots import plot_runs

    folder = out or runs[0] / "plots"
    written = plot_runs(*runs, out_dir=folder, formats=_formats(file_format), reference=reference)
    console.print(f"{len(written)} files in {folder}:", highlight=False, markup=False)
    for path in written:
        console.print(f"  {path.name}", highlight=False, markup=False)


def _formats(text: str) -> tuple[str, ...]:
    """Comma-separated formats, lower-cased, each once, in the order given."""
    formats = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in text.split(",") if f.strip()))
    if not formats:
        raise ConfigError(f"--format needs at least one of png, svg, pdf, got {text!r}")
    return formats


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``deskbench`` app."""
    app.command("plot")(plot)
