"""Reference solutions kept apart from the tasks they solve: deskbench's gold for OSWorld's own tasks.

OSWorld's task files carry no solution, and they are not ours to edit, so a gold
file names the task it solves (``"osworld": "<domain>/<id>"``) and the sha256 of
the task file it was written against; the overlay puts its ``solution`` on the
task loaded from OSWorld's index.  A task file that changed since (a checker fix
upstream) is refused, because a proof written for one checker says nothing about
another.  A gold file may instead record a ``finding``: why no solution reaches 1
here (the task, its checker or deskbench's environment), for the audit table.

A suite file (``suite.json``) ties an index of OSWorld tasks to a folder of gold
files, so ``deskbench validate tasks/osworld-gold`` needs no other argument.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.actions.vocabulary import Action
from harness.errors import TaskFileError
from harness.tasks.schema import Task

SUITE_FILE = "suite.json"
FindingCause = Literal["task", "checker", "environment"]


class Finding(BaseModel):
    """Why the task cannot be proven here: no solution reaches 1, or doing nothing already does."""

    model_config = ConfigDict(extra="forbid")

    cause: FindingCause
    why: str = Field(min_length=1)
    noop_scores_1: bool = False  # the finding is that doing nothing passes (the solution may still be given)


class GoldFile(BaseModel):
    """One gold file: which OSWorld task, against which version of it, and its solution or finding."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    osworld: str = Field(pattern=r"^[^/]+/[^/]+$")  # "<domain>/<id>", the task's key
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")  # of the OSWorld task file the solution was written for
    solution: list[Action] | None = None
    finding: Finding | None = None
    note: str | None = None  # how the solution works, when it is not obvious from the actions
    path: Path | None = Field(default=None, exclude=True)


class GoldSuite(BaseModel):
    """``suite.json``: an OSWorld index (relative to the suite file) and the folder of gold files."""

    model_config = ConfigDict(extra="forbid")

    name: str
    index: str
    solutions: str
    examples: str | None = None  # default: ``examples/`` beside the index, as OSWorld lays it out


def is_suite_file(data: Any) -> bool:
    """A gold suite file names an index and a solutions folder (a task file has an instruction)."""
    return isinstance(data, dict) and "index" in data and "solutions" in data and "instruction" not in data


def read_gold(folder: Path) -> dict[str, GoldFile]:
    """Every gold file under ``folder``, by the key of the task it solves; errors name the file."""
    from harness.tasks.loader import _read_json, describe

    if not folder.is_dir():
        raise TaskFileError(f"{folder}: no such folder of gold solutions")
    found: dict[str, GoldFile] = {}
    for file in sorted(folder.rglob("*.json")):
        data = _read_json(file)
        try:
            gold = GoldFile.model_validate(data)
        except ValidationError as exc:
            raise TaskFileError(f"{file}: {describe(exc, data)}") from None
        if gold.osworld.rsplit("/", 1)[1] != gold.id:
            raise TaskFileError(f"{file}: $.osworld {gold.osworld!r} does not end in the id {gold.id!r}")
        if gold.solution is None and gold.finding is None:
            raise TaskFileError(f"{file}: needs a 'solution' or a 'finding' (why no solution reaches 1)")
        if gold.osworld in found:
            raise TaskFileError(f"{file}: a second gold file for {gold.osworld} (also {found[gold.osworld].path})")
        gold.path = file
        found[gold.osworld] = gold
    if not found:
        raise TaskFileError(f"{folder}: no gold files (*.json) in this folder")
    return found


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def overlay(tasks: Sequence[Task], gold: dict[str, GoldFile]) -> list[Task]:
    """The tasks with their gold solutions put on (copies; the loaded tasks stay as they were).

    Every gold file must match a loaded task, and that task's file must be the
    version the solution was written for: a stale or misspelt gold file is an
    error here, before any container starts, not a silent 0 later.
    """
    by_key = {t.key: t for t in tasks}
    for key, g in gold.items():
        task = by_key.get(key)
        if task is None:
            raise TaskFileError(f"{g.path}: names {key}, which is not among the {len(tasks)} tasks loaded")
        if task.path is not None and (seen := file_sha256(task.path)) != g.sha256:
            raise TaskFileError(f"{g.path}: written for another version of {task.path} "
                                f"(sha256 {g.sha256[:12]}..., the file now has {seen[:12]}...)")
    out = []
    for task in tasks:
        found = gold.get(task.key)
        copy = task.model_copy(deep=True)
        copy.path = task.path
        if found is not None and found.solution is not None:
            copy.solution = list(found.solution)
        out.append(copy)
    return out


def load_suite(path: Path) -> list[Task]:
    """The tasks of a gold suite file, with their solutions on."""
    from harness.tasks.loader import _read_json, describe, load_index

    data = _read_json(path)
    try:
        suite = GoldSuite.model_validate(data)
    except ValidationError as exc:
        raise TaskFileError(f"{path}: {describe(exc, data)}") from None
    root = path.parent
    index = root / suite.index
    tasks = load_index(index, root / suite.examples if suite.examples else None)
    return overlay(tasks, read_gold(root / suite.solutions))


def findings(folder: Path) -> dict[str, Finding]:
    """The recorded findings of a gold folder, by task key (for reports and the audit table)."""
    return {key: g.finding for key, g in read_gold(folder).items() if g.finding is not None}


def suite_gold_folder(path: Path) -> Path | None:
    """The solutions folder of a gold suite given as its folder or its suite file; None for anything else."""
    from harness.tasks.loader import _read_json

    file = path / SUITE_FILE if path.is_dir() else path
    if not file.is_file() or file.suffix != ".json":
        return None
    data = _read_json(file)
    return file.parent / str(data["solutions"]) if is_suite_file(data) else None


def gold_tasks(tasks: Sequence[Task], suite: Path, solutions: Path | None) -> tuple[list[Task], list[str]]:
    """The tasks to validate against gold, and one line for each group left out (never a silent shrink).

    With ``solutions`` the gold files are put on ``tasks`` and only the tasks they name are kept; a gold
    suite already carries its solutions.  Either way a task whose gold file records a finding instead of
    a solution, or beside one, is left out with its finding: validation proves the rest, and the
    benchmark (``benchmarks/osworld_gold.py``) shows what the solutions of the findings score.
    """
    folder = solutions or suite_gold_folder(suite)
    if folder is None:
        return list(tasks), []
    gold = read_gold(folder)
    kept = overlay(tasks, gold) if solutions is not None else list(tasks)
    skipped = []
    without = [t for t in kept if t.key not in gold]
    if without:
        skipped.append(f"{len(without)} task(s) with no gold file in {folder}, e.g. {without[0].key}")
    for task in kept:
        g = gold.get(task.key)
        if g is not None and g.finding is not None:
            skipped.append(f"{task.key}: finding ({g.finding.cause}): {g.finding.why}")
    kept = [t for t in kept if t.key in gold and gold[t.key].solution is not None and gold[t.key].finding is None]
    return kept, skipped
