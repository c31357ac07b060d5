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


def load_jsonl(path: Path) -> list[Task]:
    """One task per line; errors name the file and the line."""
    tasks = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskFileError(f"{path}: cannot read: {exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaskFileError(f"{path}:{number}: not valid JSON: {exc.msg} at column {exc.colno}") from None
        if not isinstance(data, dict):
            raise TaskFileError(f"{path}:{number}: a task must be a JSON object, found {type(data).__name__}")
        try:
            tasks.append(task_from_dict(data, path, data.get("domain") or path.stem))
        except TaskFileError as exc:
            raise TaskFileError(str(exc).replace(f"{path}:", f"{path}:{number}:", 1)) from None
    return tasks


JSON_COLUMNS = ("config", "evaluator", "solution", "related_apps", "source")


def load_hf_dataset(spec: str) -> list[Task]:
    """``hf:NAME_OR_PATH[:SPLIT]``: a dataset saved with ``save_to_disk``, a local data file, or a hub id.

    Nested fields may be stored as JSON strings (common in published datasets); they are decoded.
    """
    import datasets

    ref, _, split = spec.removeprefix("hf:").partition(":")
    where = Path(ref)
    try:
        if where.is_dir() and any((where / n).exists() for n in ("dataset_info.json", "dataset_dict.json")):
            loaded = datasets.load_from_disk(str(where))
        elif where.is_file():
            kind = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}.get(where.suffix, "json")
            loaded = datasets.load_dataset(kind, data_files=str(where))
        else:
            loaded = datasets.load_dataset(ref)
    except Exception as exc:  # datasets raises many types; all mean "cannot load this"
        raise TaskFileError(f"{spec}: cannot load the dataset: {type(exc).__name__}: {exc}") from None
    if isinstance(loaded, datasets.DatasetDict):
        split = split or ("test" if "test" in loaded else next(iter(loaded)))
        if split not in loaded:
            raise TaskFileError(f"{spec}: no split {split!r} (splits: {', '.join(loaded)})")
        loaded = loaded[split]
    origin = Path(ref)
    tasks = []
    for number, row in enumerate(loaded):
        data = {k: _maybe_json(k, v) for k, v in dict(row).items() if v is not None}
        try:
            tasks.append(task_from_dict(data, origin, data.get("domain") or "default"))
        except TaskFileError as exc:
            raise TaskFileError(f"{spec} row {number}: {str(exc).split(': ', 1)[-1]}") from None
    return tasks


def _maybe_json(key: str, value: Any) -> Any:
    if key in JSON_COLUMNS and isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def load_tasks(path: Path | str) -> list[Task]:
    """Tasks from a file, an index file, a JSONL file, ``hf:DATASET``, or a folder tree of
    ``<domain>/<id>.json`` files; sorted by domain and id."""
    if isinstance(path, str) and path.startswith("hf:"):
        tasks = load_hf_dataset(path)
        _check_unique(tasks)
        return sorted(tasks, key=lambda t: (t.domain or "", t.id))
    path = Path(path)
    if path.suffix == ".jsonl" and path.is_file():
        tasks = load_jsonl(path)
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if p.name not in NOT_TASKS and ASSETS not in p.parts)
        tasks = [load_task_file(p) for p in files]
        if not tasks:
            raise TaskFileError(f"{path}: no task files (*.json) in this folder")
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
