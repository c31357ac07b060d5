"""``deskbench rescore``: score a finished run again from its desktop snapshots, without its agent."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from harness.errors import ConfigError


def rescore(
    run: Annotated[Path, typer.Argument(help="the run folder to score again (left untouched)")],
    tasks: Annotated[Path, typer.Option("--tasks", help="the suite to take the evaluators from (as fixed now)")],
    checkers: Annotated[str | None, typer.Option(help="checker semantics: osworld or strict (default: the run's)")]
    = None,
    out: Annotated[Path | None, typer.Option(help="folder for the new scored view (default: RUN/rescored-<time>)")]
    = None,
) -> None:
    """Restore each episode's snapshot into a fresh desktop of the same image, run the evaluator, compare."""
    from harness.runner.rescore import compare_table, rescore_run
    from harness.tasks.loader import load_tasks

    if not run.is_dir():
        raise ConfigError(f"{run}: no such run folder")
    result = rescore_run(run, load_tasks(tasks), checkers, out, log=_log)
    Console(soft_wrap=True).print(compare_table(result), highlight=False, markup=False)


def _log(line: str) -> None:
    Console(stderr=True, soft_wrap=True).print(line, highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``deskbench`` app."""
    app.command("rescore")(rescore)
