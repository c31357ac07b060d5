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
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from harness.errors import ConfigError, DeskbenchError
from harness.tasks.suites import BUILT_IN_SUITE, CORE_SUITE

if TYPE_CHECKING:
    from harness.runner.policy import Confirmer, Rule
    from harness.runner.progress import RunProgress
    from harness.sandbox.gc import Collection

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


def default_suite() -> Path:
    return Path(os.environ.get("DESKBENCH_SUITE", BUILT_IN_SUITE))


def default_results() -> Path:
    """The results folder ``run`` and ``run_suite`` share (``harness.runner.api.default_results``)."""
    from harness.runner.api import default_results as results

    return results()


def _budgets(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise ConfigError(f"--budgets must be comma-separated integers with no empty item, got {text!r}") from None
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
    sweep: Annotated[str, typer.Option(help="independent: an episode per budget; prefix: one episode at the "
                                            "largest budget scored at the smaller ones (read-only checkers)")
                     ] = "independent",
    repeats: Annotated[int, typer.Option(min=1)] = 1,
    parallel: Annotated[int, typer.Option(min=1, help="episodes (containers) at once")] = 2,
    model_calls: Annotated[int | None, typer.Option(min=1, help="agent turns (model calls) at once; "
                                                              "default: --parallel")] = None,
    retries: Annotated[int, typer.Option(min=0, help="further attempts after an infrastructure error")] = 2,
    timeout: Annotated[float, typer.Option(help="seconds per episode")] = 900.0,
    seed: Annotated[int, typer.Option(help="recorded in the manifest; each episode's agent gets seed + repeat")
                    ] = 0,
    run_dir: Annotated[Path | None, typer.Option(help="run folder; an existing one is resumed")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar, no per-episode lines (CI, logs)")] = False,
    screenshots: Annotated[bool, typer.Option(help="keep every step's screenshot in the trajectories")] = True,
    policy: Annotated[str | None, typer.Option(help="confirmation policy before consequential actions: 'default' "
                                                    "or a JSON file of rules")] = None,
    confirm: Annotated[str, typer.Option(help="what an 'ask' rule does: deny, or ask at the terminal")] = "deny",
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", help="host, host:port, host:* or *.domain the desktops may reach through the egress "
                             "proxy (repeatable); default: no network at all")] = None,
    network: Annotated[bool, typer.Option(help="run tasks that need the network: the host fetches their files into "
                                               "the cache first, and each desktop may reach exactly the hosts of "
                                               "the pages its task opens, through the egress proxy")] = False,
    screen: Annotated[str | None, typer.Option(help="WIDTHxHEIGHT of every desktop; default 1920x1080 for an "
                                                    "OSWorld index file (as OSWorld runs it), else 1280x800")] = None,
    checkers: Annotated[str, typer.Option(help="checker semantics: osworld (the reference checkers' scores, quirks "
                                               "included) or strict (deskbench's named corrections, "
                                               "docs/checker-semantics.md)")] = "osworld",
    executor: Annotated[str, typer.Option(help="where episodes run: local (threads here) or ray (Ray tasks on a "
                                               "cluster's nodes, docs/ray.md)")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="the Ray cluster to join (host:port); default: a Ray "
                                                         "started on this machine")] = None,
    skip_invalid: Annotated[bool, typer.Option(help="run the valid tasks of a suite that has invalid ones; those "
                                                    "are recorded with status invalid (in no denominator)")] = False,
) -> None:
    """Run a task suite and print success per domain and overall."""
    from harness.agents.registry import parse_options
    from harness.runner.api import RunOptions, prepare_run
    from harness.runner.executor import make_executor
    from harness.runner.run import RunPlan, execute_run
    from harness.tasks.screen import parse_screen

    if executor == "ray" and confirm == "ask":
        raise ConfigError("--confirm ask needs a terminal beside each episode: not with --executor ray")
    # the same path as run_suite: options, suite and run checked (every refusal before the plan line and before
    # the folder exists), config, folder
    prepared = prepare_run(RunOptions(
        suite=suite, agent=agent, model=model, agent_options=parse_options(agent_option or []),
        budgets=_budgets(budgets), sweep=sweep, repeats=repeats, parallel=parallel, model_calls=model_calls,
        retries=retries, timeout=timeout, seed=seed, run_dir=run_dir, screenshots=screenshots, policy=policy,
        confirm=_confirmer(confirm), allow_hosts=tuple(allow_host or ()), network=network,
        screen=parse_screen(screen) if screen is not None else None, checkers=checkers, skip_invalid=skip_invalid))
    tasks, invalid, config, folder, spec = (prepared.tasks, prepared.invalid, prepared.config, prepared.folder,
                                            prepared.config.agent)
    runner = make_executor(executor, parallel, ray_address)
    total = len(tasks) * len(set(config.budgets)) * repeats
    out.print(f"deskbench: {len(tasks)} tasks from {suite}, agent {spec}, budgets {sorted(set(config.budgets))} "
              f"({config.sweep}), {total} episodes, {parallel} at once -> {folder.path}", highlight=False,
              markup=False)
    for bad in invalid:
        out.print(f"  skipped, recorded as invalid: {bad.message}", highlight=False, markup=False)
    progress = _progress(total, quiet)

    def planned(run_plan: RunPlan, jobs_left: int) -> None:
        for key, reason in sorted(run_plan.fallback.items()):
            out.print(f"  prefix sweep not possible for {key} ({reason}): independent episodes", highlight=False,
                      markup=False)
        if jobs_left < len(run_plan.jobs):
            out.print(f"  resuming: {len(run_plan.jobs) - jobs_left} of {len(run_plan.jobs)} episodes already "
                      "finished", highlight=False)

    try:
        with progress:
            execute_run(tasks, config, folder, on_result=progress.add, on_plan=planned, executor=runner,
                        invalid=invalid)
    except KeyboardInterrupt:
        err.print(f"interrupted: finished episodes are in {folder.episodes_file}; run again with "
                  f"--run-dir {folder.path} to resume")
        raise typer.Exit(130) from None
    print_run_summary(folder.path)


def _confirmer(mode: str) -> Confirmer | None:
    """``deny``: nobody is asked, ask-rules refuse.  ``ask``: a person at the terminal answers, one at a time."""
    if mode == "deny":
        return None
    if mode != "ask":
        raise ConfigError(f"--confirm must be deny or ask, got {mode!r}")
    if not sys.stdin.isatty():
        raise ConfigError("--confirm ask needs a terminal to ask at; use --confirm deny in scripts and CI")
    import threading

    from rich.prompt import Confirm

    lock = threading.Lock()

    def ask(rule: Rule, action: str) -> bool:
        with lock:  # parallel episodes ask one question at a time
            return Confirm.ask(f"[bold]policy rule {rule.name!r}[/]: allow {action!r}?", console=err, default=False)

    return ask


def _progress(total: int, quiet: bool) -> RunProgress:
    from harness.runner.progress import RunProgress

    return RunProgress(out, total, bar=out.is_terminal, quiet=quiet)


def print_run_summary(path: Path) -> None:
    """The success table, then the denominators and what a prefix sweep saved."""
    from harness.report.tables import success_table
    from harness.runner.summary import denominators, prefix_savings
    from harness.store.run_folder import load_results

    frame = load_results(path)
    print_success(success_table(frame))
    out.print(denominators(frame).describe(), highlight=False, markup=False)
    savings = prefix_savings(frame)
    if savings.episodes:
        out.print(savings.describe(), highlight=False, markup=False)


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
def gc(run_id: Annotated[str | None, typer.Option("--run", help="only this run's containers")] = None,
       force: Annotated[bool, typer.Option(help="remove every deskbench container, live runs' too")] = False,
       ray_address: Annotated[str | None, typer.Option(help="clean every node of this Ray cluster (host:port), "
                                                            "each with its own Docker engine")] = None,
       ) -> None:
    """Remove what killed runs left: containers whose owner is gone, and their host folders.

    A container is kept while its run folder is locked by a live process or
    its owner process is alive; ``--force`` removes it anyway.
    """
    from harness.sandbox.gc import collect_garbage

    if force:
        err.print("deskbench gc --force: removing every deskbench container, including those of runs still "
                  "going (their episodes end as infrastructure errors and are retried)", highlight=False)
    if ray_address is not None:
        from harness.runner.executors.ray_driver import collect_cluster_garbage

        for node, collection in collect_cluster_garbage(ray_address, run_id, force):
            out.print(f"node {node}:", highlight=False, markup=False)
            _print_collection(collection)
        return
    _print_collection(collect_garbage(run_id, force=force))


def _print_collection(done: Collection) -> None:
    out.print(f"removed {len(done.removed)} container(s)" + (": " + ", ".join(done.removed) if done.removed else ""),
              highlight=False, soft_wrap=True)
    for name, reason in sorted(done.kept.items()):
        out.print(f"kept {name}: {reason}", highlight=False, markup=False, soft_wrap=True)
    if done.folders:
        out.print(f"removed {len(done.folders)} host folder(s) of dead runs: "
                  + ", ".join(str(f) for f in done.folders), highlight=False, markup=False, soft_wrap=True)


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
    image_starts: Annotated[int, typer.Option(min=0, help="starts to time per image (size, build time, start "
                                                          "p50 of every built image); 0: skip")] = 5,
) -> None:
    """Time container start, guest action+screenshot, and docker-exec action+screenshot, side by side;
    then each built image's size, build time and start time."""
    from harness.bench.env_latency import measure, measure_images, render, render_images

    out.print(render(measure(samples=samples, starts=starts)), highlight=False)
    if image_starts:
        out.print(render_images(measure_images(starts=image_starts)), highlight=False)


@bench_app.command("throughput")
def bench_throughput(
    suite: Annotated[Path, typer.Option(help="task suite")] = CORE_SUITE,
    parallel: Annotated[str, typer.Option(help="parallelism levels, comma-separated")] = "1,2,4,8",
    limit: Annotated[int | None, typer.Option(min=1, help="only the first N tasks")] = None,
    overhead: Annotated[bool, typer.Option(help="also time the harness against a 1 s think time")] = True,
    overhead_tasks: Annotated[int, typer.Option(min=1, help="episodes (the first tasks) for the overhead figure")
                              ] = 5,
    executor: Annotated[str, typer.Option(help="executors to compare, comma-separated: local, ray")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="the Ray cluster (host:port); default: a Ray started "
                                                         "on this machine")] = None,
    driver_ceiling: Annotated[int, typer.Option(min=0, help="fake episodes for the Ray driver's own ceiling "
                                                            "(records, trajectories, screenshots per second); "
                                                            "0: skip")] = 0,
) -> None:
    """Episodes per minute at each --parallel (oracle) and the harness's own time per step, side by side."""
    from harness.bench.throughput import (
        measure_driver_ceiling,
        measure_overhead,
        measure_throughput,
        render,
        render_ceiling,
    )
    from harness.runner.executor import EXECUTORS
    from harness.tasks.loader import load_tasks

    names = [name.strip() for name in executor.split(",")]
    unknown = [name for name in names if name not in EXECUTORS]
    if unknown:
        raise ConfigError(f"--executor must be a comma-separated list of {', '.join(EXECUTORS)}, got {executor!r}")
    tasks = load_tasks(suite)[:limit]
    levels = _budgets(parallel)
    out.print(f"bench throughput: {len(tasks)} tasks from {suite}, parallel {levels}, executors {names}",
              highlight=False)
    figures = [f for name in names for f in measure_throughput(tasks, levels, executor=name, address=ray_address)]
    cost = measure_overhead(tasks[:overhead_tasks]) if overhead else None
    out.print(render(figures, cost), highlight=False, markup=False)
    if driver_ceiling:
        out.print(render_ceiling(measure_driver_ceiling(driver_ceiling, address=ray_address)), highlight=False,
                  markup=False)


def _register_suite_commands() -> None:
    from harness.cli import suite_cmds

    app.command("validate")(suite_cmds.validate)
    tasks_app.command("check")(suite_cmds.tasks_check)
    tasks_app.command("fetch")(suite_cmds.tasks_fetch)
    app.add_typer(suite_cmds.cache_app, name="cache")


_register_suite_commands()


def _register_result_commands() -> None:
    from harness.cli import plot_cmds, report_cmds, rescore_cmds, view_cmds

    for module in (report_cmds, plot_cmds, view_cmds, rescore_cmds):
        module.register(app)


_register_result_commands()


def _register_agent_commands() -> None:
    from harness.cli import agents

    agents.register(app)


_register_agent_commands()


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # same clean-up path as Ctrl-C


def main() -> None:
    # A shell without job control starts background commands with SIGINT ignored, and Python then keeps it ignored:
    # `deskbench run ... &` would run on through a Ctrl-C or `kill -INT`. A stop request stops deskbench however it
    # was started (clean up, exit 130).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        app()
    except DeskbenchError as exc:
        err.print(f"deskbench: error: {exc}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("deskbench: interrupted")
        sys.exit(130)
