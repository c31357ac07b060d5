"""What runs on a Ray node: one episode attempt against the node's own Docker engine, and the node's clean-up.

The driver owns the run folder; a node never writes into it.  An attempt
writes its trajectory into a scratch copy of the run folder on the node
(``<tmp>/deskbench-ray-<key>/<run id>``), packs the attempt's episode folders
into a tar archive and returns it with the record, then deletes them: the
driver unpacks the archive into the real run folder and appends the record,
so a cluster run's folder is the one a local run writes.  The scratch folder's
path is also the containers' ``deskbench.folder`` label, so the driver can
have every node remove the containers a killed run left (``clean_node``), by
the same rule a local run applies to its own folder.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import socket
import tarfile
import tempfile
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.agents.registry import make_agent
from harness.agents.spec import AgentSpec
from harness.checkers.semantics import Semantics, scoring_under
from harness.errors import DeskbenchError, InfraError
from harness.runner.episode import TRACEBACK_FILE, EpisodeOptions, EpisodeSpec, run_episode
from harness.runner.throttle import ThrottledAgent
from harness.sandbox.engine import docker_client
from harness.sandbox.gc import Collection, collect_garbage
from harness.sandbox.images import build_image, resolve_image
from harness.store.manifest import MANIFEST, read_manifest
from harness.store.records import EpisodeResult, Status
from harness.store.trajectory import episode_folder
from harness.tasks.images import image_for_task

#: the custom Ray resource a node declares: how many episodes (desktops) it runs at once
SLOTS = "deskbench_slots"
#: memory one episode slot is given by default: a desktop with an office suite open, plus the host side
GIB_PER_SLOT = 3


def default_slots() -> int:
    """One slot per core, at most one per ``GIB_PER_SLOT`` GiB of memory, at least one."""
    cores = os.cpu_count() or 1
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return max(1, min(cores, int(memory // GIB_PER_SLOT)))


def scratch_folder(key: str, run_id: str) -> Path:
    """This node's stand-in for the driver's run folder (``key`` names the driver's host and folder)."""
    return Path(tempfile.gettempdir()) / f"deskbench-ray-{key}" / run_id


@dataclass(frozen=True)
class NodeOutcome:
    """An attempt's result as it travels back to the driver."""

    record: str  # the EpisodeResult, as JSON
    files: bytes  # tar of the attempt's episode folders, paths relative to the run folder
    noted: dict[str, list[str]]  # cached input files the episode used: URL -> sha256s (the manifest's ``files``)
    node: str  # host name of the node


@dataclass(frozen=True)
class Attempt:
    """Everything a node needs for one attempt, sent in one piece."""

    spec: EpisodeSpec
    # the agent's spec; the agent is made on the node, where the model is called: its secret options ride in the
    # spec's private copy, pickled in memory with the task (never in the manifest or on the node's disk)
    agent: AgentSpec
    checkers: Semantics
    options: EpisodeOptions  # ``trajectories`` is replaced by the node's scratch folder
    key: str
    manifest: str  # the run's manifest JSON: its image ids, and the file the episode notes its inputs in
    calls: Any  # the driver's CallSlots actor (cluster-wide limit on model calls)
    token: str  # names this attempt to CallSlots


class CallSlots:
    """A Ray actor: the cluster-wide semaphore of model calls.

    Slots are held under the attempt's token, so the driver can give back
    (``forget``) what a lost node held: a dead node cannot release.
    """

    def __init__(self, slots: int) -> None:
        self.free = slots
        self.held: dict[str, int] = {}
        self.gone: set[str] = set()
        self.changed = asyncio.Condition()

    async def acquire(self, token: str) -> bool:
        async with self.changed:
            await self.changed.wait_for(lambda: self.free > 0 or token in self.gone)
            if token in self.gone:
                return False
            self.free -= 1
            self.held[token] = self.held.get(token, 0) + 1
            return True

    async def release(self, token: str) -> None:
        async with self.changed:
            if self.held.get(token, 0) > 0:
                self.held[token] -= 1
                self.free += 1
                self.changed.notify_all()

    async def forget(self, token: str) -> int:
        """The attempt is over: give back what it still holds; returns how many slots that was."""
        async with self.changed:
            self.gone.add(token)
            back = self.held.pop(token, 0)
            self.free += back
            self.changed.notify_all()
            return back


class ClusterCalls(threading.Semaphore):
    """A semaphore whose slots are CallSlots' (what ThrottledAgent waits on before each model call)."""

    def __init__(self, slots: Any, token: str) -> None:
        super().__init__(1)
        self.slots, self.token = slots, token

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        import ray

        try:
            return bool(ray.get(self.slots.acquire.remote(self.token)))
        except ray.exceptions.RayError as exc:  # the cluster, not the agent, failed: retried as infrastructure
            raise InfraError(f"the run's model-call limiter on the Ray cluster is gone: {type(exc).__name__}") from None

    def release(self, n: int = 1) -> None:
        for _ in range(n):
            self.slots.release.remote(self.token)

    def __enter__(self, blocking: bool = True, timeout: float | None = None, /) -> bool:
        return self.acquire(blocking, timeout)


def run_attempt(work: Attempt) -> NodeOutcome:
    """Run one attempt here; its files come back packed, and leave no trace on this node."""
    spec = work.spec
    scratch = scratch_folder(work.key, work.options.run_id)
    scratch.mkdir(parents=True, exist_ok=True)
    if not (scratch / MANIFEST).is_file():  # where run_episode notes the cached inputs it used
        (scratch / MANIFEST).write_text(work.manifest, encoding="utf-8")
    options = replace(work.options, trajectories=scratch)
    inner = make_agent(work.agent)
    refusal = image_refusal(spec, options, work.manifest)
    if refusal is not None:
        record = lost_record(spec, options.run_id, inner.name, inner.model_name(), "infra_error", refusal)
    else:
        agent = ThrottledAgent(inner, ClusterCalls(work.calls, work.token), threading.Event())
        with scoring_under(work.checkers):
            record = run_episode(spec, agent, options)
    record.checkers = work.checkers
    manifest = read_manifest(scratch)
    noted = dict(manifest.files) if manifest is not None else {}
    return NodeOutcome(record.model_dump_json(), pack(scratch, spec), noted, socket.gethostname())


def image_refusal(spec: EpisodeSpec, options: EpisodeOptions, manifest_json: str) -> str | None:
    """Why this node cannot run the episode's image (None: it can), building the image first when it lacks it.

    The image is built from this node's copy of the image sources under the
    same content-hash tag; an id that differs from the manifest's (a base
    image bootstrapped anew, other sources) would be another experiment.
    """
    name = image_for_task(spec.task, options.image)
    try:
        try:
            tag = resolve_image(name)
        except DeskbenchError:
            tag, _ = build_image(name)
        found = str(docker_client().images.get(tag).id)
    except Exception as exc:  # noqa: BLE001 - any failure here means: not on this node
        return f"image {name!r} is not available on node {socket.gethostname()}: {type(exc).__name__}: {exc}"
    from harness.store.manifest import RunManifest

    wanted = (RunManifest.model_validate_json(manifest_json).identity.get("images") or {}).get(name)
    if wanted and wanted != found:
        return (f"image {name!r} on node {socket.gethostname()} is {found[:19]}, the run's manifest says "
                f"{str(wanted)[:19]}: copy the driver's image there (docker save | docker load)")
    return None


def lost_record(spec: EpisodeSpec, run_id: str, agent: str, model: str | None, status: Status,
                error: str) -> EpisodeResult:
    """The record of an attempt that never got to (or back from) its episode."""
    task = spec.task
    return EpisodeResult(run_id=run_id, episode_id=spec.episode_id, task_id=task.id, domain=task.domain or "",
                         agent=agent, model=model, budget=spec.budget, repeat=spec.repeat, attempt=spec.attempt,
                         status=status, error=error, finished_at=datetime.now(UTC))


def pack(scratch: Path, spec: EpisodeSpec) -> bytes:
    """Tar the attempt's folders (its trajectory; a traceback lands in the episode's first folder) and delete them."""
    buffer = io.BytesIO()
    folders = [episode_folder(scratch, spec.trajectory_id)]
    traceback_folder = episode_folder(scratch, spec.episode_id)
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder in folders:
            if folder.is_dir():
                tar.add(folder, arcname=str(folder.relative_to(scratch)))
        if traceback_folder not in folders and (traceback_folder / TRACEBACK_FILE).is_file():
            file = traceback_folder / TRACEBACK_FILE
            tar.add(file, arcname=str(file.relative_to(scratch)))
            file.unlink()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return buffer.getvalue()


def clean_node(key: str, run_id: str) -> list[str]:
    """Remove the containers and scratch files a run left on this node; call only while none of its episodes runs."""
    scratch = scratch_folder(key, run_id)
    removed = collect_garbage(own_folder=scratch).removed
    shutil.rmtree(scratch, ignore_errors=True)
    return removed


def collect_on_node(run_id: str | None, force: bool) -> tuple[str, Collection]:
    """``deskbench gc`` on this node: its host name and what was removed and kept."""
    return socket.gethostname(), collect_garbage(run_id, force=force)
