"""CLI commands about suites: ``validate``, ``tasks check``, ``tasks fetch``, and the download cache."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.tasks.compat import TaskCompat
    from harness.tasks.fetch import FetchOptions, FetchOutcome
    from harness.tasks.resources import RemoteFile
    from harness.tasks.schema import Task


def console() -> Console:
    from harness.cli.app import out

    return out


def validate(
    suite: Annotated[Path, typer.Argument(help="task folder or file")],
    parallel: Annotated[int, typer.Option(min=1, help="episodes at once")] = 2,
    budget: Annotated[int, typer.Option(min=1)] = 50,
    run_dir: Annotated[Path | None, typer.Option(help="where the calibration runs go (resumable)")] = None,
    solutions: Annotated[Path | None, typer.Option(help="a folder of gold files to put on the tasks (e.g. "
                                                        "tasks/osworld-gold/solutions over OSWorld's index)")] = None,
) -> None:
    """Run every task's reference solution (must score 1) and the noop agent (must score 0)."""
    from harness.cli.app import default_results
    from harness.errors import TaskFileError
    from harness.runner.run import new_run_id
    from harness.runner.validate import describe, validate_suite
    from harness.tasks.gold import gold_tasks
    from harness.tasks.validation import load_checked, refusal

    loaded, invalid = load_checked(suite)  # the same static validation as run and tasks check
    if invalid:
        raise TaskFileError(refusal(invalid))
    tasks, skipped = gold_tasks(loaded, suite, solutions)
    for line in skipped:
        console().print(f"  skipped {line}", highlight=False, markup=False, soft_wrap=True)
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
                parallel: Annotated[int, typer.Option(min=1, help="containers at once for --run-setup")] = 2,
                assume_network: Annotated[bool, typer.Option(help="also count, per domain, the tasks runnable "
                                                                   "with the network allowed (--network)")] = False,
                ) -> None:
    """Static compatibility report: runnable offline / needs network / needs account / unsupported (named)."""
    from collections import Counter

    from harness.tasks.compat import assess_all, missing_names
    from harness.tasks.validation import load_checked

    tasks, errors = load_checked(path if path.startswith("hf:") else Path(path))  # the same validation as run
    report = assess_all(tasks)
    out = console()
    for error in errors:  # a folder's bad files are reported, not a reason to stop
        out.print(f"{'invalid':14} {error.message}", highlight=False, markup=False, soft_wrap=True)
    if details:
        for c in report:
            why = c.needs_account or c.needs_network or c.unsupported
            out.print(f"{c.verdict:14} {c.key}  {'; '.join(why)[:150]}", highlight=False, markup=False,
                      soft_wrap=True)
    verdicts = Counter(c.verdict for c in report)
    title = f"{len(report)} tasks from {path}" + (f" ({len(errors)} files did not load or are invalid)" if errors else "")
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
    if assume_network:
        _print_runnable_by_domain(report)
    if run_setup:
        _run_offline_setups([t for t, c in zip(tasks, report, strict=True) if c.offline], parallel)
    if errors:
        raise typer.Exit(1)  # the report is complete, but a suite with files that do not load is not fine


def _print_runnable_by_domain(report: list[TaskCompat]) -> None:
    """Per domain: runnable offline now, and runnable when the only blocker, the network, is allowed."""
    from harness.tasks.compat import runnable_by_domain

    rows = runnable_by_domain(report)
    table = Table(title="runnable by domain, with the network assumed (files fetched on the host, --network)")
    for name, justify in (("domain", "left"), ("tasks", "right"), ("offline", "right"),
                          ("with network", "right"), ("share", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    totals = [0, 0, 0]
    for domain, (n, offline, networked) in rows.items():
        table.add_row(domain, str(n), str(offline), str(networked), f"{100 * networked / max(1, n):.1f}%")
        totals = [totals[0] + n, totals[1] + offline, totals[2] + networked]
    table.add_row("all", *(str(t) for t in totals), f"{100 * totals[2] / max(1, totals[0]):.1f}%")
    console().print(table)


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
def cache_list(verify: Annotated[bool, typer.Option(help="check every file's size and sha256; exit 1 if any "
                                                          "is corrupt")] = False) -> None:
    """Every cached URL and its size (with --verify, whether it is still what was stored)."""
    from harness.tasks.cache import CacheCorrupt, cached_urls, verified_entry

    corrupt = 0
    for url, file in cached_urls().items():
        state = ""
        if verify:
            try:
                entry = verified_entry(url)
                state = f"  ok sha256 {entry.sha256}" if entry is not None else "  gone"
            except CacheCorrupt as exc:
                corrupt += 1
                state = f"  CORRUPT: {exc}"
        console().print(f"{url}  {file.stat().st_size} bytes{state}", highlight=False, markup=False, soft_wrap=True)
    if corrupt:
        raise typer.Exit(1)


@cache_app.command("missing")
def cache_missing(path: Annotated[str, typer.Argument(help="task set")]) -> None:
    """URLs a task set downloads that are not in the cache yet (what to supply to run it offline)."""
    from harness.tasks.cache import cached_file
    from harness.tasks.loader import load_tasks
    from harness.tasks.resources import remote_files

    tasks = load_tasks(path if path.startswith("hf:") else Path(path))
    urls = sorted({f.url for t in tasks for f in remote_files(t) if cached_file(f.url) is None})
    for url in urls:
        console().print(url, highlight=False, soft_wrap=True)
    console().print(f"{len(urls)} URL(s) missing", highlight=False)


def tasks_fetch(
    path: Annotated[str, typer.Argument(help="task folder, file, index file, JSONL or hf:DATASET")],
    parallel: Annotated[int, typer.Option(min=1, help="downloads at once")] = 4,
    pins: Annotated[Path | None, typer.Option(help="JSON of URL -> sha256 the files must have, or a run's "
                                                   "manifest.json (fetch the inputs that run used)")] = None,
    max_mb: Annotated[int, typer.Option(min=1, help="size cap per file, in MiB")] = 2048,
) -> None:
    """Download every file the tasks need (download steps, cloud_file getters) into the local cache, on this host.

    Afterwards ``tasks check`` counts those tasks as offline.  Exits 1 when any file failed.
    """
    from harness.tasks.fetch import FetchOptions
    from harness.tasks.loader import load_tasks

    options = FetchOptions(max_bytes=max_mb << 20, pins=_read_pins(pins) if pins else {})  # bad input first
    tasks = load_tasks(path if path.startswith("hf:") else Path(path))
    needs = _needs_by_url(tasks)
    out = console()
    out.print(f"fetching {len(needs)} files for {len(tasks)} tasks from {path}, {parallel} at once", highlight=False,
              markup=False, soft_wrap=True)
    outcomes = _fetch_with_progress(needs, parallel, options)
    failed = sorted((o for o in outcomes if o.error is not None), key=lambda o: o.need.url)
    if failed:
        table = Table(title=f"{len(failed)} of {len(needs)} files failed")
        table.add_column("url", overflow="fold")
        table.add_column("tasks", overflow="fold")
        table.add_column("why", overflow="fold")
        for o in failed:
            reason = (o.error or "").removeprefix(f"{o.need.url}: ")
            table.add_row(o.need.url, ", ".join(o.tasks[:3]) + (f" +{len(o.tasks) - 3}" if len(o.tasks) > 3 else ""),
                          reason)
        out.print(table)
    size = sum(o.entry.size for o in outcomes if o.entry is not None)
    out.print(f"{len(outcomes) - len(failed)}/{len(outcomes)} files in the cache ({size / 1e6:.2f} MB)",
              highlight=False)
    if failed:
        raise typer.Exit(1)


def _needs_by_url(tasks: list[Task]) -> dict[str, tuple[RemoteFile, list[str]]]:
    """Every remote file of the tasks, once, with the keys of the tasks needing it."""
    from harness.tasks.resources import remote_files

    needs: dict[str, tuple[RemoteFile, list[str]]] = {}
    for task in tasks:
        for need in remote_files(task):
            needs.setdefault(need.url, (need, []))[1].append(task.key)
    return needs


def _fetch_with_progress(needs: dict[str, tuple[RemoteFile, list[str]]], parallel: int,
                         options: FetchOptions) -> list[FetchOutcome]:
    """``fetch_all`` under a progress bar: files done of all, bytes received and the rate so far."""
    import threading
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from harness.tasks.fetch import fetch_all

    started = time.monotonic()
    received = [0]
    lock = threading.Lock()
    with Progress(TextColumn("files"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                  TimeElapsedColumn(), console=console(), transient=True) as bar:
        files = bar.add_task("files", total=len(needs), rate="")

        def moved(n: int) -> None:
            with lock:
                received[0] += n
                total = received[0]
            seconds = max(1e-3, time.monotonic() - started)
            bar.update(files, rate=f"{total / 1e6:.1f} MB, {total / 1e6 / seconds:.1f} MB/s")

        def done(outcome: FetchOutcome) -> None:
            bar.advance(files)
            if outcome.error is not None:
                bar.console.print(f"  FAILED {outcome.error}", highlight=False, markup=False, soft_wrap=True)

        return fetch_all(needs, parallel, options, progress=moved, done=done)


def _read_pins(file: Path) -> dict[str, str]:
    """URL -> sha256 from a JSON object, or from a run manifest's ``files`` (one digest per URL)."""
    import json

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--pins {file}: not a readable JSON file ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("files"), dict) and "identity" in data:
        data = {url: shas[-1] for url, shas in data["files"].items() if isinstance(shas, list) and shas}
    if not isinstance(data, dict) or not all(isinstance(v, str) and len(v) == 64 for v in data.values()):
        raise ConfigError(f"--pins {file}: expected a JSON object of URL -> sha256 (64 hex digits), or a run manifest")
    return {str(url): str(sha).lower() for url, sha in data.items()}
