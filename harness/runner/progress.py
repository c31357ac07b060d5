"""What a run shows while it runs: a rich progress bar, per-episode lines, or (quiet) nothing until the end.

The bar counts episodes that are finished (a retried attempt is not), and
shows successes over *scored* episodes and dollars so far, so a glance gives
the same denominators as the final table.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from harness.store.records import EpisodeResult


@dataclass
class Tally:
    """Counts of the finished episodes of this call."""

    done: int = 0
    scored: int = 0
    successes: int = 0
    retried: int = 0
    cost_usd: float = 0.0

    def add(self, record: EpisodeResult) -> None:
        self.cost_usd += record.usage.cost_usd if record.derived_from is None else 0.0
        if record.will_retry:
            self.retried += 1
            return
        self.done += 1
        self.scored += record.scored
        self.successes += record.status == "success"

    def describe(self) -> str:
        return f"success {self.successes}/{self.scored} scored · ${self.cost_usd:.2f}" + (
            f" · {self.retried} retried" if self.retried else "")


class RunProgress:
    """Context manager fed with every record; ``bar`` off gives plain lines, ``quiet`` gives nothing."""

    def __init__(self, console: Console, total: int, bar: bool = True, quiet: bool = False) -> None:
        self.console, self.total, self.quiet = console, total, quiet
        self.tally = Tally()
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        if bar and not quiet:
            self.progress = Progress(TextColumn("[bold]run"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[tally]}"), TextColumn("ETA"), TimeRemainingColumn(),
                                     console=console, transient=False)

    def __enter__(self) -> RunProgress:
        if self.progress is not None:
            self.progress.start()
            self.task = self.progress.add_task("run", total=self.total, tally=self.tally.describe())
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.progress is not None:
            self.progress.stop()

    def add(self, record: EpisodeResult) -> None:
        self.tally.add(record)
        if self.quiet:
            return
        self.console.print(line(record, self.tally.done, self.total), highlight=False)
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=self.tally.done, tally=self.tally.describe())


def line(r: EpisodeResult, done: int, total: int) -> str:
    """One episode as a line (rich markup): status, task, budget, steps, time, error."""
    mark = {"success": "[green]ok  [/]", "failure": "[red]fail[/]"}.get(r.status, f"[yellow]{r.status}[/]")
    retry = f" [yellow](attempt {r.attempt + 1}, retrying)[/]" if r.will_retry else ""
    prefix = " (checkpoint)" if r.derived_from else ""
    note = f"  {escape(r.error)}" if r.error else ""
    return (f"  \\[{done}/{total}] {mark} {escape(r.domain)}/{escape(r.task_id)} b={r.budget}{prefix} steps={r.steps_used} "
            f"{r.timings.total:.1f}s{retry}{note}")
