"""A run: plan episodes (tasks x budgets x repeats), execute them, append each result as it finishes.

Re-running with the same run folder skips episodes already recorded, so a
crashed or interrupted run resumes where it stopped and loses nothing.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from harness.agents.registry import make_agent
from harness.runner.episode import EpisodeOptions, EpisodeSpec, run_episode
from harness.sandbox.container import SandboxLimits
from harness.sandbox.engine import docker_client
from harness.sandbox.images import resolve_image
from harness.store.records import EpisodeResult
from harness.store.run_folder import RunFolder
from harness.tasks.images import image_for_task
from harness.tasks.schema import Task

OnResult = Callable[[EpisodeResult], None]


@dataclass
class RunConfig:
    agent: str = "oracle"
    budgets: Sequence[int] = (15,)
    repeats: int = 1
    parallel: int = 1
    image: str = "desktop"
    screen: tuple[int, int] = (1280, 800)
    timeout: float = 900.0
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    network: bool = False
    screenshots: bool = True


def new_run_id(agent: str) -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + agent.replace(":", "_").replace("/", "_")


def plan(tasks: Sequence[Task], budgets: Sequence[int], repeats: int) -> list[EpisodeSpec]:
    """Every task at every budget, ``repeats`` times, in a stable order."""
    return [EpisodeSpec(t, b, r) for t in tasks for b in budgets for r in range(repeats)]


def execute_run(tasks: Sequence[Task], config: RunConfig, folder: RunFolder,
                on_result: OnResult | None = None) -> list[EpisodeResult]:
    """Run every planned episode not yet in ``folder``; returns the records of this call."""
    folder.create()
    done = folder.finished_ids()
    todo = [s for s in plan(tasks, config.budgets, config.repeats) if s.episode_id not in done]
    options = EpisodeOptions(run_id=folder.path.name, image=config.image, screen=config.screen,
                             limits=config.limits, timeout=config.timeout, network=config.network,
                             trajectories=folder.path, screenshots=config.screenshots)
    preflight(todo, config)
    results: list[EpisodeResult] = []
    lock = threading.Lock()

    def one(spec: EpisodeSpec) -> None:
        record = run_episode(spec, make_agent(config.agent), options)
        with lock:
            folder.append(record)
            results.append(record)
            if on_result:
                on_result(record)

    if config.parallel <= 1:
        for spec in todo:
            one(spec)
        return results
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=config.parallel)
    try:
        futures = [pool.submit(one, s) for s in todo]
        for f in concurrent.futures.as_completed(futures):
            f.result()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    return results


def preflight(todo: Sequence[EpisodeSpec], config: RunConfig) -> None:
    """Fail before any container starts: unknown agent, engine down, an image unknown or not built."""
    make_agent(config.agent)
    if not todo:
        return
    docker_client()
    for name in sorted({image_for_task(s.task, config.image) for s in todo}):
        resolve_image(name)


def default_run_dir(root: Path, agent: str) -> Path:
    return root / new_run_id(agent)
