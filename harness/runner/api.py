"""``run_suite``: the ``deskbench run`` command as one Python call that returns the results DataFrame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from harness.agents.registry import agent_spec
from harness.runner.executor import Executor, make_executor
from harness.runner.run import OnResult, RunConfig, default_run_dir, execute_run
from harness.store.records import Sweep
from harness.store.run_folder import RunFolder, load_results
from harness.tasks.loader import load_tasks
from harness.tasks.screen import suite_screen
from harness.tasks.suites import BUILT_IN_SUITE

DEFAULT_RESULTS = Path("results")


def run_suite(suite: Path | str = BUILT_IN_SUITE, agent: str = "oracle", model: str | None = None,
              budgets: Sequence[int] = (15,), repeats: int = 1, parallel: int = 2, timeout: float = 900.0,
              run_dir: Path | str | None = None, sweep: Sweep = "independent", retries: int = 2,
              model_calls: int | None = None, seed: int = 0, screenshots: bool = True,
              agent_options: Mapping[str, str] | None = None, screen: tuple[int, int] | None = None,
              executor: Executor | str | None = None, on_result: OnResult | None = None,
              ray_address: str | None = None) -> pd.DataFrame:
    """Run (or resume, when ``run_dir`` exists) a suite; one row per episode, its last attempt counted.

    ``frame.attrs["run_dir"]`` says where the run folder is.  ``screen`` defaults to the suite's
    (1920x1080 for an OSWorld index file, else 1280x800).  ``executor`` is an executor or its
    name, ``"local"`` or ``"ray"`` (the cluster at ``ray_address``, docs/ray.md).
    """
    if isinstance(executor, str) or ray_address is not None:
        executor = make_executor(executor if isinstance(executor, str) else "ray", parallel, ray_address)
    options = dict(agent_options or {})
    if model is not None:
        options["model"] = model
    spec = agent_spec(agent, options)
    folder = RunFolder(run_dir or default_run_dir(DEFAULT_RESULTS, f"{agent}-{model}" if model else agent))
    config = RunConfig(agent=spec, budgets=tuple(budgets), repeats=repeats, parallel=parallel, timeout=timeout,
                       sweep=sweep, retries=retries, model_calls=model_calls, seed=seed,
                       screenshots=screenshots, screen=screen or suite_screen(suite))
    execute_run(load_tasks(suite), config, folder, on_result=on_result, executor=executor)
    frame = load_results(folder.path)
    frame.attrs["run_dir"] = str(folder.path)
    return frame
