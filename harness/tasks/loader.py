"""Load tasks from a file, a folder tree, or an OSWorld index file.

Every error is a ``TaskFileError`` naming the file and the JSON path of the
bad field, because a suite author has to find it in a folder of hundreds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.errors import TaskFileError
from harness.tasks.schema import Task

NOT_TASKS = {"template.json"}
ASSETS = "assets"  # a folder of files tasks use (may hold .json data): never read as tasks


def load_task_file(path: Path, domain: str | None = None) -> Task:
    """One task JSON file; ``domain`` defaults to the task's field, then to the folder's name."""
    data = _read_json(path)
    if not isinstance(data, dict):
        raise TaskFileError(f"{path}: a task file must hold one JSON object, found {type(data).__name__}")
    return task_from_dict(data, path, domain)


def task_from_dict(data: dict[str, Any], path: Path, domain: str | None = None) -> Task:
    try:
        task = Task.model_validate(data)
    except ValidationError as exc:
        raise TaskFileError(f"{path}: {describe(exc)}") from None
    task.path = path
    if task.domain is None:
        task.domain = domain or path.parent.name
    return task


def describe(exc: ValidationError) -> str:
    """'$.evaluator.func: Field required' — the JSON path and the message of the first error."""
    err = exc.errors(include_url=False)[0]
    loc = _json_path(err["loc"])
    more = len(exc.errors()) - 1
    extra = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
    given = err.get("input")
    if err["type"] == "literal_error":
        return f"{loc}: unknown value {json.dumps(given)[:80]} ({err['msg'].replace('Input should be', 'expected')}){extra}"
    shown = f"; got {json.dumps(given)[:80]}" if err["type"] != "missing" and not isinstance(given, dict) else ""
    return f"{loc}: {err['msg']}{shown}{extra}"


def _json_path(loc: Iterable[Any]) -> str:
    out = "$"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "tagged-union", "literal[", "union[")) or str(part) in (
                "list[...]", "str", "dict[str,any]", "computer", "bash"):
            continue
        else:
            out += f".{part}"
    return out


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaskFileError(f"{path}: no such task file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskFileError(f"{path}: cannot read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaskFileError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def is_index_file(data: Any) -> bool:
    """An OSWorld index file maps domains to lists of task ids: ``{"os": ["id1", ...]}``."""
    return (isinstance(data, dict) and bool(data) and "instruction" not in data
            and all(isinstance(v, list) and all(isinstance(i, str) for i in v) for v in data.values()))


def load_index(path: Path, examples: Path | None = None) -> list[Task]:
    """Tasks listed by an index file, found at ``<examples>/<domain>/<id>.json`` (default: ``examples/`` beside it)."""
    data = _read_json(path)
    root = examples or path.parent / "examples"
    return [load_task_file(root / domain / f"{task_id}.json", domain) for domain, ids in data.items() for task_id in ids]


def load_tasks(path: Path | str) -> list[Task]:
    """A task file, an index file, or a folder tree of ``<domain>/<id>.json`` files, sorted by domain and id."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if p.name not in NOT_TASKS and ASSETS not in p.parts)
        tasks = [load_task_file(p) for p in files]
    elif path.is_file():
        data = _read_json(path)
        tasks = load_index(path) if is_index_file(data) else [load_task_file(path)]
    else:
        raise TaskFileError(f"{path}: no such task file or folder")
    _check_unique(tasks)
    return sorted(tasks, key=lambda t: (t.domain or "", t.id))


def _check_unique(tasks: list[Task]) -> None:
    """Task keys (domain/id) must be unique: results are keyed by them (OSWorld reuses ids across domains)."""
    seen: dict[str, Path | None] = {}
    for task in tasks:
        if task.key in seen:
            raise TaskFileError(f"{task.path}: duplicate task {task.key!r} (also in {seen[task.key]})")
        seen[task.key] = task.path
