"""A run: plan jobs (tasks x budgets x repeats), execute them, append each result as it finishes.

Budget sweeps are ``independent`` (each budget its own episode) or
``prefix`` (one episode at the largest budget, scored at the smaller budgets'
checkpoints, for tasks whose scoring is read-only; the others fall back to
independent episodes and the manifest says which).  An infrastructure error
is retried up to ``retries`` times; every attempt is recorded and the last
one counts.  An infrastructure error while the Docker engine does not answer
(a crashed or restarting ``dockerd``) first waits, bounded, for the engine to
come back, so the retries are not all spent in the second it is away.
Re-running with the same run folder skips finished episodes, so a crashed,
killed or interrupted run resumes where it stopped, and the manifest refuses
a resume whose configuration would change the results.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from harness.agents.registry import make_agent
from harness.agents.spec import SpecField, recorded_spec
from harness.checkers.semantics import Semantics, scoring_under
from harness.errors import ConfigError, EngineUnavailable
from harness.runner.episode import EpisodeOptions, EpisodeSpec, run_episode
from harness.runner.executor import Executor, LocalExecutor, RemoteExecutor
from harness.runner.invalid import record_invalid
from harness.runner.policy import Confirmer, load_policy, policy_digest
from harness.runner.prefix import expand_prefix, prefix_ineligible
from harness.runner.throttle import RunStopped, ThrottledAgent
from harness.sandbox.container import SandboxLimits
from harness.sandbox.egress import EgressPolicy
from harness.sandbox.engine import ENGINE_PATIENCE, docker_client, wait_for_engine
from harness.sandbox.gc import collect_garbage
from harness.sandbox.images import resolve_image
from harness.store.manifest import (
    RunManifest,
    check_resume,
    deskbench_version,
    read_manifest,
    suite_hash,
    write_manifest,
)
from harness.store.records import EpisodeResult, Sweep
from harness.store.run_folder import RunFolder, RunFolderError
from harness.tasks.images import image_for_task, runs_privileged
from harness.tasks.schema import Task
from harness.tasks.validation import InvalidTask, refuse_invalid

OnResult = Callable[[EpisodeResult], None]
logger = logging.getLogger(__name__)


@dataclass
class RunConfig:
    agent: SpecField = SpecField("oracle")  # an AgentSpec; a name (or package.module:Class) is converted once
    budgets: Sequence[int] = (15,)
    repeats: int = 1
    parallel: int = 1  # concurrent episodes, i.e. containers
    image: str = "desktop"
    screen: tuple[int, int] = (1280, 800)
    timeout: float = 900.0
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    network: bool = False
    screenshots: bool = True
    sweep: Sweep = "independent"
    retries: int = 2  # further attempts after an infrastructure error
    model_calls: int | None = None  # concurrent agent turns (model calls); None: one per episode slot
    seed: int = 0  # recorded in the manifest; each episode's agent is told seed + repeat
    policy: str | None = None  # confirmation policy: a built-in name ("default") or a JSON file; None: none
    confirm: Confirmer | None = None  # answers the policy's "ask" rules (a human at the terminal); None: refuse
    allow_hosts: tuple[str, ...] = ()  # hosts the desktops may reach through the egress proxy; (): no network
    engine_patience: float = ENGINE_PATIENCE  # seconds to wait for an engine that stopped answering, then give up
    checkers: Semantics = "osworld"  # checker semantics: OSWorld's reference behaviour, or deskbench's strict fixes


@dataclass(frozen=True)
class Job:
    """One episode to run and the budgets it answers for (several in a prefix sweep, smallest first)."""

    spec: EpisodeSpec
    budgets: tuple[int, ...]

    def episode_ids(self) -> list[str]:
        return [replace(self.spec, budget=b).episode_id for b in self.budgets]


@dataclass(frozen=True)
class RunPlan:
    jobs: list[Job]
    fallback: dict[str, str]  # prefix sweeps: task key -> why it runs independent episodes


def new_run_id(agent: str) -> str:
    """A run folder's name: the time and the agent's label, safe as a file name."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + agent.replace(":", "_").replace("/", "_")


def plan(tasks: Sequence[Task], budgets: Sequence[int], repeats: int) -> list[EpisodeSpec]:
    """Every task at every budget, ``repeats`` times, in a stable order."""
    return [EpisodeSpec(t, b, r) for t in tasks for b in budgets for r in range(repeats)]


def plan_jobs(tasks: Sequence[Task], config: RunConfig) -> RunPlan:
    """The jobs of a run: one per episode, or in a prefix sweep one per (task, repeat) where scoring is read-only."""
    budgets = tuple(sorted(set(config.budgets)))
    jobs: list[Job] = []
    fallback: dict[str, str] = {}
    for task in tasks:
        reason = prefix_ineligible(task) if config.sweep == "prefix" and len(budgets) > 1 else "independent"
        if reason is None:
            jobs += [Job(EpisodeSpec(task, budgets[-1], r, checkpoints=budgets[:-1]), budgets)
                     for r in range(config.repeats)]
            continue
        if config.sweep == "prefix" and len(budgets) > 1:
            fallback[task.key] = reason
        jobs += [Job(EpisodeSpec(task, b, r), (b,)) for b in budgets for r in range(config.repeats)]
    return RunPlan(jobs, fallback)


def check_config(config: RunConfig) -> None:
    """Refuse options that would silently change the experiment: a NaN or negative limit, empty budgets..."""
    problems = []
    if not (math.isfinite(config.timeout) and config.timeout > 0):
        problems.append(f"timeout must be a positive number of seconds, got {config.timeout!r}")
    if not config.budgets or any(not isinstance(b, int) or isinstance(b, bool) or b < 1 for b in config.budgets):
        problems.append(f"budgets must be positive integers, got {list(config.budgets)!r}")
    for name in ("repeats", "parallel"):
        if getattr(config, name) < 1:
            problems.append(f"{name} must be at least 1, got {getattr(config, name)!r}")
    if config.retries < 0:
        problems.append(f"retries must be 0 or more, got {config.retries!r}")
    if config.model_calls is not None and config.model_calls < 1:
        problems.append(f"model_calls must be at least 1, got {config.model_calls!r}")
    if config.sweep not in ("independent", "prefix"):
        problems.append(f"sweep must be independent or prefix, got {config.sweep!r}")
    if problems:
        raise ConfigError("; ".join(problems))


def check_folder_path(path: Path) -> None:
    """A run folder must be a folder (or not exist yet): a file there is a mistake worth one clear line."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--run-dir {path} exists and is not a folder")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"--run-dir {path}: {parent} is not a folder")
            break


def check_run(tasks: Sequence[Task], config: RunConfig, folder: RunFolder) -> RunPlan:
    """Everything ``execute_run`` would refuse, checked without writing anything: call before announcing a run.

    Options, the agent and its options, the policy, allowed hosts, the engine
    and images of what is left to run, and -- for an existing run folder --
    that a resume would not mix two configurations.
    """
    check_config(config)
    check_folder_path(folder.path)
    refuse_invalid(list(tasks))
    run_plan = plan_jobs(tasks, config)
    todo = _remaining(run_plan.jobs, folder, config.retries) if folder.path.is_dir() else list(
        (job, 0) for job in run_plan.jobs)
    preflight([job.spec for job, _ in todo], config)
    old = read_manifest(folder.path) if folder.path.is_dir() else None
    if old is not None:
        images = image_digests(tasks, config.image) if todo else dict(old.identity.get("images") or {})
        check_resume(upgraded(old), run_manifest(tasks, config, run_plan.fallback, images), folder.path)
    return run_plan


def execute_run(tasks: Sequence[Task], config: RunConfig, folder: RunFolder, on_result: OnResult | None = None,
                executor: Executor | None = None, on_plan: Callable[[RunPlan, int], None] | None = None,
                invalid: Sequence[InvalidTask] = ()) -> list[EpisodeResult]:
    """Run every planned episode not yet finished in ``folder``; returns the records of this call.

    ``on_result`` sees every record as soon as it is on disk (retried attempts
    too: ``will_retry``); ``on_plan`` sees the plan and how many jobs are left.
    A task that fails static validation is refused before anything starts;
    ``invalid`` (tasks left out by --skip-invalid) are recorded as ``invalid``.
    """
    check_config(config)
    check_folder_path(folder.path)
    refuse_invalid(list(tasks))
    folder.create()
    with folder.lock():
        run_plan = plan_jobs(tasks, config)
        todo = _remaining(run_plan.jobs, folder, config.retries)
        preflight([job.spec for job, _ in todo], config)
        _settle_manifest(folder, tasks, config, run_plan, images_known=bool(todo))
        recorded = record_invalid(folder, invalid, config.budgets, config.repeats, config.agent.name)
        if todo:
            remove_orphans(folder)
        if on_plan is not None:
            on_plan(run_plan, len(todo))
        worker = _Worker(config, folder, on_result, executor if isinstance(executor, RemoteExecutor) else None)
        try:
            (executor or LocalExecutor(config.parallel)).run(todo, worker.run_job, worker.stop)
        except BaseException:
            _close_run(folder, worker, quietly=True)  # the error that stopped the run is the one to report
            raise
        _close_run(folder, worker, quietly=False)
    return recorded + worker.results


def _close_run(folder: RunFolder, worker: _Worker, quietly: bool) -> None:
    """Consolidate the records, and remove the containers of this folder that outlived their episode.

    Those are the containers an engine crash kept from being removed (the
    episode went on through its guest; see ``start_sandbox``): no episode is
    running now, so every container labelled with this folder is one.  Neither
    step may hide the error that stopped a run (``quietly``): the JSON lines
    are the truth, and the next run in the folder removes what is left.
    """
    if worker.ran:
        try:
            remove_orphans(folder)
        except Exception as exc:  # the engine is away: it may come back after we are gone
            logger.warning("containers of %s not removed (%s); run `deskbench gc` when the Docker engine answers",
                           folder.path, exc)
    if not worker.results:
        return
    try:
        folder.consolidate()
    except RunFolderError:
        if not quietly:
            raise


def remove_orphans(folder: RunFolder) -> list[str]:
    """Remove containers a killed earlier process, or an engine crash, left for this folder; and dead owners' folders.

    We hold the folder's lock and no episode of ours is running: none of the
    folder's containers is live.  The rule is ``deskbench gc``'s, with this
    folder named as ours (see :mod:`harness.sandbox.gc`).
    """
    return collect_garbage(own_folder=folder.path).removed


def _remaining(jobs: Sequence[Job], folder: RunFolder, retries: int) -> list[tuple[Job, int]]:
    """Jobs with an episode not finished, each with the attempt to run next."""
    latest = folder.latest()
    todo = []
    for job in jobs:
        found = [latest.get(i) for i in job.episode_ids()]
        if all(r is not None and not r.will_retry for r in found):
            continue
        tried = [r.attempt for r in found if r is not None]
        todo.append((job, max(tried) + 1 if tried else 0))
    return todo


class _Worker:
    """Runs jobs (in any thread): attempts until one is not an infrastructure error, records each at once."""

    def __init__(self, config: RunConfig, folder: RunFolder, on_result: OnResult | None,
                 remote: RemoteExecutor | None = None) -> None:
        self.config, self.folder, self.on_result, self.remote = config, folder, on_result, remote
        policy = load_policy(config.policy, config.confirm) if config.policy else None
        self.options = EpisodeOptions(run_id=folder.path.name, image=config.image, screen=config.screen,
                                      limits=config.limits, timeout=config.timeout, network=config.network,
                                      trajectories=folder.path, screenshots=config.screenshots,
                                      seed=config.seed, policy=policy, allow_hosts=config.allow_hosts)
        self.stop = threading.Event()
        self.calls = threading.BoundedSemaphore(config.model_calls or max(1, config.parallel))
        self.lock = threading.Lock()
        self.results: list[EpisodeResult] = []
        self.ran = False  # whether any episode started (so containers may be left to remove)

    def run_job(self, item: tuple[Job, int]) -> None:
        job, attempt = item
        while not self.stop.is_set():
            self.ran = True
            try:
                main = self._attempt(replace(job.spec, attempt=attempt))
            except RunStopped:
                return  # abandoned mid-episode: not recorded, so a resume runs it again
            main.will_retry = main.status == "infra_error" and attempt < self.config.retries
            gone: EngineUnavailable | None = None
            if main.status == "infra_error":
                gone = self._await_engine(main)
            self._record(job, main)
            if gone is not None:
                raise gone
            if not main.will_retry:
                return
            attempt += 1

    def _attempt(self, spec: EpisodeSpec) -> EpisodeResult:
        """One attempt, here or on the remote executor's nodes; its files are in the run folder when it returns."""
        if self.remote is not None:
            return self.remote.attempt(spec, self.config.agent, self.config.checkers, self.options,
                                       self.config.model_calls or max(1, self.config.parallel), self.stop)
        agent = ThrottledAgent(make_agent(self.config.agent), self.calls, self.stop)
        with scoring_under(self.config.checkers):  # every evaluate() of the episode uses it
            main = run_episode(spec, agent, self.options)
        main.checkers = self.config.checkers
        return main

    def _await_engine(self, main: EpisodeResult) -> EngineUnavailable | None:
        """After an infrastructure error, wait (bounded) for an engine that stopped answering; say so in the record.

        Without the wait, an engine restart that takes ten seconds would see
        every retry fail at once.  The wait is not an attempt: the attempt that
        failed is recorded as it was, with the outage and the time waited added
        to its error.  An engine that stays away stops the run (returned, to be
        raised once the attempt is recorded): every further episode would fail
        too.  Its attempt is marked to be retried, so that a resume runs it again.
        """
        try:
            waited = wait_for_engine(self.config.engine_patience, self.stop)
        except EngineUnavailable as exc:
            main.will_retry = True
            main.error = (f"{main.error} [the Docker engine stopped answering; waited "
                          f"{self.config.engine_patience:.0f} s for it, in vain: the run stops]")
            return exc
        if waited > 0.0:
            then = ("the run was stopped meanwhile" if self.stop.is_set()
                    else f"it came back after {waited:.0f} s of waiting")
            main.error = f"{main.error} [the Docker engine stopped answering; {then}]"
        return None

    def _record(self, job: Job, main: EpisodeResult) -> None:
        if job.spec.checkpoints:
            main.sweep = "prefix"
            records = expand_prefix(main, job.budgets[:-1], job.episode_ids()[:-1])
        else:
            records = [main]
        self.folder.append_all(records)  # all budgets of one episode in one write: a kill keeps all or none
        with self.lock:
            self.results.extend(records)
            for record in records:
                if self.on_result is not None:
                    self.on_result(record)


def preflight(todo: Sequence[EpisodeSpec], config: RunConfig) -> None:
    """Fail before any container starts: unknown agent or policy, bad hosts, engine down, an image not built."""
    make_agent(config.agent)
    if config.policy:
        load_policy(config.policy)
    EgressPolicy.of(config.allow_hosts)
    if not todo:
        return
    docker_client()
    for name in sorted({image_for_task(s.task, config.image) for s in todo}):
        resolve_image(name)


def image_digests(tasks: Sequence[Task], default: str) -> dict[str, str]:
    """The engine's id of every image the tasks run in: a rebuilt image is a different experiment."""
    if not tasks:  # a run of invalid tasks only (--skip-invalid) needs no engine
        return {}
    client = docker_client()
    return {name: str(client.images.get(resolve_image(name)).id)
            for name in sorted({image_for_task(t, default) for t in tasks})}


def run_manifest(tasks: Sequence[Task], config: RunConfig, fallback: dict[str, str],
                 images: dict[str, str]) -> RunManifest:
    identity = {
        "agent": config.agent.identity(), "model": make_agent(config.agent).model_name(),
        "budgets": sorted(set(config.budgets)), "repeats": config.repeats, "sweep": config.sweep,
        "seed": config.seed, "suite_hash": suite_hash(tasks), "tasks": len(tasks), "image": config.image,
        "images": images, "screen": list(config.screen), "timeout": config.timeout,
        "limits": asdict(config.limits), "network": config.network,
        "policy": policy_digest(config.policy), "allow_hosts": list(EgressPolicy.of(config.allow_hosts).hosts),
    }
    privileged = sorted(t.key for t in tasks if runs_privileged(t))
    if privileged:  # the tasks whose desktop user may sudo (absent when none: older manifests still resume)
        identity["privileged_user"] = privileged
    if config.checkers != "osworld":  # absent for the default: older manifests still resume
        identity["checkers"] = config.checkers
    settings = {"parallel": config.parallel, "model_calls": config.model_calls, "retries": config.retries,
                "screenshots": config.screenshots}
    return RunManifest(deskbench_version=deskbench_version(), identity=identity, settings=settings,
                       prefix_fallback=fallback, checkers=config.checkers)


def _settle_manifest(folder: RunFolder, tasks: Sequence[Task], config: RunConfig, run_plan: RunPlan,
                     images_known: bool) -> None:
    """Write the manifest of a new run folder; check a resumed one's against this configuration."""
    old = read_manifest(folder.path)
    if old is not None and not images_known:
        images = dict(old.identity.get("images") or {})  # nothing left to run: no need to ask the engine
    else:
        images = image_digests(tasks, config.image)
    new = run_manifest(tasks, config, run_plan.fallback, images)
    if old is None:
        write_manifest(folder.path, new)
        return
    check_resume(upgraded(old), new, folder.path)


def upgraded(old: RunManifest) -> RunManifest:
    """An older manifest as this version compares it: its agent's ``name?k=v`` string read as name and typed options.

    Only for the comparison: the file keeps what it says.
    """
    agent = old.identity.get("agent")
    if not isinstance(agent, str):
        return old
    return old.model_copy(update={"identity": {**old.identity, "agent": recorded_spec(agent)}})


def default_run_dir(root: Path, agent: str) -> Path:
    return root / new_run_id(agent)
