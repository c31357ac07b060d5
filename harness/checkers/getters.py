"""Getters: turn the desktop's final state (or the task's own data) into values for metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.checkers.context import EvalContext
from harness.checkers.getter_params import (
    CacheFileParams,
    CloudFileParams,
    CommandLineParams,
    CommandParams,
    DirectoryParams,
    NoFields,
    RelativeTimeParams,
    RuleParams,
    VmFileParams,
    WindowSizeParams,
)
from harness.checkers.registry import getter
from harness.errors import CheckerError, GuestError
from harness.sandbox.guest import UnscorableOutput, desktop_path
from harness.tasks.resources import ResourceUnavailable, resolve_resource
from harness.tasks.schema import Getter


def _copy_out(ctx: EvalContext, path: str, dest: str | None) -> str | None:
    """Copy a desktop file into the cache folder; None when it does not exist (the agent did not make it)."""
    path = desktop_path(path)
    try:
        data = ctx.guest.read_file(path)
    except GuestError as exc:
        if exc.status == 404:
            return None
        if isinstance(exc, UnscorableOutput):  # the desktop made it unreadable: scored
            raise
        raise CheckerError(f"vm_file: cannot read {path}: {exc}") from None
    local = ctx.cache_dir / (dest or Path(path).name)
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(data)
    return str(local)


@getter("vm_file", params=VmFileParams)
def vm_file(ctx: EvalContext, spec: Getter) -> Any:
    """Local copy of a desktop file (``path``/``dest``), or of several (``multi``, returning ``gives``)."""
    path, dest = spec.field("path"), spec.field("dest")
    if path is None:
        raise CheckerError("vm_file: missing field 'path'")
    if spec.field("multi", False):
        if not isinstance(path, list) or not isinstance(dest, list) or len(path) != len(dest):
            raise CheckerError("vm_file with multi: 'path' and 'dest' must be lists of the same length")
        copies = [_copy_out(ctx, p, d) for p, d in zip(path, dest, strict=True)]
        gives = spec.field("gives", [0])
        picked = [copies[i] for i in gives]
        return picked[0] if len(picked) == 1 else picked
    return _copy_out(ctx, str(path), dest)


@getter("vm_command_line", params=CommandLineParams)
def vm_command_line(ctx: EvalContext, spec: Getter) -> str:
    """Standard output of a command run in the desktop (as the checkers' read-only user; see ``_runs_as``)."""
    command = spec.require("command")
    result = ctx.guest.run(command, shell=bool(spec.field("shell", isinstance(command, str))),
                           timeout=float(spec.field("timeout", 60)), as_guest=_runs_as(spec))
    if result.timed_out:
        raise CheckerError(f"vm_command_line: command timed out: {command!r}")
    return result.stdout


@getter("vm_command_error", params=CommandParams)
def vm_command_error(ctx: EvalContext, spec: Getter) -> str:
    """Standard error of a command run in the desktop (as the checkers' read-only user; see ``_runs_as``)."""
    command = spec.require("command")
    return ctx.guest.run(command, shell=bool(spec.field("shell", isinstance(command, str))),
                         as_guest=_runs_as(spec)).stderr


def _runs_as(spec: Getter) -> bool | None:
    """Who runs a getter's command: the checkers' user (None, the default), or the desktop user (False).

    The checkers' user reads the final state and can change nothing, so
    neither the agent's planted programs nor its processes can touch it.  A
    task whose check must exercise what the agent made -- run its script,
    which writes files -- says ``"run_as": "user"``: that command then runs
    as the agent's own user, and the task accepts that it runs the agent's code.
    """
    who = spec.field("run_as", "checker")
    if who not in ("checker", "user"):
        raise CheckerError(f"{spec.type}: run_as must be 'checker' or 'user', not {who!r}")
    return False if who == "user" else None


@getter("rule", params=RuleParams)
def rule(ctx: EvalContext, spec: Getter) -> Any:
    """The getter's own ``rules`` object, as the expected value."""
    rules = spec.require("rules")
    return rules


@getter("cloud_file", params=CloudFileParams)
def cloud_file(ctx: EvalContext, spec: Getter) -> Any:
    """An expected file named by URL; for now a task-relative path or a ``file://`` URL (no network)."""
    paths = spec.field("path")
    if spec.field("multi", False):
        if not isinstance(paths, list):
            raise CheckerError("cloud_file with multi: 'path' must be a list")
        files = [_local_source(ctx, str(p)) for p in paths]
        picked = [files[i] for i in spec.field("gives", [0])]
        return picked[0] if len(picked) == 1 else picked
    if paths is None:
        raise CheckerError("cloud_file: missing field 'path'")
    return _local_source(ctx, str(paths))



def _local_source(ctx: EvalContext, ref: str) -> str:
    try:
        return str(resolve_resource(ctx.task, ref))
    except ResourceUnavailable as exc:
        raise CheckerError(f"cloud_file: {exc}") from None


@getter("cache_file", params=CacheFileParams)
def cache_file(ctx: EvalContext, spec: Getter) -> str | None:
    """A file a setup or postconfig step saved in the episode's cache folder (``execute`` with ``stdout``)."""
    name = spec.field("path")
    if not name:
        raise CheckerError("cache_file: missing field 'path'")
    local = ctx.cache_dir / str(name)
    return str(local) if local.is_file() else None


@getter("list_directory", params=DirectoryParams)
def list_directory(ctx: EvalContext, spec: Getter) -> list[str] | None:
    """Names in a desktop folder, sorted; None when the folder does not exist."""
    path = spec.field("path")
    if not path:
        raise CheckerError("list_directory: missing field 'path'")
    result = ctx.guest.run(["ls", "-1A", str(path)], shell=False)
    if result.exit_code != 0:
        return None
    return sorted(line for line in result.stdout.split("\n") if line)


@getter("vm_screen_size", params=NoFields)
def vm_screen_size(ctx: EvalContext, spec: Getter) -> dict[str, int]:
    width, height = ctx.guest.screen_size()
    return {"width": width, "height": height}


@getter("vm_window_size", params=WindowSizeParams)
def vm_window_size(ctx: EvalContext, spec: Getter) -> dict[str, int] | None:
    """Size of the first window whose WM_CLASS matches ``app_class_name``; None when there is none."""
    name = str(spec.field("app_class_name", "")).lower()
    for win in ctx.guest.windows():
        if name and name in (win.wm_class[0].lower(), win.wm_class[1].lower()):
            return {"width": win.width, "height": win.height}
    return None


@getter("rule_relativeTime", params=RelativeTimeParams)
def rule_relative_time(ctx: EvalContext, spec: Getter) -> Any:
    """The ``rules.expected`` object with dates that are relative to today filled in.

    ``rules.relativeTime`` maps keys (``from``, ``to``) to phrases such as
    "tomorrow", "this Saturday", "next Monday", "10th next month"; each
    expected string with the same key has its ``{DoW}``, ``{Month}``,
    ``{MonthFull}``, ``{Month0D}``, ``{Day0D}``, ``{DayD}``, ``{Year}`` fields
    replaced by that date.
    """
    from harness.checkers.relative_time import fill_relative_dates

    rules = spec.field("rules")
    if not isinstance(rules, dict) or "relativeTime" not in rules or "expected" not in rules:
        raise CheckerError("rule_relativeTime: rules need 'relativeTime' and 'expected'")
    try:
        return fill_relative_dates(rules["relativeTime"], rules["expected"])
    except ValueError as exc:
        raise CheckerError(f"rule_relativeTime: {exc}") from None
