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

import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.actions.vocabulary import ComputerAction
from harness.agents.base import Agent, EpisodeInfo, Observation, Turn
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


def measure_throughput(tasks: Sequence[Task], levels: Sequence[int], root: Path | None = None) -> list[Throughput]:
    """The suite at each parallelism, fresh run folders each time (nothing is resumed)."""
    out = []
    with tempfile.TemporaryDirectory(prefix="deskbench-bench-", dir=root) as tmp:
        for level in levels:
            folder = RunFolder(Path(tmp) / f"bench-throughput-p{level}")
            started = time.monotonic()
            execute_run(tasks, RunConfig(agent="oracle", parallel=level, screenshots=False), folder)
            seconds = time.monotonic() - started
            frame = load_results(folder.path)
            errors = int((~frame["status"].isin(["success", "failure"])).sum())
            out.append(Throughput(level, len(frame), seconds, errors))
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
    lines = [f"{'parallel':>8} {'episodes':>8} {'seconds':>8} {'ep/min':>8} {'speed-up':>8} {'errors':>6}"]
    for t in throughput:
        speed = t.per_minute / base if base else 0.0
        lines.append(f"{t.parallel:>8} {t.episodes:>8} {t.seconds:>8.1f} {t.per_minute:>8.1f} {speed:>7.2f}x "
                     f"{t.errors:>6}")
    if overhead:
        loop = statistics.median(o.loop_share for o in overhead)
        whole = statistics.median(o.episode_share for o in overhead)
        step = statistics.median(o.per_step for o in overhead)
        lines.append(f"overhead with a {THINK_SECONDS:.0f} s think time, {len(overhead)} episodes of "
                     f"{overhead[0].steps} steps (medians): harness {1000 * step:.0f} ms per step = "
                     f"{100 * loop:.1f}% of the agent loop's wall time; {100 * whole:.1f}% of the whole "
                     "episode (container start, setup and scoring included)")
    return "\n".join(lines)
