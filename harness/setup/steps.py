"""Setup steps (``config`` and ``evaluator.postconfig``), executed on the host through the guest.

Each step type is a function registered by name.  A step that fails raises
``SetupError`` naming the step's index and type: an episode whose start
state is broken is a ``setup_error``, never scored as an agent failure (the
reference runner logs such failures and scores the task anyway).
"""

from __future__ import annotations

import logging
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from harness.errors import DeskbenchError, GuestError, SetupError
from harness.sandbox.guest import GuestClient, Window, desktop_path
from harness.tasks.params import AbsoluteGuestPath, Command, GuestPath, ResourceFile, StepParams
from harness.tasks.resources import ResourceUnavailable, resolve_resource
from harness.tasks.schema import SetupStep, Task

logger = logging.getLogger(__name__)

WINDOW_WAIT_S = 30.0  # a loaded 2-core machine took over 15 s to map a terminal a setup opened (CI)


@dataclass
class SetupContext:
    guest: GuestClient
    task: Task
    cache_dir: Path | None = None  # the episode's folder for outputs that getters read (cache_file)


StepFn = Callable[[SetupContext, dict[str, Any]], None]
STEPS: dict[str, StepFn] = {}
STEP_PARAMS: dict[str, type[StepParams]] = {}  # what each step type's ``parameters`` must be (task validation)


def step(*names: str, params: type[StepParams]) -> Callable[[StepFn], StepFn]:
    """Register a step executor under one or more type names, with the model its ``parameters`` must fit."""
    def register(fn: StepFn) -> StepFn:
        for name in names:
            STEPS[name] = fn
            STEP_PARAMS[name] = params
        return fn
    return register


def run_steps(ctx: SetupContext, steps: list[SetupStep], where: str = "config") -> None:
    """Run steps in order; the first failure stops the setup with a message naming the step."""
    for i, s in enumerate(steps):
        fn = STEPS.get(s.type)
        if fn is None:
            raise SetupError(f"{where}[{i}]: unsupported setup step type {s.type!r}")
        try:
            fn(ctx, s.parameters)
        except SetupError as exc:
            raise SetupError(f"{where}[{i}] {s.type}: {exc}") from None
        except GuestError as exc:
            raise SetupError(f"{where}[{i}] {s.type}: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise SetupError(f"{where}[{i}] {s.type}: bad parameters ({type(exc).__name__}: {exc})") from None
        except ResourceUnavailable as exc:
            raise SetupError(f"{where}[{i}] {s.type}: {exc}") from None
        except DeskbenchError:
            raise  # sandbox failures stay infrastructure errors


def _command(params: dict[str, Any]) -> tuple[str | list[str], bool]:
    cmd = params["command"]
    shell = bool(params.get("shell", False))
    if isinstance(cmd, str) and not shell:
        return shlex.split(cmd), False
    return cmd, shell


class ExecuteParams(StepParams):
    command: Command
    shell: bool = False
    stdout: str | None = None
    stderr: str | None = None
    timeout: float = 120.0
    until: dict[str, Any] | None = None  # OSWorld's; accepted, not used here
    check: bool | None = None  # whether a non-zero exit fails the setup (see judges_exit_code)


@step("execute", "command", params=ExecuteParams)
def execute(ctx: SetupContext, params: dict[str, Any]) -> None:
    """Run a command and wait.

    With ``stdout``/``stderr`` (file names), the output is saved in the
    episode's cache folder for the ``cache_file`` getter and the exit code is
    not judged (the output is the point: ``grep`` finding nothing exits 1).
    Otherwise a non-zero exit fails the setup, with stderr in the message,
    unless the exit code is not judged (see :func:`judges_exit_code`).
    """
    cmd, shell = _command(params)
    result = ctx.guest.run(cmd, shell=shell, timeout=float(params.get("timeout", 120)))
    if result.timed_out:
        raise SetupError(f"command timed out: {cmd!r}")
    captured = False
    for stream in ("stdout", "stderr"):
        name = params.get(stream)
        if name:
            if ctx.cache_dir is None:
                raise SetupError(f"cannot save {stream} of {cmd!r}: no cache folder in this context")
            (ctx.cache_dir / str(name)).write_text(getattr(result, stream))
            captured = True
    if result.exit_code != 0 and not captured:
        tail = (result.stderr or result.stdout).strip()[-300:]
        if judges_exit_code(ctx.task, params):
            raise SetupError(f"command {cmd!r} exited with {result.exit_code}: {tail}")
        logger.warning("task %s: setup command %r exited with %d (not judged, as in OSWorld): %s", ctx.task.id, cmd,
                       result.exit_code, tail)


def judges_exit_code(task: Task, params: dict[str, Any]) -> bool:
    """Whether a non-zero exit of this ``execute`` step fails the setup: the step's ``check`` when it says.

    Otherwise it depends on the task's format.  OSWorld's setup never judges
    an exit code, and its tasks (the format that names the VM ``snapshot`` a
    task starts from) were written against that: some run a command that fails
    harmlessly there (``sudo su - charles`` for a user the agent is to
    create), so judging it would turn a scorable task into a setup error and
    change the denominator of a published number.  deskbench's own tasks are
    judged, where a failing step is a bug in the task to report.
    """
    check = params.get("check")
    if isinstance(check, bool):
        return check
    return task.snapshot is None


class LaunchParams(StepParams):
    command: Command
    shell: bool = False


@step("launch", params=LaunchParams)
def launch(ctx: SetupContext, params: dict[str, Any]) -> None:
    """Start a process without waiting for it."""
    cmd, shell = _command(params)
    ctx.guest.spawn(cmd, shell=shell)


class SleepParams(StepParams):
    seconds: float


@step("sleep", params=SleepParams)
def sleep(ctx: SetupContext, params: dict[str, Any]) -> None:
    """Wait the given seconds (the task asked for it explicitly)."""
    time.sleep(min(float(params["seconds"]), 60.0))


class OpenParams(StepParams):
    path: GuestPath


@step("open", params=OpenParams)
def open_path(ctx: SetupContext, params: dict[str, Any]) -> None:
    """Open a file with its default application."""
    ctx.guest.spawn(["xdg-open", desktop_path(str(params["path"]))])


class FilesParams(StepParams):
    files: list[ResourceFile]


@step("upload_file", "download", params=FilesParams)
def put_files(ctx: SetupContext, params: dict[str, Any]) -> None:
    """Copy files into the desktop: ``files: [{url|local_path, path}]`` (task-relative or file://)."""
    for entry in params["files"]:
        ref = entry.get("url") or entry.get("local_path")
        if not ref:
            raise SetupError("each file needs 'url' or 'local_path'")
        data = resolve_resource(ctx.task, str(ref)).read_bytes()
        ctx.guest.write_file(desktop_path(str(entry["path"])), data)


class WriteFileParams(StepParams):
    path: AbsoluteGuestPath
    content: str
    mode: Annotated[str, Field(pattern=r"^[0-7]{3,4}$")] | None = None  # octal, e.g. "755"


@step("write_file", params=WriteFileParams)
def write_file(ctx: SetupContext, params: dict[str, Any]) -> None:
    """deskbench: write inline text to a desktop file (``path``, ``content``, optional octal ``mode``)."""
    mode = int(str(params["mode"]), 8) if "mode" in params else None
    ctx.guest.write_file(str(params["path"]), str(params["content"]).encode(), mode)


def _matches(win: Window, name: str, strict: bool, by_class: bool) -> bool:
    fields = [win.wm_class[0], win.wm_class[1]] if by_class else [win.title]
    if strict:
        return name in fields
    return any(name.lower() in f.lower() for f in fields)


def wait_for_window(guest: GuestClient, name: str, strict: bool = False, by_class: bool = False,
                    timeout: float = WINDOW_WAIT_S) -> Window:
    """Poll the window list (bounded) until a window matches; windows appear some time after launch."""
    deadline = time.monotonic() + timeout
    while True:
        found = [w for w in guest.windows() if _matches(w, name, strict, by_class)]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            titles = [w.title for w in guest.windows()]
            raise SetupError(f"no window matching {name!r} after {timeout:.0f} s (windows: {titles})")
        time.sleep(0.05)


class WindowParams(StepParams):
    window_name: str
    strict: bool = False
    by_class: bool = False


class WaitWindowParams(WindowParams):
    timeout: float = WINDOW_WAIT_S


@step("activate_window", params=WindowParams)
def activate_window(ctx: SetupContext, params: dict[str, Any]) -> None:
    win = wait_for_window(ctx.guest, str(params["window_name"]), bool(params.get("strict", False)),
                          bool(params.get("by_class", False)))
    ctx.guest.activate_window(win.id)


@step("close_window", params=WindowParams)
def close_window(ctx: SetupContext, params: dict[str, Any]) -> None:
    win = wait_for_window(ctx.guest, str(params["window_name"]), bool(params.get("strict", False)),
                          bool(params.get("by_class", False)))
    ctx.guest.close_window(win.id)


@step("wait_for_window", params=WaitWindowParams)
def wait_window_step(ctx: SetupContext, params: dict[str, Any]) -> None:
    """deskbench: wait until a window whose title (or class) matches exists, e.g. after ``launch``."""
    wait_for_window(ctx.guest, str(params["window_name"]), bool(params.get("strict", False)),
                    bool(params.get("by_class", False)), float(params.get("timeout", WINDOW_WAIT_S)))



IDLE_POLL_S = 0.25


def cpu_ticks(guest: GuestClient, process: str) -> int:
    """CPU time (user + system clock ticks) used so far by every process whose name is ``process``."""
    script = ("cat /proc/[0-9]*/stat 2>/dev/null | awk -v name='(" + process + ")' "
              "'$2 == name {t += $14 + $15} END {print t + 0}'")
    out = guest.run(script, shell=True).stdout.strip()
    return int(out or 0)


class IdleParams(StepParams):
    process: str = "soffice.bin"
    quiet: float = 1.0
    timeout: float = 30.0


@step("wait_for_idle", params=IdleParams)
def wait_for_idle(ctx: SetupContext, params: dict[str, Any]) -> None:
    """deskbench: wait (bounded) until a process has used no CPU for ``quiet`` seconds.

    A window appears long before LibreOffice has finished loading a document;
    keys sent earlier are lost.  Not raising at the deadline is deliberate: a
    busy app is slow, not broken, and the agent sees the screen anyway.
    """
    process = str(params.get("process", "soffice.bin"))
    quiet_needed = float(params.get("quiet", 1.0))
    deadline = time.monotonic() + float(params.get("timeout", 30.0))
    last, quiet_since = cpu_ticks(ctx.guest, process), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(IDLE_POLL_S)
        now = cpu_ticks(ctx.guest, process)
        if now - last > 1:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_needed:
            return
        last = now
