"""Run throughput and harness overhead: how much faster ``--parallel N`` is, and what the harness costs per step.

Throughput runs a suite with the oracle (no think time, so the figures are
the harness's and Docker's alone) at each parallelism into fresh run folders
and reports episodes per minute and the speed-up over one at a time.
Overhead runs an agent with a fixed 1 s think time and a cheap action per
turn for a fixed number of steps: everything in the agent loop that is not
thinking -- the action, the screenshot, trajectory files, bookkeeping -- is the
harness's share of the loop's wall time.  The share over the whole episode
(container start, setup and scoring included) is printed beside it.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.actions.vocabulary import ComputerAction
from harness.agents.base import Agent, EpisodeInfo, Observation, Turn
from harness.runner.executor import make_executor
from harness.runner.run import RunConfig, execute_run
from harness.store.run_folder import RunFolder, load_results
from harness.tasks.schema import Task

THINK_SECONDS = 1.0
OVERHEAD_STEPS = 20


class FixedThinkMover(Agent):
    """Thinks exactly ``THINK_SECONDS``, then moves the mouse: a model with a 1 s turn and a cheap action.

    It never ends the episode early, so every episode uses its whole budget of
    steps; what the loop spends beyond thinking is observation (a screenshot),
    the action, and the harness's bookkeeping (trajectory files, records).
    """

    name = "think-1s-mover"

    def start(self, episode: EpisodeInfo) -> None:
        self.turn = 0

    def act(self, observation: Observation) -> Turn:
        time.sleep(THINK_SECONDS)
        self.turn += 1
        return Turn(actions=[ComputerAction(action="mouse_move", coordinate=(100 + 7 * self.turn, 200))])


@dataclass(frozen=True)
class Throughput:
    parallel: int
    episodes: int
    seconds: float
    errors: int  # episodes not scored (any error status), after retries
    executor: str = "local"
    episode_seconds: float = 0.0  # mean wall time of one episode (container start to removal), as it recorded
    executor_seconds: float | None = None  # remote executors: median driver wall time per attempt beyond the episode's

    @property
    def per_minute(self) -> float:
        return 60.0 * self.episodes / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class EpisodeOverhead:
    """One episode of the overhead measurement (seconds)."""

    steps: int
    loop: float  # the agent loop's wall time
    think: float  # of which the agent thinking
    total: float  # the whole episode: container start, setup, loop, scoring, removal

    @property
    def loop_share(self) -> float:
        """The harness's share of the agent loop's wall time (all that is not thinking)."""
        return 1.0 - self.think / self.loop if self.loop else 0.0

    @property
    def episode_share(self) -> float:
        """The same over the whole episode, one-off costs (start, setup, scoring) included."""
        return 1.0 - self.think / self.total if self.total else 0.0

    @property
    def per_step(self) -> float:
        return (self.loop - self.think) / self.steps if self.steps else 0.0


def measure_throughput(tasks: Sequence[Task], levels: Sequence[int], root: Path | None = None,
                       executor: str = "local", address: str | None = None) -> list[Throughput]:
    """The suite at each parallelism, fresh run folders each time (nothing is resumed), on ``executor``.

    With the Ray executor the cluster is joined (or started), and its slot
    workers started, before the clock starts: those are one-offs per driver,
    not costs per episode.
    """
    out = []
    if executor == "ray":
        from harness.runner.executors.ray_driver import connect, warm_up

        connect(address)
    with tempfile.TemporaryDirectory(prefix="deskbench-bench-", dir=root) as tmp:
        for level in levels:
            if executor == "ray":
                warm_up(level)  # Ray's start-up (workers importing deskbench) is once per driver, not per episode
            folder = RunFolder(Path(tmp) / f"bench-throughput-{executor}-p{level}")
            runner = make_executor(executor, level, address)
            started = time.monotonic()
            execute_run(tasks, RunConfig(agent="oracle", parallel=level, screenshots=False), folder, executor=runner)
            seconds = time.monotonic() - started
            frame = load_results(folder.path)
            errors = int((~frame["status"].isin(["success", "failure"])).sum())
            extra = getattr(runner, "overheads", None)
            out.append(Throughput(level, len(frame), seconds, errors, executor,
                                  float(frame["timings.total"].mean()),
                                  statistics.median(extra) if extra else None))
    return out


def measure_overhead(tasks: Sequence[Task], root: Path | None = None, steps: int = OVERHEAD_STEPS
                     ) -> list[EpisodeOverhead]:
    """Each task once, one at a time, with ``FixedThinkMover`` using ``steps`` steps (screenshots kept)."""
    with tempfile.TemporaryDirectory(prefix="deskbench-bench-", dir=root) as tmp:
        folder = RunFolder(Path(tmp) / "bench-overhead")
        execute_run(tasks, RunConfig(agent=f"{__name__}:FixedThinkMover", budgets=(steps,), parallel=1,
                                     screenshots=True), folder)
        frame = load_results(folder.path)
    return [EpisodeOverhead(int(r["steps_used"]), float(r["timings.agent"]), float(r["timings.agent_think"]),
                            float(r["timings.total"])) for _, r in frame.iterrows()]


def render(throughput: Sequence[Throughput], overhead: Sequence[EpisodeOverhead] | None) -> str:
    """The figures side by side, as plain text."""
    base = throughput[0].per_minute if throughput else 0.0
    lines = [f"{'executor':>8} {'parallel':>8} {'episodes':>8} {'seconds':>8} {'ep/min':>8} {'speed-up':>8} "
             f"{'errors':>6} {'episode s':>9}"]
    for t in throughput:
        speed = t.per_minute / base if base else 0.0
        lines.append(f"{t.executor:>8} {t.parallel:>8} {t.episodes:>8} {t.seconds:>8.1f} {t.per_minute:>8.1f} "
                     f"{speed:>7.2f}x {t.errors:>6} {t.episode_seconds:>9.2f}")
    lines += [f"{t.executor} at parallel {t.parallel}: {t.executor_seconds:.2f} s per episode beyond the episode's "
              f"own wall time (median; placing the task, shipping its result, unpacking it) = "
              f"{100 * t.executor_seconds / t.episode_seconds:.1f}% of the episode's {t.episode_seconds:.2f} s"
              for t in throughput if t.executor_seconds is not None and t.episode_seconds]
    if overhead:
        loop = statistics.median(o.loop_share for o in overhead)
        whole = statistics.median(o.episode_share for o in overhead)
        step = statistics.median(o.per_step for o in overhead)
        lines.append(f"overhead with a {THINK_SECONDS:.0f} s think time, {len(overhead)} episodes of "
                     f"{overhead[0].steps} steps (medians): harness {1000 * step:.0f} ms per step = "
                     f"{100 * loop:.1f}% of the agent loop's wall time; {100 * whole:.1f}% of the whole "
                     "episode (container start, setup and scoring included)")
    return "\n".join(lines)


@dataclass(frozen=True)
class DriverCeiling:
    """How fast one driver takes in finished episodes (record, trajectory, screenshots) from Ray tasks."""

    episodes: int
    steps: int  # screenshots per episode: one per step, plus the final one
    shot_bytes: int
    seconds: float  # first task submitted to last episode on disk (nodes on this machine included)
    ingest_seconds: float  # of which the driver spent unpacking and appending (its own share)

    @property
    def per_second(self) -> float:
        return self.episodes / self.seconds if self.seconds else 0.0

    @property
    def ingest_per_second(self) -> float:
        return self.episodes / self.ingest_seconds if self.ingest_seconds else 0.0

    def largest_cluster(self, episode_seconds: float) -> int:
        """Concurrent episodes one driver keeps up with when each lasts ``episode_seconds`` (Little's law)."""
        return int(self.per_second * episode_seconds)


def fake_attempt(index: int, steps: int, shot_bytes: int) -> bytes:
    """What a node sends back for one episode, made without a desktop: a trajectory of ``steps`` screenshots.

    The screenshots are random bytes of a typical PNG's size (the driver
    copies files, it never decodes them).
    """
    import io
    import tarfile

    buffer = io.BytesIO()
    folder = f"episodes/fake.t{index}.b{steps}.r0"
    files = {f"{folder}/step-{i:04d}.png": os.urandom(shot_bytes) for i in range(steps)}
    files[f"{folder}/final.png"] = os.urandom(shot_bytes)
    files[f"{folder}/steps.jsonl"] = b"".join(b'{"step": %d, "actions": [{"action": "left_click", '
                                              b'"coordinate": [100, 200]}], "think_seconds": 1.0}\n' % i
                                              for i in range(steps))
    files[f"{folder}/checker.json"] = b'{"score": 1.0, "outcomes": []}'
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def measure_driver_ceiling(episodes: int = 200, steps: int = 15, shot_bytes: int = 150_000,
                           address: str | None = None, root: Path | None = None) -> DriverCeiling:
    """Ray tasks that return fake finished episodes as fast as they can; the driver ingests them as a run does.

    Ingesting is what the Ray executor's driver does per episode: fetch the
    task's result, unpack the trajectory into the run folder, validate the
    record and append it (synced).  The nodes are this machine's, so the
    end-to-end rate is a lower bound; the driver's own share bounds it above.
    """
    import ray

    from harness.runner.executors.ray_driver import connect, unpack
    from harness.store.records import EpisodeResult

    connect(address)
    make = ray.remote(fake_attempt).options(num_cpus=1, max_retries=0)  # one worker per core makes them
    with tempfile.TemporaryDirectory(prefix="deskbench-bench-", dir=root) as tmp:
        folder = RunFolder(Path(tmp) / "bench-driver")
        folder.create()
        started = time.monotonic()
        pending = [make.remote(i, steps, shot_bytes) for i in range(episodes)]
        busy = 0.0
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            t = time.monotonic()
            unpack(ray.get(ready[0]), folder.path)
            record = EpisodeResult(run_id="bench-driver", episode_id=f"fake.t{len(pending)}", task_id="t",
                                   domain="fake", agent="fake", budget=steps, status="success", score=1.0)
            folder.append_all([EpisodeResult.model_validate_json(record.model_dump_json())])
            busy += time.monotonic() - t
        seconds = time.monotonic() - started
    return DriverCeiling(episodes, steps, shot_bytes, seconds, busy)


def render_ceiling(ceiling: DriverCeiling, episode_seconds: Sequence[float] = (150.0, 600.0)) -> str:
    """The driver's ceiling and the largest cluster it feeds at OSWorld-like episode lengths."""
    c = ceiling
    shots = c.steps + 1
    lines = [f"driver ceiling: {c.episodes} fake episodes of {c.steps} steps ({shots} screenshots of "
             f"{c.shot_bytes // 1000} kB) in {c.seconds:.1f} s = {c.per_second:.1f} episodes/s, "
             f"{c.per_second * shots:.0f} screenshots/s, {c.per_second * shots * c.shot_bytes / 1e6:.0f} MB/s "
             f"(the driver's own share: {c.ingest_seconds:.1f} s, {c.ingest_per_second:.1f} episodes/s)"]
    lines += [f"  episodes of {s:.0f} s: one driver keeps {c.largest_cluster(s)} episodes running at once "
              f"({c.per_second:.1f}/s x {s:.0f} s)" for s in episode_seconds]
    return "\n".join(lines)
