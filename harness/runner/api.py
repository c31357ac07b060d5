"""``run_suite``: the ``deskbench run`` command as one Python call that returns the results DataFrame.

``RunOptions`` holds what both accept, under one set of names and defaults,
and ``prepare_run`` is the one path from them to a checked suite, a
``RunConfig`` and a run folder: the command parses its strings into
``RunOptions`` and calls it, ``run_suite`` builds ``RunOptions`` from its
arguments and calls it, so neither can drift from the other.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd

from harness.agents.spec import build_spec
from harness.errors import ConfigError, TaskFileError
from harness.runner.executor import Executor, make_executor
from harness.runner.policy import Confirmer
from harness.runner.run import OnResult, RunConfig, check_run, default_run_dir, execute_run
from harness.store.records import Sweep
from harness.store.run_folder import RunFolder, load_results
from harness.tasks.schema import Task
from harness.tasks.screen import suite_screen
from harness.tasks.suites import BUILT_IN_SUITE
from harness.tasks.validation import InvalidTask, load_checked, refusal


def default_results() -> Path:
    """Where a run folder goes when none is named: ``$DESKBENCH_RESULTS``, else ``results/`` of the checkout."""
    return Path(os.environ.get("DESKBENCH_RESULTS", Path(__file__).resolve().parents[2] / "results"))


@dataclass(frozen=True)
class RunOptions:
    """What ``deskbench run`` and ``run_suite`` take, before it is checked (see the command's help for each)."""

    suite: Path | str = BUILT_IN_SUITE
    agent: str = "oracle"
    model: str | None = None
    agent_options: Mapping[str, Any] = field(default_factory=dict)  # CLI strings or typed Python values
    budgets: Sequence[int] = (15,)
    sweep: str = "independent"
    repeats: int = 1
    parallel: int = 2
    model_calls: int | None = None
    retries: int = 2
    timeout: float = 900.0
    seed: int = 0
    run_dir: Path | str | None = None
    screenshots: bool = True
    policy: str | None = None  # a built-in policy name ("default") or a JSON file of rules; None: no policy
    confirm: Confirmer | None = None  # answers the policy's "ask" rules; None: they refuse
    allow_hosts: Sequence[str] = ()
    network: bool = False
    screen: tuple[int, int] | None = None  # None: the suite's (1920x1080 for an OSWorld index file, else 1280x800)
    checkers: str = "osworld"
    skip_invalid: bool = False


@dataclass(frozen=True)
class PreparedRun:
    """A suite checked statically, its configuration and its folder: what ``execute_run`` takes."""

    tasks: list[Task]
    invalid: list[InvalidTask]  # left out by skip_invalid, to be recorded as status invalid
    config: RunConfig
    folder: RunFolder


def prepare_run(options: RunOptions) -> PreparedRun:
    """Check the options and the suite (before any container or model call) and build the run's configuration.

    A bad option, an invalid task, an unknown agent, a missing image or a
    resume that would mix two configurations is one ``DeskbenchError`` naming
    it (``check_run``), raised before the run folder exists; nothing is written.
    """
    from harness.checkers.semantics import parse_semantics

    if options.sweep not in ("independent", "prefix"):
        raise ConfigError(f"--sweep must be independent or prefix, got {options.sweep!r}")
    try:
        checkers = parse_semantics(options.checkers)
    except ValueError as exc:
        raise ConfigError(f"--checkers: {exc}") from None
    agent_options = dict(options.agent_options)
    if options.model is not None:
        if agent_options.get("model", options.model) != options.model:
            raise ConfigError(f"--model {options.model} and --agent-option model={agent_options['model']} disagree: "
                              "give the model once")
        agent_options["model"] = options.model
    # typed and validated now, before the suite is read or anything is written; it travels to every episode
    spec = build_spec(options.agent, agent_options)
    tasks, invalid = load_checked(options.suite)  # every task checked statically before any container or model call
    if invalid and not options.skip_invalid:
        raise TaskFileError(refusal(invalid))
    if options.network:
        from harness.tasks.fetch import MirrorMap

        MirrorMap.from_env()  # a bad DESKBENCH_MIRRORS is one line now, not an error in every episode
    config = RunConfig(agent=spec, budgets=tuple(options.budgets), repeats=options.repeats, parallel=options.parallel,
                       timeout=options.timeout, sweep=cast("Sweep", options.sweep), retries=options.retries,
                       model_calls=options.model_calls, seed=options.seed, screenshots=options.screenshots,
                       policy=options.policy, confirm=options.confirm, allow_hosts=tuple(options.allow_hosts),
                       screen=options.screen or suite_screen(options.suite), network=options.network,
                       checkers=checkers)
    label = f"{spec.name}-{options.model}" if options.model else spec.name
    folder = RunFolder(options.run_dir or default_run_dir(default_results(), label))
    check_run(tasks, config, folder)
    return PreparedRun(tasks, invalid, config, folder)


def run_suite(suite: Path | str = BUILT_IN_SUITE, agent: str = "oracle", model: str | None = None,
              budgets: Sequence[int] = (15,), repeats: int = 1, parallel: int = 2, timeout: float = 900.0,
              run_dir: Path | str | None = None, sweep: Sweep = "independent", retries: int = 2,
              model_calls: int | None = None, seed: int = 0, screenshots: bool = True,
              agent_options: Mapping[str, Any] | None = None, screen: tuple[int, int] | None = None,
              executor: Executor | str | None = None, on_result: OnResult | None = None,
              ray_address: str | None = None, policy: str | None = None, confirm: Confirmer | None = None,
              allow_hosts: Sequence[str] = (), network: bool = False, checkers: str = "osworld",
              skip_invalid: bool = False) -> pd.DataFrame:
    """Run (or resume, when ``run_dir`` exists) a suite; one row per episode, its last attempt counted.

    Takes what ``deskbench run`` takes, under the same names and defaults
    (``allow_hosts`` for the repeatable ``--allow-host``; ``confirm`` a
    function answering the policy's ask-rules instead of ``--confirm ask``).
    ``frame.attrs["run_dir"]`` says where the run folder is.  ``executor`` is
    an executor or its name, ``"local"`` or ``"ray"`` (the cluster at
    ``ray_address``, docs/ray.md).
    """
    prepared = prepare_run(RunOptions(
        suite=suite, agent=agent, model=model, agent_options=dict(agent_options or {}), budgets=tuple(budgets),
        sweep=sweep, repeats=repeats, parallel=parallel, model_calls=model_calls, retries=retries, timeout=timeout,
        seed=seed, run_dir=run_dir, screenshots=screenshots, policy=policy, confirm=confirm,
        allow_hosts=tuple(allow_hosts), network=network, screen=screen, checkers=checkers, skip_invalid=skip_invalid))
    if isinstance(executor, str) or ray_address is not None:
        executor = make_executor(executor if isinstance(executor, str) else "ray", parallel, ray_address)
    execute_run(prepared.tasks, prepared.config, prepared.folder, on_result=on_result, executor=executor,
                invalid=prepared.invalid)
    frame = load_results(prepared.folder.path)
    frame.attrs["run_dir"] = str(prepared.folder.path)
    return frame
