"""The ``deskbench`` command.

Expected failures (``DeskbenchError``) print one line and exit 1, without a
traceback; Ctrl-C exits 130 after the running episodes' containers are gone.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from harness.errors import ConfigError, DeskbenchError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="deskbench: evaluate computer-use agents on OSWorld-style tasks in Docker desktops.")
images_app = typer.Typer(no_args_is_help=True, help="Build and list the container images.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks of the harness itself.")
tasks_app = typer.Typer(no_args_is_help=True, help="Inspect task suites.")
app.add_typer(images_app, name="images")
app.add_typer(bench_app, name="bench")
app.add_typer(tasks_app, name="tasks")
out = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def default_suite() -> Path:
    return Path(os.environ.get("DESKBENCH_SUITE", repo_root() / "tasks" / "smoke"))


def default_results() -> Path:
    return Path(os.environ.get("DESKBENCH_RESULTS", repo_root() / "results"))


def _budgets(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"--budgets must be comma-separated integers, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise ConfigError(f"--budgets must be positive integers, got {text!r}")
    return values


@app.command()
def run(
    suite: Annotated[Path, typer.Option(help="task file, folder or OSWorld index file")] = default_suite(),
    agent: Annotated[str, typer.Option(help="oracle, noop, fail, random, claude, or package.module:Class")] = "oracle",
    model: Annotated[str | None, typer.Option(help="the agent's model (an agent option), e.g. claude-sonnet-4-5")
                     ] = None,
    agent_option: Annotated[list[str] | None, typer.Option(
        "--agent-option", help="key=value passed to the agent, repeatable (e.g. thinking_budget=2048)")] = None,
    budgets: Annotated[str, typer.Option(help="step budgets, comma-separated")] = "15",
    repeats: Annotated[int, typer.Option(min=1)] = 1,
    parallel: Annotated[int, typer.Option(min=1, help="episodes at once")] = 1,
    timeout: Annotated[float, typer.Option(help="seconds per episode")] = 900.0,
    run_dir: Annotated[Path | None, typer.Option(help="run folder; an existing one is resumed")] = None,
    quiet: Annotated[bool, typer.Option(help="no per-episode lines")] = False,
) -> None:
    """Run a task suite and print success per domain and overall."""
    from harness.agents.registry import agent_spec, parse_option
    from harness.report.tables import success_table
    from harness.runner.run import RunConfig, default_run_dir, execute_run
    from harness.store.records import EpisodeResult
    from harness.store.run_folder import RunFolder, load_results
    from harness.tasks.loader import load_tasks

    options = dict(parse_option(text) for text in agent_option or [])
    if model is not None:
        options["model"] = model
    spec = agent_spec(agent, options)  # the options travel with the agent's spec to every episode
    tasks = load_tasks(suite)
    config = RunConfig(agent=spec, budgets=_budgets(budgets), repeats=repeats, parallel=parallel, timeout=timeout)
    folder = RunFolder(run_dir or default_run_dir(default_results(), f"{agent}-{model}" if model else agent))
    total = len(tasks) * len(config.budgets) * repeats
    out.print(f"deskbench: {len(tasks)} tasks from {suite}, agent {spec}, budgets {list(config.budgets)}, "
              f"{total} episodes -> {folder.path}", highlight=False, markup=False)

    def show(r: EpisodeResult) -> None:
        if not quiet:
            mark = {"success": "[green]ok  [/]", "failure": "[red]fail[/]"}.get(r.status, f"[yellow]{r.status}[/]")
            note = f"  {r.error}" if r.error else ""
            out.print(f"  {mark} {r.domain}/{r.task_id} b={r.budget} steps={r.steps_used} "
                      f"{r.timings.total:.1f}s{note}", highlight=False)

    try:
        execute_run(tasks, config, folder, on_result=show)
    except KeyboardInterrupt:
        err.print(f"interrupted: finished episodes are in {folder.episodes_file}; run again with "
                  f"--run-dir {folder.path} to resume")
        raise typer.Exit(130) from None
    frame = load_results(folder.path)
    print_success(success_table(frame))


def print_success(table: object) -> None:
    import pandas as pd

    assert isinstance(table, pd.DataFrame)
    view = Table(title="success (scored episodes; errors are not in the denominator, see 'errors')")
    for col in ("agent", "budget", "domain", "episodes", "scored", "successes", "rate", "errors", "mean steps"):
        view.add_column(col, justify="left" if col in ("agent", "domain") else "right")
    for row in table.itertuples():
        rate = "-" if row.success_rate != row.success_rate else f"{100 * row.success_rate:.1f}%"
        view.add_row(str(row.agent), str(row.budget), str(row.domain), str(row.episodes), str(row.scored),
                     str(row.successes), rate, str(row.errors), f"{row.mean_steps:.1f}",
                     style="bold" if row.domain == "overall" else None)
    out.print(view)


@images_app.command("build")
def images_build(names: Annotated[list[str] | None, typer.Argument(help="images (default: all)")] = None) -> None:
    """Build images whose content changed; an unchanged image is a no-op."""
    from harness.sandbox.images import build_image, known_images

    for name in names or list(known_images()):
        tag, built = build_image(name, log=lambda line: out.print(line, highlight=False))
        out.print(f"{name}: {'built' if built else 'up to date'} {tag}", highlight=False)


@images_app.command("list")
def images_list() -> None:
    """Show each image and whether its current content is built."""
    from harness.errors import ImageNotFound
    from harness.sandbox.images import known_images, resolve_image

    for name, spec in known_images().items():
        try:
            state = resolve_image(name)
        except ImageNotFound:
            state = "not built"
        out.print(f"{name:10} parent={spec.parent:8} {state}", highlight=False)


@app.command()
def gc(run_id: Annotated[str | None, typer.Option("--run", help="only this run's containers")] = None) -> None:
    """Remove containers deskbench left behind (by label)."""
    from harness.sandbox.gc import collect_garbage

    removed = collect_garbage(run_id)
    out.print(f"removed {len(removed)} container(s)" + (": " + ", ".join(removed) if removed else ""))


@tasks_app.command("list")
def tasks_list(path: Annotated[Path, typer.Argument()] = default_suite()) -> None:
    """List the tasks of a suite."""
    from harness.tasks.loader import load_tasks

    for task in load_tasks(path):
        solution = "solution" if task.solution else "no solution"
        out.print(f"{task.domain}/{task.id}  ({solution})  {task.instruction[:70]}", highlight=False, markup=False,
                  soft_wrap=True)


@bench_app.command("env")
def bench_env(
    samples: Annotated[int, typer.Option(min=3, help="samples per measurement")] = 20,
    starts: Annotated[int, typer.Option(min=1, help="container starts to time")] = 10,
) -> None:
    """Time container start, guest action+screenshot, and docker-exec action+screenshot, side by side."""
    from harness.bench.env_latency import measure, render

    out.print(render(measure(samples=samples, starts=starts)), highlight=False)


def _register_suite_commands() -> None:
    from harness.cli import suite_cmds

    app.command("validate")(suite_cmds.validate)
    tasks_app.command("check")(suite_cmds.tasks_check)
    app.add_typer(suite_cmds.cache_app, name="cache")


_register_suite_commands()


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # same clean-up path as Ctrl-C


def main() -> None:
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        app()
    except DeskbenchError as exc:
        err.print(f"deskbench: error: {exc}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("deskbench: interrupted")
        sys.exit(130)
