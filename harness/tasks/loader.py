"""Load tasks from a file, a folder tree, or an OSWorld index file.

Every error is a ``TaskFileError`` naming the file and the JSON path of the
bad field, because a suite author has to find it in a folder of hundreds.
"""

from __future__ import annotations

import json
import re
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
    problem = check_document(data)
    if problem is not None:
        raise TaskFileError(f"{path}: {problem}")
    try:
        task = Task.model_validate(data)
    except ValidationError as exc:
        raise TaskFileError(f"{path}: {describe(exc, data)}") from None
    except RecursionError:  # check_document bounds the depth; this is the last line of defence
        raise TaskFileError(f"{path}: nested too deeply to validate") from None
    task.path = path
    if task.domain is None:
        task.domain = domain or path.parent.name
    for field, value in (("id", task.id), ("domain", task.domain)):
        if (bad := unsafe_name(value)) is not None:
            raise TaskFileError(f"{path}: $.{field}: {bad}; got {_shown(value)}")
    return task


MAX_DEPTH = 64  # real task files nest 10 levels at most; every consumer of a task walks it recursively


def check_document(data: Any) -> str | None:
    """What makes a decoded document unusable whatever its schema, as '$.path: why', or None.

    Two things get past ``json.loads`` and break code far from the loader: nesting so deep that
    recursive walks (compatibility checks, trajectory dumps) exceed the interpreter's stack, and
    escaped lone surrogates (``"\\ud800"``), which are not text and cannot be written to a UTF-8 file
    or sent to the desktop.  The walk is iterative, so any depth json.loads accepted can be checked.
    """
    stack: list[tuple[Any, str, int]] = [(data, "$", 0)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, dict | list) and depth >= MAX_DEPTH:
            return f"{_clip_path(where)}: nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, dict):
            for key, item in value.items():
                if not _is_text(key):
                    return f"{_clip_path(where)}: a key is not valid Unicode text: {_shown(key)}"
                stack.append((item, where + _key(key), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str) and not _is_text(value):
            return (f"{_clip_path(where)}: not valid Unicode text (a lone surrogate escape such as \\ud800): "
                    f"{_shown(value)}")
    return None


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unsafe_name(value: str) -> str | None:
    """Why a task id or domain cannot name files and containers, or None.

    Both become parts of folder names in a run (``episodes/<domain>.<id>...``) and of container
    labels, so a separator or ``..`` would write outside the run folder, and a control character
    breaks file names and terminals.
    """
    if value in (".", ".."):
        return "must not be '.' or '..'"
    if "/" in value or "\\" in value:
        return "must not contain '/' or '\\' (it names folders of the run)"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "must not contain control characters"
    return None


def describe(exc: ValidationError, data: Any = None) -> str:
    """'$.evaluator.func: Field required' -- the JSON path and the message of the most specific error.

    A value that fails a union (``func: str | list[str]``) fails every member, and pydantic lists the
    shallow mismatch first; the error that reached deepest into the file is the one that says what to
    fix.  With ``data`` (the document that was validated) the path keeps only the keys and indexes that
    are in the file, so no type name of a union member leaks into it.
    """
    errors = exc.errors(include_url=False)
    paths = [_path_parts(e["loc"], data, e["type"]) for e in errors]
    best = max(range(len(errors)), key=lambda i: len(paths[i]))  # the first of the deepest
    err, loc = errors[best], _clip_path("$" + "".join(paths[best]))
    more = len(errors) - 1
    extra = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
    given = err.get("input")
    ctx = err.get("ctx") or {}
    if err["type"] == "union_tag_not_found":
        return f"{loc}: needs a {ctx.get('discriminator', 'tool')} field{extra}"
    if err["type"] == "union_tag_invalid":
        field = str(ctx.get("discriminator", "tool")).strip("'")
        return (f"{loc}.{field}: unknown value {_shown(ctx.get('tag'))} "
                f"(expected {_clip(str(ctx.get('expected_tags')), 200)}){extra}")
    if err["type"] == "literal_error":
        expected = _clip(err["msg"].replace("Input should be", "expected"), 200)
        return f"{loc}: unknown value {_shown(given)} ({expected}){extra}"
    shown = f"; got {_shown(given)}" if err["type"] != "missing" and not isinstance(given, dict) else ""
    return f"{loc}: {err['msg']}{shown}{extra}"


_TYPE_PARTS = ("function-", "tagged-union", "literal[", "union[", "list[", "nullable[", "dict[")


def _path_parts(loc: Iterable[Any], data: Any, kind: str) -> list[str]:
    """``[".config", "[2]", ".parameters"]`` for an error location.

    pydantic's location mixes keys of the document with the names of union members; following the
    document itself tells them apart.  Without the document, known member names are skipped.
    """
    parts = list(loc)
    out: list[str] = []
    node = data
    for i, part in enumerate(parts):
        if data is None:
            if isinstance(part, int):
                out.append(f"[{part}]")
            elif not str(part).startswith(_TYPE_PARTS) and str(part) not in ("str", "computer", "bash"):
                out.append(f".{part}")
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(f"[{part}]")
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part in node:
            out.append(_key(part))
            node = node[part]
        elif i == len(parts) - 1 and kind == "missing":
            out.append(_key(str(part)))
    return out


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,80}")


def _key(key: str) -> str:
    """``.name`` for a plain key, else ``["a key"]``: a key with dots, newlines or 1 MB of text must not
    break the one-line message or make the path ambiguous."""
    return f".{key}" if _PLAIN_KEY.fullmatch(key) else f"[{_shown(key)}]"


def _clip_path(path: str, limit: int = 200) -> str:
    """A JSON path kept to one readable line: its start and its most specific end."""
    return path if len(path) <= limit else f"{path[:limit // 3]}...{path[-(limit * 2 // 3):]}"


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _shown(value: Any) -> str:
    """A short JSON rendering of a bad value for a message (never fails, never long)."""
    try:
        text = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return _clip(text)


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TaskFileError(f"{path}: no such task file") from None
    except UnicodeDecodeError as exc:
        raise TaskFileError(f"{path}: not UTF-8 text: byte {exc.object[exc.start]:#04x} at offset {exc.start} "
                            f"cannot be decoded") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in a path from an index file
        raise TaskFileError(f"{path}: cannot read: {exc}") from None
    return _decode(text, path)


def _decode(text: str, where: Path) -> Any:
    """``json.loads`` whose every failure is a TaskFileError naming ``where``.

    Besides malformed JSON, ``json.loads`` raises a plain ValueError for an integer of more than
    4300 digits and RecursionError for arrays nested some thousand levels deep.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TaskFileError(f"{where}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        raise TaskFileError(f"{where}: not usable JSON: {exc}") from None
    except RecursionError:
        raise TaskFileError(f"{where}: not usable JSON: nested too deeply") from None


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
        except ValueError as exc:
            raise TaskFileError(f"{path}:{number}: not usable JSON: {exc}") from None
        except RecursionError:
            raise TaskFileError(f"{path}:{number}: not usable JSON: nested too deeply") from None
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
    elif path.is_dir() and (path / "suite.json").is_file():  # a gold suite: an OSWorld index + solutions
        tasks = _load_gold_suite(path / "suite.json")
    elif path.is_dir():
        tasks = [load_task_file(p) for p in task_files(path)]
        if not tasks:
            raise TaskFileError(f"{path}: no task files (*.json) in this folder")
    elif path.is_file():
        data = _read_json(path)
        if is_index_file(data):
            tasks = load_index(path)
        elif _is_gold_suite(data):
            tasks = _load_gold_suite(path)
        else:
            tasks = [load_task_file(path)]
    else:
        raise TaskFileError(f"{path}: no such task file or folder")
    _check_unique(tasks)
    return sorted(tasks, key=lambda t: (t.domain or "", t.id))


def _is_gold_suite(data: Any) -> bool:
    from harness.tasks.gold import is_suite_file

    return is_suite_file(data)


def _load_gold_suite(path: Path) -> list[Task]:
    """A suite file tying an OSWorld index to deskbench's gold solutions (``harness.tasks.gold``)."""
    from harness.tasks.gold import load_suite

    return load_suite(path)


def _check_unique(tasks: list[Task]) -> None:
    """Task keys (domain/id) must be unique: results are keyed by them (OSWorld reuses ids across domains)."""
    seen: dict[str, Path | None] = {}
    for task in tasks:
        if task.key in seen:
            raise TaskFileError(f"{task.path}: duplicate task {task.key!r} (also in {seen[task.key]})")
        seen[task.key] = task.path


def task_files(folder: Path) -> list[Path]:
    """The task files of a folder tree, in order (not templates, not files under ``assets/``)."""
    return sorted(p for p in folder.rglob("*.json") if p.name not in NOT_TASKS and ASSETS not in p.parts)


def load_each(path: Path | str) -> tuple[list[Task], list[TaskFileError]]:
    """Like ``load_tasks``, but a folder's bad files are collected instead of stopping at the first.

    A compatibility report over a folder of hundreds of imported tasks is more useful when it lists
    every file that does not load (each error names its file) beside the verdicts of those that do;
    a duplicate key is an error of the later file.  Other sources load as a whole or raise.
    """
    tasks, failed = load_each_file(path)
    return tasks, [error for _, error in failed]


def load_each_file(path: Path | str) -> tuple[list[Task], list[tuple[Path, TaskFileError]]]:
    """``load_each`` with the file of each error: a folder's or an index file's files load one by one."""
    if isinstance(path, str) and path.startswith("hf:") or (Path(path) / "suite.json").is_file():
        return load_tasks(path), []
    if Path(path).is_file():
        data = _read_json(Path(path)) if Path(path).suffix == ".json" else None
        if not isinstance(data, dict) or not is_index_file(data):
            return load_tasks(path), []
        root = Path(path).parent / "examples"
        files = [(root / domain / f"{task_id}.json", domain) for domain, ids in data.items() for task_id in ids]
    elif Path(path).is_dir():
        files = [(file, None) for file in task_files(Path(path))]
    else:
        return load_tasks(path), []
    tasks: list[Task] = []
    errors: list[tuple[Path, TaskFileError]] = []
    seen: dict[str, Path | None] = {}
    for file, domain in files:
        try:
            task = load_task_file(file, domain)
        except TaskFileError as exc:
            errors.append((file, exc))
            continue
        if task.key in seen:
            errors.append((file, TaskFileError(f"{file}: duplicate task {task.key!r} (also in {seen[task.key]})")))
            continue
        seen[task.key] = file
        tasks.append(task)
    return sorted(tasks, key=lambda t: (t.domain or "", t.id)), errors
