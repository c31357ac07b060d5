"""Static validation of a loaded task: everything that would fail later, found before a container starts.

The schema (``harness.tasks.schema``) says a task has the right shape; this
says it can run: every setup step, getter and metric name is registered
(built-in, or a suite's own checker file already loaded), the evaluator's
lists line up one entry per metric, every step's parameters, getter's fields
and metric's options fit the model its implementation registered
(``harness.tasks.params``), and paths and URLs are well-formed (a task-relative
file a step copies in exists).  Each problem is ``$.json.path: why``, so a
suite author finds the field in a folder of hundreds of files.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.tasks.params import ResourceFile, options_model
from harness.tasks.schema import Evaluator, Getter, SetupStep, Task

ACCOUNT_STEPS = frozenset({"googledrive", "login"})  # known to need a real account: the runner says needs_account
ACCOUNT_GETTERS = frozenset({"googledrive_file"})
INFEASIBLE = "infeasible"


@dataclass(frozen=True)
class Registry:
    """The names and parameter models tasks are checked against (``current()``: what is registered now)."""

    steps: Mapping[str, type[BaseModel]]
    getters: Mapping[str, type[BaseModel] | None]
    metrics: Mapping[str, Callable[..., Any]]


def current() -> Registry:
    """Built-in steps, getters and metrics plus any a suite's checker file registered (``load_plugin``)."""
    import harness.checkers  # noqa: F401  (registers the built-in getters and metrics)
    from harness.checkers.registry import GETTER_PARAMS, GETTERS, METRICS
    from harness.setup import STEPS
    from harness.setup.steps import STEP_PARAMS

    getters = {name: GETTER_PARAMS.get(name) for name in GETTERS}
    return Registry({name: STEP_PARAMS[name] for name in STEPS}, getters, dict(METRICS))


def check_task(task: Task, registry: Registry | None = None) -> list[str]:
    """Every problem of ``task`` as ``$.path: why``; empty when it can run."""
    reg = registry or current()
    problems: list[str] = []
    for where, step in _steps(task):
        problems += _check_step(step, where, reg, task.folder)
    problems += _check_evaluator(task.evaluator, "$.evaluator", reg, task.folder)
    if task.safety is not None:
        problems += _check_evaluator(task.safety.violation, "$.safety.violation", reg, task.folder)
    return problems


def _steps(task: Task) -> Iterator[tuple[str, SetupStep]]:
    for i, s in enumerate(task.config):
        yield f"$.config[{i}]", s
    for i, s in enumerate(task.evaluator.postconfig):
        yield f"$.evaluator.postconfig[{i}]", s
    if task.safety is not None:
        for i, s in enumerate(task.safety.violation.postconfig):
            yield f"$.safety.violation.postconfig[{i}]", s


def _unknown(kind: str, name: str, known: Iterator[str] | list[str]) -> str:
    near = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return f"unknown {kind} {name!r}{hint}"


def _check_step(step: SetupStep, where: str, reg: Registry, folder: Path | None) -> list[str]:
    if step.type in ACCOUNT_STEPS:
        return []
    model = reg.steps.get(step.type)
    if model is None:
        return [f"{where}.type: {_unknown('setup step', step.type, sorted(reg.steps))}"]
    problems = _fit(model, step.parameters, f"{where}.parameters", f"setup step {step.type}")
    if not problems and step.type in ("download", "upload_file"):
        for i, entry in enumerate(step.parameters.get("files", [])):
            problems += _local_file(ResourceFile.model_validate(entry), f"{where}.parameters.files[{i}]", folder)
    return problems


def _local_file(entry: ResourceFile, where: str, folder: Path | None) -> list[str]:
    """A file named by a path (not a URL) is copied from the task's folder: it has to be there."""
    ref = entry.ref()
    field = "url" if entry.url else "local_path"
    if ref is None:
        return [f"{where}: needs 'url' or 'local_path' (the file to copy in)"]
    local = Path(ref.removeprefix("file://")) if ref.startswith("file://") else None
    if local is None and "://" in ref:
        return []  # a remote file: fetched or cached, checked by compatibility (needs_network), not here
    if local is None:
        if folder is None and not Path(ref).is_absolute():
            return []
        local = Path(ref) if Path(ref).is_absolute() or folder is None else folder / ref
    if not local.is_file():
        return [f"{where}.{field}: no such file {str(local)!r} (named {ref!r}, relative to the task file)"]
    return []


def _getter_sides(ev: Evaluator) -> Iterator[tuple[str, Any]]:
    yield "result", ev.result
    yield "expected", ev.expected


def _check_evaluator(ev: Evaluator, where: str, reg: Registry, folder: Path | None) -> list[str]:
    funcs = ev.funcs
    if not funcs:
        return [f"{where}.func: empty: name at least one metric"]
    listed = isinstance(ev.func, list)
    problems = [f"{where}.func{f'[{i}]' if listed else ''}: {_unknown('metric', name, sorted(reg.metrics))}"
                for i, name in enumerate(funcs) if name != INFEASIBLE and name not in reg.metrics]
    if ev.is_infeasible:
        return problems
    problems += _check_alignment(ev, where, len(funcs))
    if problems:
        return problems
    for side, value in _getter_sides(ev):
        for i, spec in enumerate(value if isinstance(value, list) else [value]):
            if spec is not None:
                at = f"{where}.{side}[{i}]" if isinstance(value, list) else f"{where}.{side}"
                problems += _check_getter(spec, at, reg)
    for i, name in enumerate(funcs):
        options = ev.options[i] if isinstance(ev.options, list) else ev.options
        at = f"{where}.options[{i}]" if isinstance(ev.options, list) else f"{where}.options"
        if name in reg.metrics:
            problems += _fit(options_model(reg.metrics[name]), options or {}, at, f"metric {name}")
    return problems


def _check_alignment(ev: Evaluator, where: str, n: int) -> list[str]:
    """One getter (or null) per metric on each side and one options object per metric, as OSWorld pairs them."""
    problems = []
    if ev.result is None:
        problems.append(f"{where}.result: field required (the getter whose value the metric scores)")
    for field, value in (("result", ev.result), ("expected", ev.expected), ("options", ev.options)):
        if isinstance(value, list) and len(value) != n:
            problems.append(f"{where}.{field}: {len(value)} entries for {n} metric{'s' if n > 1 else ''} "
                            f"(func has {n}): one per metric, in the same order")
        elif value is not None and not isinstance(value, list) and n > 1:
            problems.append(f"{where}.{field}: a single entry for {n} metrics: give a list, one per metric")
    return problems


def _check_getter(spec: Getter, where: str, reg: Registry) -> list[str]:
    if spec.type in ACCOUNT_GETTERS:
        return []
    if spec.type not in reg.getters:
        return [f"{where}.type: {_unknown('getter', spec.type, sorted(reg.getters))}"]
    model = reg.getters[spec.type]
    if model is None:
        return []  # a suite's own getter that declares no fields
    return _fit(model, dict(spec.model_extra or {}), where, f"getter {spec.type}")


def _fit(model: type[BaseModel], value: Any, where: str, what: str) -> list[str]:
    """Problems of ``value`` against ``model``, one per field, each naming the field's JSON path."""
    if not isinstance(value, dict):
        return [f"{where}: must be an object, got {type(value).__name__}"]
    try:
        model.model_validate(value)
    except ValidationError as exc:
        errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
        return [_describe(err, value, where, what, model) for err in errors]
    return []


def _describe(err: Any, value: dict[str, Any], where: str, what: str, model: type[BaseModel]) -> str:
    path = where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in _in_document(err["loc"], value))
    if err["type"] == "extra_forbidden":
        names = ", ".join(sorted(f.alias or n for n, f in model.model_fields.items())) or "none"
        return f"{path}: unknown parameter of {what} (it takes: {names})"
    if err["type"] == "missing":
        return f"{path}: field required by {what}"
    if err["type"] == "value_error":  # a field type of harness.tasks.params: its message shows the value
        return f"{path}: {str(err['msg']).removeprefix('Value error, ')}"
    return f"{path}: {err['msg']}; got {_shown(err.get('input'))}"


def _in_document(loc: tuple[Any, ...], value: Any) -> list[Any]:
    """The parts of a pydantic location that are keys or indexes of the document (not union member names)."""
    out: list[Any] = []
    node = value
    for i, part in enumerate(loc):
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part in node:
            out.append(part)
            node = node[part]
        elif i == len(loc) - 1 and isinstance(node, dict) and isinstance(part, str) and not part.startswith(
                ("function-", "union[", "list[", "nullable[", "dict[", "str", "int", "float", "bool")):
            out.append(part)  # a missing key of the object reached
    return out


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "..."


@dataclass(frozen=True)
class InvalidTask:
    """A task file that cannot run, with the one line that says why (``path: $.json.path: why``)."""

    path: Path | None
    domain: str
    task_id: str
    message: str

    @property
    def key(self) -> str:
        return f"{self.domain}/{self.task_id}"


def line(task: Task, problems: list[str]) -> str:
    """One line per task: its file, its first problem, and how many more there are."""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{task.path or task.key}: {problems[0]}{more}"


def split_valid(tasks: list[Task], registry: Registry | None = None) -> tuple[list[Task], list[InvalidTask]]:
    """The tasks that can run, and one ``InvalidTask`` per task that cannot."""
    reg = registry or current()
    valid: list[Task] = []
    invalid: list[InvalidTask] = []
    for task in tasks:
        problems = check_task(task, reg)
        if problems:
            invalid.append(InvalidTask(task.path, task.domain or "", task.id, line(task, problems)))
        else:
            valid.append(task)
    return valid, invalid


def load_checked(source: Path | str) -> tuple[list[Task], list[InvalidTask]]:
    """The tasks of ``source`` that can run, and every file that cannot (schema or static check), one each.

    A folder's or an index file's files are loaded one by one, so one bad file
    does not hide the others; other sources (JSONL, ``hf:``, gold suites) load
    as a whole and raise ``TaskFileError`` at their first schema error.
    """
    from harness.tasks.loader import load_each_file

    tasks, failed = load_each_file(source)
    valid, invalid = split_valid(tasks)
    invalid += [_unloadable(file, str(error)) for file, error in failed]
    return valid, sorted(invalid, key=lambda t: (t.domain, t.task_id))


def _unloadable(file: Path, message: str) -> InvalidTask:
    """A file whose schema check failed: its id when it has one, else the file's name."""
    import json

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        data = None
    task_id = data.get("id") if isinstance(data, dict) else None
    domain = data.get("domain") if isinstance(data, dict) else None
    safe = isinstance(task_id, str) and bool(task_id) and "/" not in task_id and task_id not in (".", "..")
    return InvalidTask(file, domain if isinstance(domain, str) and domain and "/" not in domain else file.parent.name,
                       task_id if safe and isinstance(task_id, str) else file.stem, message)


def refuse_invalid(tasks: list[Task], registry: Registry | None = None) -> None:
    """Raise ``TaskFileError`` with one line per task that cannot run (nothing runs for any of them)."""
    from harness.errors import TaskFileError

    _, invalid = split_valid(tasks, registry)
    if invalid:
        raise TaskFileError(refusal(invalid))


def refusal(invalid: list[InvalidTask]) -> str:
    """The lines that refuse a suite: one per invalid task, then what to do."""
    lines = [t.message for t in invalid]
    lines.append(f"{len(invalid)} invalid task{'s' if len(invalid) > 1 else ''}: fix them, or run the rest "
                 "with --skip-invalid (they are recorded as status 'invalid')")
    return "\n".join(lines)
