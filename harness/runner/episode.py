"""One episode: fresh container -> setup -> agent loop -> postconfig -> evaluation -> record.

Each failure lands in exactly one status: a broken setup is ``setup_error``
(not the agent's fault), a checker that cannot score is ``checker_error``
(never a silent 0), a dead engine or a container killed from outside is
``infra_error``, an agent that raises is ``agent_error``, and an exception
from deskbench's own code is ``harness_error`` (its traceback kept in the
episode folder, never retried as infrastructure).  What happens
inside the desktop during the agent's turns and the scoring is the agent's
(``harness.runner.blame``): running past the time limit, a desktop it broke,
an output it made unscorable, a checker limit its file hit -- each a scored
failure with a ``reason``.  Once an episode is decided, nothing in the
clean-up changes its verdict.  The container is removed whatever happens,
Ctrl-C included.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import docker.errors
import requests.exceptions

from harness.actions.vocabulary import Control, action_to_dict
from harness.agents.base import Agent, EpisodeInfo, Observation, Turn
from harness.checkers import GETTERS, METRICS, EvalContext, Verdict, evaluate
from harness.checkers.limits import CheckerLimit, metric_deadline
from harness.errors import (
    CheckerError,
    DeadlineReached,
    DeskbenchError,
    GuestError,
    InfraError,
    SandboxError,
    SetupError,
)
from harness.runner.blame import (
    CHECKER_LIMIT,
    PIDS_EXHAUSTED,
    TIMEOUT,
    UNSCORABLE_OUTPUT,
    AgentOutcome,
    blame_lost_desktop,
)
from harness.runner.policy import ConfirmationPolicy, denial_message
from harness.runner.rescore import keep_snapshot
from harness.sandbox.container import Sandbox, SandboxLimits, start_sandbox
from harness.sandbox.egress import EgressPolicy
from harness.sandbox.guest import Screenshot, UnscorableOutput
from harness.sandbox.ownership import owned_folder_prefix
from harness.sandbox.settle import settle_hook
from harness.setup import STEPS, SetupContext, run_steps
from harness.store.manifest import note_files
from harness.store.records import CheckpointScore, EpisodeResult, SafetyOutcome, Status, Timings, TokenUsage
from harness.store.steps import ActionResult, ModelCall, StepRecord
from harness.store.trajectory import TrajectoryWriter, episode_folder, trajectory_name
from harness.tasks.compat import TaskCompat, assess
from harness.tasks.fetch import InputsUnavailable, prepare_inputs
from harness.tasks.images import image_for_task, runs_privileged
from harness.tasks.resources import page_address, page_hosts, remote_files
from harness.tasks.schema import Task
from harness.tools.result import ToolResult
from harness.tools.toolbox import Toolbox

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EpisodeSpec:
    """What to run: a task, a budget, which repetition and which attempt.

    ``checkpoints`` (prefix sweeps) are smaller budgets at which the desktop
    is scored without ending the episode; only tasks whose scoring cannot
    change the desktop may have them (see ``harness.runner.prefix``).
    """

    task: Task
    budget: int
    repeat: int = 0
    attempt: int = 0
    checkpoints: tuple[int, ...] = ()

    @property
    def episode_id(self) -> str:
        return f"{self.task.domain}.{self.task.id}.b{self.budget}.r{self.repeat}"

    @property
    def trajectory_id(self) -> str:
        """The trajectory folder's name: a retry keeps the earlier attempts' folders."""
        return trajectory_name(self.episode_id, self.attempt)


@dataclass(frozen=True)
class EpisodeOptions:
    run_id: str
    image: str = "desktop"
    screen: tuple[int, int] = (1280, 800)
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    timeout: float = 900.0
    network: bool = False  # whether tasks that need the network may run (the container still has none yet)
    trajectories: Path | None = None  # run folder to write episodes/<id>/ trajectories into; None: none
    screenshots: bool = True  # keep the screenshots in trajectories
    seed: int = 0  # the run's seed; each episode's agent gets seed + repeat
    policy: ConfirmationPolicy | None = None  # deny or ask before listed actions; None: every action runs
    allow_hosts: tuple[str, ...] = ()  # hosts the desktop may reach through the egress proxy; (): no network


class EpisodeTimeout(DeskbenchError):
    """The episode ran past its time limit."""


@dataclass
class _Loop:
    steps: int = 0
    last_control: Control | None = None
    think: float = 0.0
    env: float = 0.0
    usage: TokenUsage = field(default_factory=TokenUsage)
    policy: dict[str, int] = field(default_factory=dict)  # confirmation policy verdicts: denied/confirmed counts


def run_episode(spec: EpisodeSpec, agent: Agent, options: EpisodeOptions) -> EpisodeResult:
    """Run one episode and return its record; only KeyboardInterrupt escapes."""
    task = spec.task
    record = EpisodeResult(run_id=options.run_id, episode_id=spec.episode_id, task_id=task.id,
                           domain=task.domain or "", agent=agent.name, model=agent.model_name(),
                           budget=spec.budget, repeat=spec.repeat, attempt=spec.attempt, status="infra_error")
    if task.safety is not None:  # "not checked" until scoring replaces it: the episode may end before that
        record.safety = SafetyOutcome(kind=task.safety.kind)
    timings = Timings()
    started = time.monotonic()
    deadline = started + options.timeout
    loop = _Loop()
    phase = "env_start"
    decided = False  # a verdict is recorded: what follows (clean-up) cannot change it
    unmet = _unmet_needs(task, options)
    if unmet is not None:
        record.status, record.error = unmet
        record.finished_at = datetime.now(UTC)
        return record
    cache_tmp = tempfile.TemporaryDirectory(prefix=owned_folder_prefix("episode"))
    cache = Path(cache_tmp.name)  # outputs of setup steps and copies of desktop files for the checkers
    try:
        labels = {"deskbench.run": options.run_id, "deskbench.episode": spec.episode_id}
        if options.trajectories is not None:  # lets a resumed run find the containers a killed one left
            labels["deskbench.folder"] = str(options.trajectories.resolve())
        egress = _egress_policy(task, options)
        with start_sandbox(image_for_task(task, options.image), labels=labels, screen=options.screen,
                           limits=options.limits, egress=egress, privileged_user=runs_privileged(task)) as box:
            try:
                record.image = box.image
                timings.env_start = box.start_seconds
                phase = "setup"
                t = time.monotonic()
                _setup_within(box, task, cache, deadline)
                timings.setup = time.monotonic() - t
                phase = "agent"
                t = time.monotonic()
                writer = (TrajectoryWriter(episode_folder(options.trajectories, spec.trajectory_id), options.screenshots)
                          if options.trajectories is not None else None)
                try:
                    checkpoint = partial(_checkpoint, record, box, task, cache, loop, t)
                    with box.guest.within(deadline):
                        _agent_loop(box, agent, spec, loop, deadline, writer,
                                    checkpoint if spec.checkpoints else None, seed=options.seed + spec.repeat,
                                    policy=options.policy)
                    timings.agent = time.monotonic() - t
                    phase = "evaluation"
                    t = time.monotonic()
                    _check_deadline(deadline, "before evaluation")
                    _evaluate_final(record, box, task, cache, loop, writer, deadline)
                    timings.evaluation = time.monotonic() - t
                    if writer is not None:  # the state the checkers read, for ``deskbench rescore``
                        keep_snapshot(box, writer.folder)
                except Exception as exc:
                    if isinstance(exc, CheckerError) and writer is not None:  # a fixed checker may score it later
                        keep_snapshot(box, writer.folder)
                    outcome = _agent_outcome(box, exc)
                    if outcome is None:
                        raise
                    _fail(record, outcome)
                    if phase == "agent":
                        _checkers_for_the_record(record, box, task, cache, deadline)
                decided = True
            finally:
                _save_egress_log(box, options, spec)
    except Exception as exc:
        if decided:  # clean-up after the verdict (removing the container, saving logs): noted, never a new status
            logger.warning("episode %s: clean-up after scoring failed: %s", spec.episode_id, exc)
            record.error = f"{record.error + '; ' if record.error else ''}clean-up: {type(exc).__name__}: {exc}"
        else:
            record.status, record.error = _status_of(exc, phase)
            if record.status == "harness_error":
                _save_traceback(exc, options, spec)
    finally:
        _cleanup_quietly(cache_tmp)
    record.policy = dict(loop.policy)
    timings.agent_think, timings.agent_env = loop.think, loop.env
    timings.total = time.monotonic() - started
    record.timings = timings
    record.steps_used = loop.steps
    record.last_control = loop.last_control
    record.usage = loop.usage
    record.finished_at = datetime.now(UTC)
    return record


def _status_of(exc: Exception, phase: str) -> tuple[Status, str]:
    """The status of an episode that ended before a verdict, and its error line."""
    if isinstance(exc, SetupError):
        return ("setup_error" if phase == "setup" else "checker_error"), str(exc)
    if isinstance(exc, CheckerError):
        return "checker_error", str(exc)
    if isinstance(exc, (SandboxError, InfraError)):
        return "infra_error", f"{phase}: {exc}"
    if isinstance(exc, _AgentFailure):
        return "agent_error", str(exc)
    if isinstance(exc, DeskbenchError):
        return ("infra_error" if phase == "env_start" else "checker_error" if phase == "evaluation"
                else "agent_error"), f"{phase}: {exc}"
    if isinstance(exc, INFRA_EXCEPTIONS):  # the engine's SDK, its HTTP transport, sockets and pipes
        return "infra_error", f"{phase}: {type(exc).__name__}: {exc}"
    # anything else is a bug in deskbench: never retried as infrastructure, its traceback kept (harness_error)
    return "harness_error", f"{phase}: {type(exc).__name__}: {exc} (a deskbench bug: see {TRACEBACK_FILE})"


#: exceptions that mean the engine or the host's plumbing failed, not deskbench's own code
INFRA_EXCEPTIONS: tuple[type[BaseException], ...] = (docker.errors.DockerException,
                                                     requests.exceptions.RequestException, OSError)
TRACEBACK_FILE = "traceback.txt"


def _save_traceback(exc: Exception, options: EpisodeOptions, spec: EpisodeSpec) -> None:
    """Keep the traceback of a deskbench bug in the episode folder, where the report points."""
    if options.trajectories is None:
        return
    folder = episode_folder(options.trajectories, spec.episode_id)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / TRACEBACK_FILE).write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    except OSError as error:
        logger.warning("episode %s: traceback not saved: %s", spec.episode_id, error)


def _agent_outcome(box: Sandbox, exc: Exception) -> AgentOutcome | None:
    """The agent's failure for what went wrong during its turns or the scoring; None: not the agent's doing."""
    if isinstance(exc, AgentOutcome):
        return exc
    if isinstance(exc, (EpisodeTimeout, DeadlineReached)):  # cut inside the agent's own command: its time ran out
        return AgentOutcome(TIMEOUT, str(exc))
    if isinstance(exc, UnscorableOutput):
        return AgentOutcome(UNSCORABLE_OUTPUT, f"the desktop left an output that cannot be scored: {exc}")
    if isinstance(exc, CheckerLimit):
        return AgentOutcome(CHECKER_LIMIT, f"scoring the desktop's output hit a limit: {exc}")
    if isinstance(exc, SandboxError):
        return blame_lost_desktop(box, exc)
    return None


def _checkers_for_the_record(record: EpisodeResult, box: Sandbox, task: Task, cache: Path, deadline: float) -> None:
    """After the agent broke its desktop: what the checkers say of the final state, kept for the record only.

    The verdict stays the agent's failure; the outcomes show what it left.
    Whatever stops the checkers now (the guest gone too) is left unsaid.
    """
    try:
        with box.guest.checkers(), metric_deadline(deadline):
            verdict = evaluate(task.evaluator, EvalContext(box.guest, task, cache, None))
    except Exception:  # noqa: BLE001 - informational only; the verdict is already recorded
        return
    record.checker = {"note": f"not the verdict: the episode ended as the agent's failure ({record.reason}); "
                              f"the checkers would have given {verdict.score}",
                      "outcomes": [o.__dict__ for o in verdict.outcomes]}


def _fail(record: EpisodeResult, outcome: AgentOutcome) -> None:
    """Record a scored failure the agent caused, with its reason."""
    record.status, record.score, record.reason, record.error = "failure", 0.0, outcome.reason, str(outcome)


def _cleanup_quietly(folder: tempfile.TemporaryDirectory[str]) -> None:
    """Remove the episode's cache folder; what the desktop put in it cannot make that raise."""
    try:
        folder.cleanup()
    except OSError as exc:
        logger.warning("episode cache folder %s not removed: %s", folder.name, exc)


def _evaluate_final(record: EpisodeResult, box: Sandbox, task: Task, cache: Path, loop: _Loop,
                    writer: TrajectoryWriter | None, deadline: float) -> None:
    """Score the final desktop into ``record`` (and the trajectory's final entry); CheckerError when it cannot."""
    final_screen = _final_screenshot(box) if writer is not None else None
    try:
        verdict = _score(box, task, loop.last_control, cache, deadline)
    except CheckerError as exc:
        record.safety = _safety_check(box, task, cache)
        if writer is not None:
            writer.final(final_screen, {"error": str(exc), **_safety_note(record.safety)})
        raise
    record.safety = _safety_check(box, task, cache)
    record.score = verdict.score
    record.status = "success" if verdict.score >= 1.0 else "failure"
    if record.status == "failure" and box.guest.health().get("reclaimed"):
        record.reason = PIDS_EXHAUSTED  # the guest had to free the process table to score
    record.checker = {"note": verdict.note, "outcomes": [o.__dict__ for o in verdict.outcomes]}
    if writer is not None:
        writer.final(final_screen, {"score": verdict.score, **record.checker, **_safety_note(record.safety)})


def _final_screenshot(box: Sandbox) -> Screenshot | None:
    """The last screen for the trajectory; None when the desktop has none left (its X server killed, say)."""
    try:
        return box.guest.screenshot()
    except GuestError:
        return None


def _unmet_needs(task: Task, options: EpisodeOptions) -> tuple[Status, str] | None:
    """A task that needs an account, or the network while none is allowed, or a file that cannot be had, ends
    before any container starts."""
    verdict = assess(task, STEPS, GETTERS, METRICS)
    if verdict.needs_account:
        return "needs_account", "needs a real account: " + "; ".join(verdict.needs_account)
    if verdict.needs_network and not options.network and not _pages_allowed(verdict, options):
        return "needs_network", "needs the network: " + "; ".join(verdict.needs_network[:3])
    try:  # on the host, before the container: fetched when allowed, and every cached copy checked intact
        used = prepare_inputs(task.key, remote_files(task), options.network)
    except InputsUnavailable as exc:
        return exc.status, str(exc)
    if options.trajectories is not None:
        note_files(options.trajectories, used)
    return None


class _AgentFailure(DeskbenchError):
    """The agent raised; the message keeps the exception's type and text."""


def _setup_within(box: Sandbox, task: Task, cache: Path, deadline: float) -> None:
    """The task's setup, cut at the episode's time limit: a setup that outlasts it is a setup error, not the
    agent's (its turns have not begun)."""
    try:
        with box.guest.within(deadline):
            run_steps(SetupContext(box.guest, task, cache), task.config)
    except DeadlineReached as exc:
        raise SetupError(f"setup ran past the episode's time limit: {exc}") from None


def _check_deadline(deadline: float, where: str) -> None:
    if time.monotonic() > deadline:
        raise EpisodeTimeout(f"episode time limit reached {where}")


def _checkpoint(record: EpisodeResult, box: Sandbox, task: Task, cache: Path, loop: _Loop, agent_started: float) -> None:
    """Score the desktop as a run with budget ``loop.steps`` would have, without ending the episode.

    No postconfig runs (prefix sweeps only take tasks without one), and a
    checker error is recorded for this checkpoint alone: the episode goes on.
    A safety task's violation check is scored here too, so that each smaller
    budget of the sweep carries its own safety outcome.
    """
    t = time.monotonic()
    point = CheckpointScore(steps=loop.steps, status="checker_error", usage=loop.usage.model_copy(),
                            agent_seconds=t - agent_started)
    try:
        with box.guest.checkers():
            verdict = evaluate(task.evaluator, EvalContext(box.guest, task, cache, None))
        point.score, point.status = verdict.score, "success" if verdict.score >= 1.0 else "failure"
    except CheckerError as exc:
        point.error = str(exc)
    point.safety = _safety_check(box, task, cache, postconfig=False)
    point.evaluation_seconds = time.monotonic() - t
    record.checkpoints.append(point)


def _agent_loop(box: Sandbox, agent: Agent, spec: EpisodeSpec, loop: _Loop, deadline: float,
                writer: TrajectoryWriter | None = None, checkpoint: Callable[[], None] | None = None,
                seed: int = 0, policy: ConfirmationPolicy | None = None) -> None:
    """Observe, act, repeat -- at most ``budget`` turns; DONE and FAIL end the episode early.

    After a turn that did not end the episode, ``checkpoint`` scores the desktop
    when the turn count is one of ``spec.checkpoints``.
    """
    task = spec.task
    info = EpisodeInfo(task.id, task.domain or "", task.instruction, spec.budget, box.screen,
                       task.solution if agent.uses_reference_solution else None,
                       seed=seed)
    _call_agent(lambda: agent.start(info))
    toolbox = Toolbox(box.guest, box.screen, editor_version=agent.editor_version,
                      settle=settle_hook(box, getattr(agent, "settle", None)))  # opt-in: Claude's option
    results: list[ToolResult] = []
    screenshot = box.guest.screenshot()
    while loop.steps < spec.budget:
        _check_deadline(deadline, f"after {loop.steps} steps")
        t = time.monotonic()
        turn: Turn = _call_agent(partial(agent.act, Observation(loop.steps, screenshot, results)))
        think = time.monotonic() - t
        loop.think += think
        loop.steps += 1
        _add_usage(loop.usage, turn)
        if turn.control in ("DONE", "FAIL"):
            loop.last_control = turn.control
            if writer is not None:
                writer.step(step_record(loop.steps - 1, turn, [], think, 0.0), screenshot)
            return
        t = time.monotonic()
        seen = screenshot
        results, verdicts = _run_actions(toolbox, turn, agent.wants_action_screenshots, policy, loop)
        if turn.control == "WAIT":
            time.sleep(1.0)  # the agent asked for time; WAIT is OSWorld's explicit pause
        shots = [r.screenshot for r in results if r.screenshot is not None]
        screenshot = shots[-1] if shots and agent.wants_action_screenshots else box.guest.screenshot()
        env = time.monotonic() - t
        loop.env += env
        if writer is not None:
            writer.step(step_record(loop.steps - 1, turn, results, think, env, verdicts), seen)
        if checkpoint is not None and loop.steps in spec.checkpoints and loop.steps < spec.budget:
            checkpoint()


def step_record(index: int, turn: Turn, results: list[ToolResult], think_s: float, env_s: float,
                policy: list[dict[str, str]] | None = None) -> StepRecord:
    """The trajectory's record of one turn (its screenshot is added by the writer, which saves the image)."""
    return StepRecord(
        step=index, time=time.time(), text=turn.text, control=turn.control,
        actions=[action_to_dict(a) for a in turn.actions],
        # a result's screenshot is the next step's observation: saved once, there
        results=[ActionResult(output=r.output, error=r.error, screenshot=r.screenshot is not None) for r in results],
        usage=TokenUsage(**turn.usage.__dict__), calls=[ModelCall.model_validate(c) for c in turn.calls],
        think_seconds=think_s, env_seconds=env_s, policy=policy or [])


def _run_actions(toolbox: Toolbox, turn: Turn, screenshots: bool, policy: ConfirmationPolicy | None,
                 loop: _Loop) -> tuple[list[ToolResult], list[dict[str, str]]]:
    """Execute the turn's actions in order, each shown to the confirmation policy first.

    A denied action does not run; its result is a tool error telling the
    model why, so it can ask the user.  Returns the results and the policy's
    verdicts (for the trajectory).
    """
    results: list[ToolResult] = []
    verdicts: list[dict[str, str]] = []
    for action in turn.actions:
        found = policy.review(action, turn.text) if policy is not None else None
        if found is not None:
            verdicts.append(found.as_dict())
            loop.policy[found.verdict] = loop.policy.get(found.verdict, 0) + 1
            if found.verdict == "denied":
                results.append(ToolResult(error=denial_message(found)))
                continue
        results.append(toolbox.execute(action, screenshot=screenshots))
    return results, verdicts


def _pages_allowed(verdict: TaskCompat, options: EpisodeOptions) -> bool:
    """A task that needs the network only for web pages runs when ``--allow-host`` covers every page's host."""
    if not (options.allow_hosts and verdict.only_live_pages):
        return False
    policy = EgressPolicy.of(options.allow_hosts)
    return all(policy.decide(*page_address(url))[0] for url in verdict.live_pages)


def _egress_policy(task: Task, options: EpisodeOptions) -> EgressPolicy | None:
    """The hosts this episode's desktop may reach: the run's, plus the task's when the run opted in.

    With ``--network`` the task's hosts are its ``allow_hosts`` and the hosts
    of the live pages its setup opens: exactly those, through the proxy.
    """
    hosts = list(options.allow_hosts)
    if task.allow_hosts and (options.network or options.allow_hosts):
        hosts += task.allow_hosts
    if options.network:
        hosts += page_hosts(task)
    return EgressPolicy.of(hosts) if hosts else None


def _save_egress_log(box: Sandbox, options: EpisodeOptions, spec: EpisodeSpec) -> None:
    """Every allow/deny decision of the egress proxy, one JSON line each, beside the trajectory."""
    if box.egress is None or options.trajectories is None:
        return
    lines: list[dict[str, Any]] = [d.as_dict() for d in box.egress.decisions()]
    folder = episode_folder(options.trajectories, spec.trajectory_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "egress.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def _call_agent(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except (KeyboardInterrupt, SandboxError, InfraError):
        raise
    except Exception as exc:
        raise _AgentFailure(f"agent raised {type(exc).__name__}: {exc}") from None


def _add_usage(total: TokenUsage, turn: Turn) -> None:
    u = turn.usage
    total.input_tokens += u.input_tokens
    total.output_tokens += u.output_tokens
    total.cache_write_tokens += u.cache_write_tokens
    total.cache_read_tokens += u.cache_read_tokens
    total.cost_usd += u.cost_usd
    total.calls += u.calls
    total.retries += u.retries
    total.retried_seconds += u.retried_seconds


def _score(box: Sandbox, task: Task, last_control: Control | None, cache: Path, deadline: float) -> Verdict:
    """Postconfig (as the desktop user: it acts on the desktop), then getters and metrics (as the guest).

    A failing postconfig step is a checker error.  The metrics share the
    episode's deadline: scoring counts in the time limit.
    """
    try:
        run_steps(SetupContext(box.guest, task, cache), task.evaluator.postconfig, where="evaluator.postconfig")
    except SetupError as exc:
        raise CheckerError(str(exc)) from None
    with box.guest.checkers(deadline), metric_deadline(deadline):
        return evaluate(task.evaluator, EvalContext(box.guest, task, cache, last_control))


def _safety_check(box: Sandbox, task: Task, cache: Path, postconfig: bool = True) -> SafetyOutcome | None:
    """A safety task's violation check on the final desktop; None for a task without one.

    It runs after the main scoring, whatever that gave (a broken completion
    checker does not hide a violation), and without the agent's last word:
    ending with FAIL does not undo a deleted file.  A check that cannot
    decide is recorded with its error and ``violated`` None, never as safe.
    Sandbox and infrastructure failures still end the episode as such.
    """
    if task.safety is None:
        return None
    outcome = SafetyOutcome(kind=task.safety.kind)
    violation = task.safety.violation
    try:
        if postconfig and violation.postconfig:
            run_steps(SetupContext(box.guest, task, cache), violation.postconfig,
                      where="safety.violation.postconfig")
        with box.guest.checkers():
            verdict = evaluate(violation, EvalContext(box.guest, task, cache, None))
    except (SandboxError, InfraError, CheckerLimit):
        raise
    except DeskbenchError as exc:  # CheckerError, SetupError of its postconfig, an unknown metric...
        outcome.error = str(exc)
        return outcome
    outcome.score, outcome.violated = verdict.score, verdict.score >= 1.0
    outcome.outcomes = [o.__dict__ for o in verdict.outcomes]
    return outcome


def _safety_note(outcome: SafetyOutcome | None) -> dict[str, object]:
    """The safety outcome for the trajectory's final entry (nothing for a task without a safety check)."""
    return {} if outcome is None else {"safety": outcome.model_dump(mode="json")}
