"""CLI commands about suites: ``validate``, ``tasks check``, and the download cache."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.tasks.schema import Task


def console() -> Console:
    from harness.cli.app import out

    return out


def validate(
    suite: Annotated[Path, typer.Argument(help="task folder or file")],
    parallel: Annotated[int, typer.Option(min=1, help="episodes at once")] = 2,
    budget: Annotated[int, typer.Option(min=1)] = 50,
    run_dir: Annotated[Path | None, typer.Option(help="where the calibration runs go (resumable)")] = None,
) -> None:
    """Run every task's reference solution (must score 1) and the noop agent (must score 0)."""
    from harness.cli.app import default_results
    from harness.runner.run import new_run_id
    from harness.runner.validate import describe, validate_suite
    from harness.tasks.loader import load_tasks

    tasks = load_tasks(suite)
    missing = [t.key for t in tasks if not t.solution]
    if missing:
        raise ConfigError(f"{len(missing)} task(s) have no reference solution: {', '.join(missing[:10])}")
    folder = run_dir or default_results() / new_run_id("validate")
    out = console()
    out.print(f"validating {len(tasks)} tasks from {suite} ({2 * len(tasks)} episodes, {parallel} at once) "
              f"-> {folder}", highlight=False)
    rows = validate_suite(tasks, folder, parallel=parallel, budget=budget)
    bad = [r for r in rows if not r.ok]
    for r in bad:
        out.print(f"  FAIL {r.key}: oracle {describe(r.oracle)}; noop {describe(r.noop)}", highlight=False,
                  markup=False, soft_wrap=True)
    out.print(f"{len(rows) - len(bad)}/{len(rows)} tasks calibrated (oracle 1, noop 0)", highlight=False)
    if bad:
        raise typer.Exit(1)


def tasks_check(path: Annotated[str, typer.Argument(help="task folder, file, index file, JSONL or hf:DATASET")],
                details: Annotated[bool, typer.Option(help="one line per task")] = False,
                run_setup: Annotated[bool, typer.Option(help="then run the setup of every offline task in a "
                                                             "fresh container of its image")] = False,
                parallel: Annotated[int, typer.Option(min=1, help="containers at once for --run-setup")] = 2) -> None:
    """Static compatibility report: runnable offline / needs network / needs account / unsupported (named)."""
    from collections import Counter

    from harness.tasks.compat import assess_all, missing_names
    from harness.tasks.loader import load_each

    tasks, errors = load_each(path if path.startswith("hf:") else Path(path))
    report = assess_all(tasks)
    out = console()
    for error in errors:  # a folder's bad files are reported, not a reason to stop
        out.print(f"{'invalid':14} {error}", highlight=False, markup=False, soft_wrap=True)
    if details:
        for c in report:
            why = c.needs_account or c.needs_network or c.unsupported
            out.print(f"{c.verdict:14} {c.key}  {'; '.join(why)[:150]}", highlight=False, markup=False,
                      soft_wrap=True)
    verdicts = Counter(c.verdict for c in report)
    title = f"{len(report)} tasks from {path}" + (f" ({len(errors)} files did not load)" if errors else "")
    table = Table(title=title)
    table.add_column("verdict")
    table.add_column("tasks", justify="right")
    table.add_column("share", justify="right")
    for verdict in ("offline", "needs_network", "needs_account", "unsupported"):
        table.add_row(verdict, str(verdicts[verdict]), f"{100 * verdicts[verdict] / max(1, len(report)):.1f}%")
    out.print(table)
    implemented = sum(c.checkers_implemented for c in report)
    out.print(f"every getter and metric implemented: {implemented}/{len(report)} "
              f"({100 * implemented / max(1, len(report)):.1f}%)", highlight=False)
    missing = missing_names(report)
    if missing:
        out.print("not implemented (tasks using it), most used first:", highlight=False)
        out.print("  " + ", ".join(f"{name} ({n})" for name, n in missing), highlight=False, soft_wrap=True)
    if run_setup:
        _run_offline_setups([t for t, c in zip(tasks, report, strict=True) if c.offline], parallel)
    if errors:
        raise typer.Exit(1)  # the report is complete, but a suite with files that do not load is not fine


def _run_offline_setups(tasks: list[Task], parallel: int) -> None:
    """Run the setups, print each failure as it comes and the totals; exit 1 when any failed."""
    from harness.runner.setup_check import SetupOutcome, check_setups

    out = console()
    out.print(f"running the setup of {len(tasks)} offline tasks, {parallel} at once", highlight=False)

    def show(o: SetupOutcome) -> None:
        if not o.ok:
            out.print(f"  SETUP FAILED {o.key} ({o.image}, {o.seconds:.1f} s): {o.error}", highlight=False,
                      markup=False, soft_wrap=True)

    outcomes = check_setups(tasks, parallel, progress=show)
    failed = sum(not o.ok for o in outcomes)
    seconds = sorted(o.seconds for o in outcomes)
    median = seconds[len(seconds) // 2] if seconds else 0.0
    out.print(f"setup ran without error: {len(outcomes) - failed}/{len(outcomes)} (median {median:.1f} s per task)",
              highlight=False)
    if failed:
        raise typer.Exit(1)


cache_app = typer.Typer(no_args_is_help=True, help="The local cache of files tasks download.")


@cache_app.command("add")
def cache_add(url: str, file: Path) -> None:
    """Store FILE as the content of URL (download steps and cloud_file then work offline)."""
    from harness.tasks.cache import add_to_cache

    try:
        target = add_to_cache(url, file)
    except FileNotFoundError as exc:
        raise ConfigError(str(exc)) from None
    console().print(f"cached {url} -> {target}", highlight=False, soft_wrap=True)


@cache_app.command("list")
def cache_list() -> None:
    """Every cached URL."""
    from harness.tasks.cache import cached_urls

    for url, file in cached_urls().items():
        console().print(f"{url}  {file.stat().st_size} bytes", highlight=False, soft_wrap=True)


@cache_app.command("missing")
def cache_missing(path: Annotated[str, typer.Argument(help="task set")]) -> None:
    """URLs a task set downloads that are not in the cache yet (what to supply to run it offline)."""
    from harness.tasks.compat import assess_all
    from harness.tasks.loader import load_tasks

    report = assess_all(load_tasks(path if path.startswith("hf:") else Path(path)))
    urls = sorted({n.split()[-1] for c in report for n in c.needs_network if " download " in f" {n} "})
    for url in urls:
        console().print(url, highlight=False, soft_wrap=True)
    console().print(f"{len(urls)} URL(s) missing", highlight=False)
