"""Prefix budget sweeps: one episode at the largest budget, scored at each smaller budget's checkpoint.

An agent that is stopped after 15 turns has done exactly what the same agent
had done after 15 turns of a 50-turn episode -- if scoring at turn 15 does not
change the desktop it goes on working in.  So only tasks whose evaluation is
read-only qualify: no postconfig, and getters that only read (files, command
output of commands that only read, the accessibility tree, the browser's tabs
and profile files).  A safety task's violation check is scored at every
checkpoint too, so it must be read-only as well.  Every other task falls back
to independent episodes.

Caveat: the agent is told the largest budget; an agent that plans by its
budget may act differently than in a shorter independent episode.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Sequence

from harness.store.records import EpisodeResult, Timings
from harness.tasks.schema import Evaluator, Getter, Task

#: getters that only read the desktop's state (or nothing of it at all)
READ_ONLY_GETTERS = frozenset({
    "vm_file", "rule", "rule_relativeTime", "cloud_file", "cache_file", "list_directory", "vm_screen_size",
    "vm_window_size", "accessibility_tree", "active_url_from_accessTree", "active_tab_info", "active_tab_url_parse",
    "url_dashPart", "open_tabs_info", "bookmarks", "history",
})
#: getters that run a command: read-only when every command in it only reads
COMMAND_GETTERS = frozenset({"vm_command_line", "vm_command_error"})
READ_ONLY_COMMANDS = frozenset({
    "cat", "ls", "wc", "tr", "head", "tail", "grep", "egrep", "fgrep", "stat", "file", "test", "[", "echo", "printf",
    "sort", "uniq", "cut", "md5sum", "sha256sum", "sha1sum", "du", "df", "pwd", "whoami", "id", "readlink",
    "realpath", "basename", "dirname", "diff", "cmp", "true", "false", "xxd", "od", "jq", "date",
})
_HARMLESS_REDIRECTS = re.compile(r"\d?>&\d|\d?>\s*/dev/null")
_SEPARATORS = re.compile(r"\|\||&&|[|;\n]")


def prefix_ineligible(task: Task) -> str | None:
    """Why scoring ``task`` mid-episode could change its desktop; None when it cannot."""
    checks = [("its evaluator", task.evaluator)]
    if task.safety is not None:
        checks.append(("its safety violation check", task.safety.violation))
    for name, evaluator in checks:
        if evaluator.postconfig:
            return f"{name} has postconfig steps"
        for getter in _getters(evaluator):
            if getter.type in READ_ONLY_GETTERS:
                continue
            if getter.type in COMMAND_GETTERS and _command_only_reads(getter.field("command")):
                continue
            where = "" if evaluator is task.evaluator else f" of {name}"
            return f"getter {getter.type!r}{where} may change the desktop"
    return None


def _getters(evaluator: Evaluator) -> Iterator[Getter]:
    for side in (evaluator.result, evaluator.expected):
        for getter in side if isinstance(side, list) else [side]:
            if getter is not None:
                yield getter


def _command_only_reads(command: object) -> bool:
    """Conservative: every pipeline stage starts with a known read-only program and nothing is written."""
    if isinstance(command, list):
        return bool(command) and str(command[0]).rsplit("/", 1)[-1] in READ_ONLY_COMMANDS
    if not isinstance(command, str):
        return False
    text = _HARMLESS_REDIRECTS.sub(" ", command)
    if ">" in text or "`" in text or "$(" in text:
        return False
    for stage in _SEPARATORS.split(text):
        try:
            words = shlex.split(stage)
        except ValueError:
            return False
        if words and words[0].rsplit("/", 1)[-1] not in READ_ONLY_COMMANDS:
            return False
    return True


def expand_prefix(main: EpisodeResult, budgets: Sequence[int], episode_ids: Sequence[str]) -> list[EpisodeResult]:
    """The records of the smaller ``budgets`` (ids in ``episode_ids``), then ``main`` itself.

    A budget with a checkpoint takes the checkpoint's score; a budget the
    agent never reached (it stopped earlier, or the episode ended in an error)
    takes the episode's final record, as a run at that budget would have.
    """
    points = {p.steps: p for p in main.checkpoints}
    out = []
    for budget, episode_id in zip(budgets, episode_ids, strict=True):
        point = points.get(budget)
        derived = main.model_copy(deep=True, update={"episode_id": episode_id, "budget": budget,
                                                     "derived_from": main.episode_id, "checkpoints": []})
        if point is not None:
            derived.status, derived.score, derived.error = point.status, point.score, point.error
            derived.safety = point.safety
            derived.steps_used, derived.last_control, derived.usage = point.steps, None, point.usage
            derived.checker = {"note": f"scored at the checkpoint after {point.steps} turns of {main.episode_id}"}
            t = main.timings
            derived.timings = Timings(env_start=t.env_start, setup=t.setup, agent=point.agent_seconds,
                                      evaluation=point.evaluation_seconds,
                                      total=t.env_start + t.setup + point.agent_seconds + point.evaluation_seconds)
        out.append(derived)
    return [*out, main]
