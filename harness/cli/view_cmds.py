"""CLI command ``view``: the static HTML trajectory viewer of finished runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.errors import ConfigError

VIEW_FOLDER = "view"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``deskbench`` app."""
    app.command("view")(view)


def view(
    runs: Annotated[list[Path], typer.Argument(help="run folders (several make one site)")],
    out: Annotated[Path | None, typer.Option(help="site folder; default: RUN/view for one run")] = None,
) -> None:
    """Write a static HTML site of the runs' episodes: filters, screenshots with the actions, model text, verdicts."""
    from harness.cli.app import out as console
    from harness.report.viewer import build_site

    site = build_site(runs, out or default_out(runs))
    console.print(f"wrote {site.episodes} episode pages; open {site.index.resolve().as_uri()}", highlight=False,
                  markup=False, soft_wrap=True)


def default_out(runs: list[Path]) -> Path:
    """One run's site goes beside its data; several runs have no obvious home, so the user names one."""
    if len(runs) != 1:
        raise ConfigError("several run folders make one site: give it a folder with --out")
    return runs[0] / VIEW_FOLDER
