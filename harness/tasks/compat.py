"""Static compatibility of a task set: what each task needs, decided before anything runs.

For every task: can deskbench run it offline, does it need the network (a URL
not in the local cache, a live web page, a package install) or a real account
(Google Drive, a login), and which setup step, getter or metric it uses that
deskbench does not implement.  The runner uses the same verdict to end such
an episode as ``needs_network`` / ``needs_account`` before a container starts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.tasks.cache import cached_file, is_remote
from harness.tasks.schema import Getter, SetupStep, Task

ACCOUNT_STEPS = {"googledrive", "login"}
ACCOUNT_GETTERS = {"googledrive_file"}
URL_FIELDS = ("url", "urls_to_open", "path")
# Programs a setup command needs, found by what the command mentions, unless the task's image declares them:
# only the osworld image has sudo (for the tasks that opt into OSWorld's user model; everywhere else the desktop
# user has no root, by design: see tasks/core/os), and the desktop is openbox, not GNOME Shell.
COMMAND_NEEDS: dict[str, re.Pattern[str]] = {
    "sudo": re.compile(r"\bsudo\b"),
    "gnome-shell": re.compile(r"\borg\.gnome\.shell\b"),
}
# "code --install-extension NAME" asks the marketplace; a local .vsix file installs offline.
NETWORK_COMMAND = re.compile(r"https?://(?!localhost|127\.0\.0\.1)|\bapt(-get)? install\b|\bpip3? install\b|\bgit clone\b"
                             r"|\bcode\s+--install-extension\s+(?!\S*\.vsix\b)")

Need = Literal["network", "account"]


@dataclass
class TaskCompat:
    """The verdict for one task."""

    key: str
    needs_network: list[str] = field(default_factory=list)
    needs_account: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # "step:x", "getter:y", "metric:z", "program:p"
    live_pages: list[str] = field(default_factory=list)  # the needs_network entries that are web pages (URLs)

    @property
    def checkers_implemented(self) -> bool:
        return not any(u.startswith(("getter:", "metric:")) for u in self.unsupported)

    @property
    def offline(self) -> bool:
        return not (self.needs_network or self.needs_account or self.unsupported)

    @property
    def only_live_pages(self) -> bool:
        """The network is needed for web pages alone (an allowlist covering their hosts is enough)."""
        return bool(self.needs_network) and len(self.live_pages) == len(self.needs_network)

    @property
    def runnable_with_network(self) -> bool:
        """Runnable once the network is allowed: nothing but the network stands in the way."""
        return not (self.needs_account or self.unsupported)

    @property
    def domain(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def verdict(self) -> str:
        if self.needs_account:
            return "needs_account"
        if self.needs_network:
            return "needs_network"
        if self.unsupported:
            return "unsupported"
        return "offline"


def _steps(task: Task) -> Iterator[tuple[str, SetupStep]]:
    for i, s in enumerate(task.config):
        yield f"config[{i}]", s
    for i, s in enumerate(task.evaluator.postconfig):
        yield f"postconfig[{i}]", s


def _getters(task: Task) -> Iterator[Getter]:
    for side in (task.evaluator.result, task.evaluator.expected):
        for g in side if isinstance(side, list) else [side]:
            if g is not None:
                yield g


def _remote_refs(value: Any) -> Iterator[str]:
    """Every remote URL in a parameter value (strings, lists, and dicts of them)."""
    if isinstance(value, str):
        if is_remote(value):
            yield value
    elif isinstance(value, list):
        for v in value:
            yield from _remote_refs(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k in URL_FIELDS or k == "files":
                yield from _remote_refs(v)


def _command_text(params: dict[str, Any]) -> str:
    """A step's command as one string; the items of a list form need not be strings in a malformed file."""
    cmd = params.get("command", "")
    return " ".join(str(c) for c in cmd) if isinstance(cmd, list) else str(cmd)


def _live_page(url: str) -> bool:
    """A page the browser would load from the web (no cache stands in for a live site)."""
    return is_remote(url) and "localhost" not in url and "127.0.0.1" not in url


def _launched_program(params: dict[str, Any]) -> str:
    """The program a ``launch`` step starts, by base name ("" when there is no command)."""
    cmd = params.get("command", "")
    words = cmd if isinstance(cmd, list) else str(cmd).split()
    return str(words[0]).rsplit("/", 1)[-1] if words else ""


def _program_needs(task: Task, programs: frozenset[str] | None) -> list[str]:
    """``program:x`` for each app a step launches that the task's image lacks, and for COMMAND_NEEDS."""
    missing = []
    for _, s in _steps(task):
        if s.type == "launch" and programs is not None:
            name = _launched_program(s.parameters)
            if name and name not in programs:
                missing.append(f"program:{name}")
        elif s.type in ("execute", "command"):
            text = _command_text(s.parameters)
            missing.extend(f"program:{name}" for name, pattern in COMMAND_NEEDS.items()
                           if pattern.search(text) and (programs is None or name not in programs))
    return missing


def assess(task: Task, steps: Iterable[str], getters: Iterable[str], metrics: Iterable[str],
           programs: frozenset[str] | None = None) -> TaskCompat:
    """Classify one task against the step, getter and metric names deskbench implements and, when
    given, the programs its image has."""
    known_steps, known_getters, known_metrics = set(steps), set(getters), set(metrics) | {"infeasible"}
    c = TaskCompat(task.key)
    c.unsupported.extend(_program_needs(task, programs))
    for where, s in _steps(task):
        if s.type in ACCOUNT_STEPS:
            c.needs_account.append(f"{where} {s.type}")
            continue
        if s.type not in known_steps:
            c.unsupported.append(f"step:{s.type}")
        if s.type in ("download", "upload_file"):
            for url in _remote_refs(s.parameters.get("files", [])):
                if cached_file(url) is None:
                    c.needs_network.append(f"{where} download {url[:80]}")
        elif s.type in ("chrome_open_tabs", "open"):
            for url in _remote_refs(s.parameters):
                if _live_page(url):
                    c.needs_network.append(f"{where} {s.type} {url[:80]}")
                    c.live_pages.append(url)
        elif s.type in ("execute", "command", "launch") and NETWORK_COMMAND.search(_command_text(s.parameters)):
            c.needs_network.append(f"{where} {s.type} {_command_text(s.parameters)[:80]}")
    for g in _getters(task):
        if g.type in ACCOUNT_GETTERS:
            c.needs_account.append(f"getter {g.type}")
            continue
        if g.type not in known_getters:
            c.unsupported.append(f"getter:{g.type}")
        for url in _remote_refs(g.model_extra or {}):
            if g.type in ("cloud_file", "cache_file") and cached_file(url) is None:
                c.needs_network.append(f"getter {g.type} {url[:80]}")
    for name in task.evaluator.funcs:
        if name not in known_metrics:
            c.unsupported.append(f"metric:{name}")
    c.unsupported = sorted(set(c.unsupported))
    return c


def assess_all(tasks: Iterable[Task]) -> list[TaskCompat]:
    """Assess against what is registered right now (built-in and loaded suite checkers)."""
    from harness.checkers import GETTERS, METRICS
    from harness.sandbox.images import image_programs
    from harness.setup import STEPS
    from harness.tasks.images import image_for_task

    return [assess(t, STEPS, GETTERS, METRICS, image_programs(image_for_task(t))) for t in tasks]


def runnable_by_domain(report: Iterable[TaskCompat]) -> dict[str, tuple[int, int, int]]:
    """Per domain (sorted): tasks, runnable offline now, runnable with the network allowed."""
    counts: dict[str, list[int]] = {}
    for c in report:
        row = counts.setdefault(c.domain, [0, 0, 0])
        row[0] += 1
        row[1] += c.offline
        row[2] += c.runnable_with_network
    return {domain: (row[0], row[1], row[2]) for domain, row in sorted(counts.items())}


def missing_names(report: list[TaskCompat]) -> list[tuple[str, int]]:
    """Unsupported step/getter/metric names with the number of tasks using each, most used first."""
    counts = Counter(name for c in report for name in c.unsupported)
    return counts.most_common()
