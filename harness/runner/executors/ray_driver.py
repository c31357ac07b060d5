"""The Ray executor, driver side: each episode attempt is a Ray task on a node of the cluster, using its own Docker.

The runner keeps planning, retrying, recording and resuming exactly as in a
local run; this executor only moves the episode.  ``parallel`` driver threads
each wait for one remote attempt, so ``--parallel`` caps the cluster-wide
number of episodes, and each task asks for one ``deskbench_slots`` resource,
so no node runs more desktops than it declared.  A task that comes back
brings its record and its files (see :mod:`ray_node`); the driver unpacks
them into the run folder and the runner appends the record, so the driver is
the run folder's only writer.

Faults: a node or worker lost mid-attempt is an ``infra_error`` attempt (the
runner retries it; Ray places the retry where there is a free slot).  A
stopped run (Ctrl-C) cancels its tasks -- the node's episode unwinds as on
Ctrl-C and removes its container -- and every node then removes what the run
left.  The same clean-up runs before a run's first attempt, so a driver killed
with SIGKILL is resumed with the same ``--run-dir`` against the same cluster.
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import socket
import tarfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from harness.agents.registry import make_agent
from harness.agents.spec import AgentSpec
from harness.checkers.semantics import Semantics
from harness.errors import ConfigError
from harness.runner.episode import TRACEBACK_FILE, EpisodeOptions, EpisodeSpec
from harness.runner.executor import LocalExecutor
from harness.runner.executors.ray_node import (
    SLOTS,
    Attempt,
    CallSlots,
    NodeOutcome,
    clean_node,
    collect_on_node,
    default_slots,
    lost_record,
    run_attempt,
)
from harness.runner.policy import ConfirmationPolicy
from harness.runner.throttle import RunStopped
from harness.sandbox.gc import Collection
from harness.store.manifest import MANIFEST, note_files
from harness.store.records import EpisodeResult
from harness.store.trajectory import episode_folder

J = TypeVar("J")
logger = logging.getLogger(__name__)
#: seconds a cancelled attempt gets to remove its container before its worker is killed
CANCEL_PATIENCE = 60.0
#: the resource only the head node has
HEAD = "node:__internal_head__"
#: seconds the per-node clean-up may take
CLEAN_PATIENCE = 120.0


def connect(address: str | None) -> None:
    """Join the cluster at ``address`` (or start a one-machine Ray with this machine's slots); check it has slots."""
    import ray

    if not ray.is_initialized():
        try:
            if address is None:
                ray.init(resources={SLOTS: default_slots()}, include_dashboard=False, logging_level=logging.WARNING,
                         log_to_driver=False)
            else:
                ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = f"--ray-address {address}" if address else "a local Ray instance"
            raise ConfigError(f"{where}: cannot connect: {exc}") from None
    offered = ray.cluster_resources()  # type: ignore[no-untyped-call]
    if float(offered.get(SLOTS, 0)) < 1:
        raise ConfigError(f"the Ray cluster at {address or 'this machine'} has no node that offers {SLOTS}; start "
                          f"nodes with: ray start ... --resources '{{\"{SLOTS}\": N}}' (docs/ray.md)")


def slot_nodes() -> list[str]:
    """Ids of the live nodes that offer episode slots."""
    import ray

    return [str(n["NodeID"]) for n in ray.nodes()  # type: ignore[no-untyped-call]
            if n.get("Alive") and float(n["Resources"].get(SLOTS, 0)) > 0]


def on_every_node(fn: Callable[..., J], *args: Any) -> list[J]:
    """``fn(*args)`` once on every node that offers slots (a Ray task pinned to each); nodes that fail are logged."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    remote = ray.remote(fn)
    refs = [remote.options(num_cpus=0, max_retries=0, scheduling_strategy=NodeAffinitySchedulingStrategy(
        node, soft=False)).remote(*args) for node in slot_nodes()]
    out: list[J] = []
    for ref in refs:
        try:
            out.append(ray.get(ref, timeout=CLEAN_PATIENCE))
        except ray.exceptions.RayError as exc:
            logger.warning("a Ray node did not clean up: %s", exc)
    return out


def collect_cluster_garbage(address: str | None, run_id: str | None, force: bool) -> list[tuple[str, Collection]]:
    """``deskbench gc`` on every node of the cluster: each node's host name and its collection."""
    connect(address)
    return on_every_node(collect_on_node, run_id, force)


def _import_episode_code(seconds: float) -> None:
    import harness.runner.executors.ray_node  # noqa: F401 - the import is the point: the worker is warm after it

    time.sleep(seconds)


def warm_up(slots: int, seconds: float = 1.0) -> None:
    """Start ``slots`` slot workers and have them import the episode code (a one-off per driver, as at a run's start).

    Benchmarks call it so that Ray's per-run start-up is not counted as a cost per episode.
    """
    import ray

    remote = ray.remote(_import_episode_code).options(num_cpus=0, resources={SLOTS: 1}, max_retries=0)
    ray.get([remote.remote(seconds) for _ in range(slots)])


def folder_key(folder: Path) -> str:
    """Names the driver's host and run folder on the nodes (their scratch folders and container labels)."""
    return hashlib.sha256(f"{socket.gethostname()}:{folder.resolve()}".encode()).hexdigest()[:16]


class RayExecutor:
    """Episodes as Ray tasks on the cluster at ``address`` (None: a Ray started on this machine), ``parallel`` at once."""

    def __init__(self, parallel: int = 1, address: str | None = None) -> None:
        self.parallel, self.address = max(1, parallel), address
        self._lock = threading.Lock()
        self._prepared: tuple[Path, str, str, Any] | None = None  # folder, key, manifest JSON, CallSlots actor
        #: per finished attempt, the driver's wall time beyond the episode's own (Ray's cost: placing, shipping)
        self.overheads: list[float] = []

    def run(self, jobs: Sequence[J], work: Callable[[J], None], stop: threading.Event) -> None:
        if not jobs:
            return
        connect(self.address)
        try:
            LocalExecutor(self.parallel).run(jobs, work, stop)
        finally:
            self._clean_nodes()

    def attempt(self, spec: EpisodeSpec, agent: AgentSpec, checkers: Semantics, options: EpisodeOptions,
                model_calls: int, stop: threading.Event) -> EpisodeResult:
        """Run one attempt on a node with a free slot; its files are unpacked into the run folder before it returns."""
        import ray

        folder, key, manifest, calls = self._prepare(options, model_calls)
        token = f"{spec.trajectory_id}:{uuid.uuid4().hex}"
        work = Attempt(spec, agent, checkers, _portable(options), key, manifest, calls, token)
        remote = ray.remote(run_attempt).options(num_cpus=0, resources={SLOTS: 1}, max_retries=0)
        started = time.monotonic()
        ref = remote.remote(work)
        try:
            outcome: NodeOutcome = _await(ref, stop)
        except ray.exceptions.TaskCancelledError:
            raise RunStopped from None
        except ray.exceptions.RayTaskError as exc:  # the node's own code failed: a bug or a broken node install
            _save_traceback(folder, spec, str(exc))
            cause = exc.cause if isinstance(exc.cause, BaseException) else exc
            return self._lost(spec, options, agent, "harness_error", f"on a Ray node: {type(cause).__name__}: "
                              f"{cause} (a deskbench bug or a broken node install: see {TRACEBACK_FILE})")
        except ray.exceptions.RayError as exc:  # the worker or node running it is gone
            return self._lost(spec, options, agent, "infra_error",
                              f"the Ray node running the episode was lost: {type(exc).__name__}: {exc}")
        finally:
            calls.forget.remote(token)
        unpack(outcome.files, folder)
        for url, digests in outcome.noted.items():
            for digest in digests:
                note_files(folder, {url: digest})
        record = EpisodeResult.model_validate_json(outcome.record)
        if record.timings.total > 0:
            self.overheads.append(time.monotonic() - started - record.timings.total)
        return record

    def _lost(self, spec: EpisodeSpec, options: EpisodeOptions, agent: AgentSpec, status: Any,
              error: str) -> EpisodeResult:
        made = make_agent(agent)
        return lost_record(spec, options.run_id, made.name, made.model_name(), status, error)

    def _prepare(self, options: EpisodeOptions, model_calls: int) -> tuple[Path, str, str, Any]:
        """Once per run: every node removes what an earlier (killed) driver of this folder left; the call limiter."""
        import ray

        with self._lock:
            if self._prepared is None:
                if options.trajectories is None:
                    raise ConfigError("the Ray executor needs a run folder")
                folder = options.trajectories
                key = folder_key(folder)
                on_every_node(clean_node, key, options.run_id)
                # on the head node, which the cluster cannot lose and go on: a node that dies takes no limiter with it
                calls = ray.remote(CallSlots).options(num_cpus=0, resources={HEAD: 0.001}).remote(model_calls)
                manifest = (folder / MANIFEST).read_text(encoding="utf-8")
                self._prepared = (folder, key, manifest, calls)
            return self._prepared

    def _clean_nodes(self) -> None:
        """After the run (however it ended, no attempt running): each node removes the run's containers and files."""
        if self._prepared is None:
            return
        folder, key, _, calls = self._prepared
        import ray

        on_every_node(clean_node, key, folder.name)
        ray.kill(calls)
        self._prepared = None


def _save_traceback(folder: Path, spec: EpisodeSpec, text: str) -> None:
    """Keep the node's traceback where a local harness_error keeps its own, in the episode's folder."""
    target = episode_folder(folder, spec.episode_id)
    target.mkdir(parents=True, exist_ok=True)
    (target / TRACEBACK_FILE).write_text(text, encoding="utf-8")


def _portable(options: EpisodeOptions) -> EpisodeOptions:
    """The options as they travel: a policy's ``ask`` rules cannot reach a terminal from a node, so they refuse."""
    if options.policy is None:
        return options
    return replace(options, policy=ConfirmationPolicy(rules=options.policy.rules))


def _await(ref: Any, stop: threading.Event) -> NodeOutcome:
    """The task's outcome; when the run stops (or Ctrl-C reaches this thread), cancel it and let it clean up first."""
    import ray

    try:
        while True:
            ready, _ = ray.wait([ref], timeout=0.25)
            if ready:
                outcome: NodeOutcome = ray.get(ref)
                return outcome
            if stop.is_set():
                raise RunStopped
    except BaseException as exc:
        if isinstance(exc, ray.exceptions.RayError):
            raise
        ray.cancel(ref)  # KeyboardInterrupt in the node's episode: it removes its container as on Ctrl-C
        ended, _ = ray.wait([ref], timeout=CANCEL_PATIENCE)
        if not ended:
            ray.cancel(ref, force=True)  # its container is left for the run's node clean-up
        raise


def unpack(files: bytes, folder: Path) -> None:
    """Put an attempt's files into the run folder, replacing what an unrecorded earlier try left there."""
    with tarfile.open(fileobj=io.BytesIO(files), mode="r") as tar:
        members = tar.getmembers()
        tops = {Path(*Path(m.name).parts[:2]) for m in members if m.isdir() and len(Path(m.name).parts) == 2}
        for top in tops:
            shutil.rmtree(folder / top, ignore_errors=True)
        tar.extractall(folder, filter="data")
