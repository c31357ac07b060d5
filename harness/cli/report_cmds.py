"""CLI commands that read finished runs: ``report``, ``compare`` and ``export``.

The numbers come from ``harness.report`` (pure functions of the results
DataFrame); this module only picks the tables, the format and where the text
goes.  Heavy imports (pandas, datasets) happen inside the commands so that
``deskbench --help`` stays fast.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console

from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.report.export import Rows
    from harness.report.render import Section


class Format(StrEnum):
    rich = "rich"
    markdown = "markdown"
    csv = "csv"
    latex = "latex"


class Target(StrEnum):
    parquet = "parquet"
    dataset = "dataset"


def console() -> Console:
    from harness.cli.app import out

    return out


def report(
    runs: Annotated[list[Path], typer.Argument(help="run folders")],
    fmt: Annotated[Format, typer.Option("--format", help="rich (terminal), markdown, csv or latex")] = Format.rich,
    out: Annotated[Path | None, typer.Option(help="write to this file (csv with several tables: a folder, one "
                                                  "file per table)")] = None,
    table: Annotated[list[str] | None, typer.Option(help="only this table, repeatable: success, pass_k, latency, "
                                                         "cost, status")] = None,
) -> None:
    """Success by domain and budget with Wilson 95% intervals, pass@k, latency, cost and status counts."""
    from harness.report.runs import load_runs
    from harness.report.sections import report_sections

    sections = report_sections(load_runs(runs), table)
    emit(sections, fmt, out)
    for line in semantics_lines(runs):  # beside the tables, never inside a CSV on stdout
        typer.echo(line, err=fmt is not Format.rich or out is not None)


def semantics_lines(runs: list[Path]) -> list[str]:
    """Which checker semantics scored each run (from its manifest; runs from before the flag: osworld)."""
    from harness.store.manifest import read_manifest

    lines = []
    for run in runs:
        manifest = read_manifest(run)
        lines.append(f"{run}: scored under {manifest.checkers if manifest else 'osworld'} checker semantics")
    return lines


def compare(
    run_a: Annotated[Path, typer.Argument(help="run folder A")],
    run_b: Annotated[Path, typer.Argument(help="run folder B")],
    fmt: Annotated[Format, typer.Option("--format", help="rich (terminal), markdown, csv or latex")] = Format.rich,
    out: Annotated[Path | None, typer.Option(help="write to this file (csv with both tables: a folder, one "
                                                  "file per table)")] = None,
    table: Annotated[list[str] | None, typer.Option(help="only this table, repeatable: summary, discordant")
                     ] = None,
) -> None:
    """Pair episodes by (task, budget, repeat): McNemar's test, a 95% interval of A - B, and the discordant tasks."""
    from harness.report.compare import compare_runs
    from harness.report.runs import load_runs
    from harness.report.sections import compare_sections

    comparison = compare_runs(load_runs([run_a]), load_runs([run_b]))
    sections = compare_sections(comparison, table)
    warning = suite_mismatch(run_a, run_b)
    if warning:
        sections = [replace(s, note=f"{warning}. {s.note}") if s.name == "summary" else s for s in sections]
    emit(sections, fmt, out)


def suite_mismatch(run_a: Path, run_b: Path) -> str:
    """A warning when the manifests say the runs used different task content (a task id may differ in meaning)."""
    from harness.store.manifest import read_manifest

    manifests = [read_manifest(run) for run in (run_a, run_b)]
    hashes = [m.identity.get("suite_hash") if m else None for m in manifests]
    if None not in hashes and hashes[0] != hashes[1]:
        return "WARNING: the runs were made from different suite content (suite_hash differs)"
    return ""


def export(
    runs: Annotated[list[Path], typer.Argument(help="run folders")],
    to: Annotated[Target, typer.Option("--to", help="parquet (a file) or dataset (a Hugging Face dataset folder)")],
    out: Annotated[Path | None, typer.Option(help="the Parquet file, or the folder for save_to_disk")] = None,
    push: Annotated[str | None, typer.Option(help="also push the dataset to the Hub as this repo id "
                                                  "(needs a token and network)")] = None,
    all_attempts: Annotated[bool, typer.Option(help="one row per attempt, not per episode")] = False,
    rows: Annotated[str, typer.Option(help="episodes (one row each), steps (one per agent turn) or calls (one "
                                           "per model request)")] = "episodes",
) -> None:
    """Write the episodes as Parquet, or as a Hugging Face dataset (save_to_disk, optionally push_to_hub)."""
    from harness.report.export import push_dataset, save_dataset, to_dataset, write_parquet

    if rows not in ("episodes", "steps", "calls"):
        raise ConfigError(f"--rows must be episodes, steps or calls, got {rows!r}")
    kind = cast("Rows", rows)
    if push is not None and to is not Target.dataset:
        raise ConfigError("--push needs --to dataset")
    if out is None and push is None:
        raise ConfigError(f"--out is required for --to {to.value}")
    if to is Target.parquet:
        assert out is not None
        target = write_parquet(runs, out, all_attempts, kind)
        console().print(f"wrote {target}", highlight=False, markup=False, soft_wrap=True)
        return
    dataset = to_dataset(runs, all_attempts, kind)
    if out is not None:
        console().print(f"saved {dataset.num_rows} rows to {save_dataset(dataset, out)}", highlight=False,
                        markup=False, soft_wrap=True)
    if push is not None:
        console().print(f"pushed {dataset.num_rows} rows to {push_dataset(dataset, push)}", highlight=False,
                        markup=False, soft_wrap=True)


def emit(sections: list[Section], fmt: Format, out: Path | None) -> None:
    """Render ``sections`` in ``fmt`` to the terminal or to ``out``."""
    if fmt is Format.csv:
        _emit_csv(sections, out)
    elif fmt is Format.rich:
        _emit_rich(sections, out)
    else:
        from harness.report.render import latex, markdown

        _write_text(markdown(sections) if fmt is Format.markdown else latex(sections), out)


def _emit_rich(sections: list[Section], out: Path | None) -> None:
    from harness.report.render import rich_tables

    if out is None:
        for item in rich_tables(sections):
            console().print(item, highlight=False, markup=False) if isinstance(item, str) else console().print(item)
        return
    with open(out, "w", encoding="utf-8") as fh:
        file_console = Console(file=fh, width=200, no_color=True)
        for item in rich_tables(sections):
            file_console.print(item, highlight=False, markup=False) if isinstance(item, str) \
                else file_console.print(item)
    console().print(f"wrote {out}", highlight=False, markup=False, soft_wrap=True)


def _emit_csv(sections: list[Section], out: Path | None) -> None:
    """One table: its CSV to the terminal or file; several: one file per table in the folder ``out``."""
    from harness.report.render import csv_text

    if len(sections) == 1:
        _write_text(csv_text(sections[0].table), out)
        return
    if out is None:
        names = ", ".join(s.name for s in sections)
        raise ConfigError(f"a CSV holds one table: choose one with --table ({names}), or give --out FOLDER "
                          "for one file per table")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; CSV of several tables needs a folder (one file per table)")
    out.mkdir(parents=True, exist_ok=True)
    for section in sections:
        (out / f"{section.name}.csv").write_text(csv_text(section.table), encoding="utf-8")
    console().print(f"wrote {', '.join(f'{s.name}.csv' for s in sections)} to {out}", highlight=False,
                    markup=False, soft_wrap=True)


def _write_text(text: str, out: Path | None) -> None:
    if out is None:
        console().print(text, end="", highlight=False, markup=False, soft_wrap=True)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    console().print(f"wrote {out}", highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``deskbench`` app."""
    app.command("report")(report)
    app.command("compare")(compare)
    app.command("export")(export)
