"""Property-based fuzzing of task files: whatever a file holds, loading it gives a task or one clear error.

Documents are derived from the real task files (deskbench's suites and, when it is beside the
project, OSWorld's examples) by mutations a hand-edited or machine-converted file really suffers:
keys dropped or renamed, values of the wrong type, huge strings and numbers, deep nesting, enum
values and setup/getter/metric names that do not exist, and byte-level damage (truncation,
non-UTF-8 bytes, a BOM, lone surrogate escapes).  The loader must either load the file or raise
``TaskFileError`` naming the file and, once the bytes are JSON, the JSON path; what loads must go
through everything that reads a task before an episode starts (compatibility verdict, image
choice, suite hash) without an exception.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.checkers import GETTERS, METRICS
from harness.errors import DeskbenchError, TaskFileError
from harness.setup import STEPS
from harness.store.manifest import suite_hash
from harness.tasks.compat import assess
from harness.tasks.images import image_for_task
from harness.tasks.loader import MAX_DEPTH, load_each, load_task_file, load_tasks
from harness.tasks.schema import Task
from harness.tasks.validation import split_valid

from .conftest import REPO

OSWORLD_EXAMPLES = REPO.parent / "shared" / "osworld" / "examples"
FUZZ = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _seed_files() -> list[Path]:
    """Every real task file: the seeds the mutations start from (OSWorld's only when it is there)."""
    roots = [REPO / "tasks" / "core", REPO / "tasks" / "smoke", OSWORLD_EXAMPLES]
    return sorted(p for root in roots if root.is_dir() for p in root.rglob("*.json")
                  if p.name != "template.json" and "assets" not in p.parts)


SEEDS = _seed_files()


@cache
def _seed(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# -- values a mutation puts where something else belonged

HUGE_TEXT = "x" * 1_000_000
NASTY_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from([2**63, -(2**63) - 1, 10**300, -1, 0]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["", " ", HUGE_TEXT, "\x00", "../../etc/passwd", "a/b", "\u202e\u200b", "日本語", "DONE"]),
)
NASTY = st.recursive(NASTY_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                            st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                     max_leaves=12)


def _nodes(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location in a document down to 20 levels, the root included."""
    out = [path]
    if len(path) >= 20:
        return out
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.extend(_nodes(value, (*path, key)))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out.extend(_nodes(value, (*path, i)))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


@st.composite
def mutated_document(draw: st.DrawFn) -> Any:
    """A real task document after one to four structural mutations."""
    doc: Any = json.loads(_seed(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(1, 4))):
        nodes = _nodes(doc)
        where = draw(st.sampled_from(nodes))
        kind = draw(st.sampled_from(["drop", "replace", "rename", "enum", "name", "deep", "add"]))
        target = _get(doc, where)
        if kind == "drop" and where:
            parent = _get(doc, where[:-1])
            del parent[where[-1]]
        elif kind == "replace":
            doc = _set(doc, where, draw(NASTY))
        elif kind == "rename" and isinstance(target, dict) and target:
            key = draw(st.sampled_from(sorted(target)))
            target[draw(st.one_of(st.text(max_size=12), st.just("long.key\n" * 40)))] = target.pop(key)
        elif kind == "enum" and isinstance(doc, dict):
            # a wrong value where the schema has a closed set of them
            spot = draw(st.sampled_from([("evaluator", "conj"), ("solution", 0, "tool"), ("solution", 0, "action"),
                                         ("solution", 0, "command"), ("solution", 0, "scroll_direction"),
                                         ("solution", 0)]))
            try:
                _set(doc, spot, draw(st.one_of(st.sampled_from(["xor", "mouse", "left_clik", "rm", "sideways",
                                                                 "", "WAIT!", "done"]), NASTY_SCALARS)))
            except (KeyError, IndexError, TypeError):
                pass
        elif kind == "name" and isinstance(doc, dict):
            # setup steps, getters and metrics deskbench does not implement
            name = draw(st.sampled_from(["no_such_step", "googledrive", "login", "", "x" * 10_000, "__init__"]))
            spot = draw(st.sampled_from([("config", 0, "type"), ("evaluator", "postconfig", 0, "type"),
                                         ("evaluator", "result", "type"), ("evaluator", "expected", "type"),
                                         ("evaluator", "func")]))
            try:
                _set(doc, spot, name)
            except (KeyError, IndexError, TypeError):
                pass
        elif kind == "deep":
            doc = _set(doc, where, _deep(draw(st.sampled_from([MAX_DEPTH - 5, MAX_DEPTH + 1, 300]))))
        elif kind == "add" and isinstance(target, dict):
            target[draw(st.text(max_size=12))] = draw(NASTY)
    return doc


def _damage(text: str, how: str, where: int) -> bytes:
    """Byte-level damage to a serialized document."""
    data = text.encode("utf-8", "surrogatepass")
    at = where % (len(data) + 1)
    return {
        "none": data,
        "truncate": data[:at],
        "bad-utf8": data[:at] + b"\xff\xfe\xc3" + data[at:],
        "bom": b"\xef\xbb\xbf" + data,
        "nul": data[:at] + b"\x00" + data[at:],
        "big-number": data.replace(b":", b": " + b"9" * 5000 + b", \"pad\":", 1),
        "surrogate": data.replace(b'"', b'"\\ud83d', 2),
        "deep": data.replace(b":", b": " + b"[" * 20_000 + b"]" * 20_000 + b", \"pad\":", 1),
    }[how]


def _dumps(doc: Any) -> str:
    return json.dumps(doc, allow_nan=True)


# -- what must hold


def _well_formed_json_object(data: bytes) -> bool:
    try:
        return isinstance(json.loads(data.decode("utf-8")), dict)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False


def check_error(exc: TaskFileError, path: Path, data: bytes) -> None:
    """One line that names the file and, when the bytes were a JSON object, the JSON path."""
    message = str(exc)
    assert message.startswith(f"{path}"), message[:300]
    assert "\n" not in message, message[:300]
    assert len(message) < len(str(path)) + 600, message[:300]
    if _well_formed_json_object(data):
        assert f"{path}: $" in message, message[:300]


def check_downstream(task: Task) -> None:
    """What reads a task before an episode starts must not raise on anything the loader accepted."""
    verdict = assess(task, STEPS, GETTERS, METRICS, frozenset({"xterm"}))
    assert verdict.verdict in ("offline", "needs_network", "needs_account", "unsupported")
    assert isinstance(image_for_task(task), str)
    suite_hash([task])
    json.dumps(task.model_dump(mode="json"))


def load_bytes(data: bytes, folder: Path) -> Task | None:
    path = folder / "domain" / "task.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        task = load_task_file(path)
    except TaskFileError as exc:
        check_error(exc, path, data)
        return None
    check_downstream(task)
    return task


@FUZZ
@given(doc=mutated_document())
def test_mutated_task_documents_load_or_name_the_file_and_path(doc: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        load_bytes(_dumps(doc).encode("utf-8", "surrogatepass"), Path(tmp))


@FUZZ
@given(seed=st.sampled_from(SEEDS),
       how=st.sampled_from(["truncate", "bad-utf8", "bom", "nul", "big-number", "surrogate", "deep"]),
       where=st.integers(0, 10**6))
def test_damaged_task_bytes_load_or_name_the_file(seed: Path, how: str, where: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        load_bytes(_damage(_seed(seed), how, where), Path(tmp))


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(mutated_document(), min_size=1, max_size=5))
def test_a_folder_of_mutated_files_is_reported_file_by_file(docs: list[Any]) -> None:
    """``load_each`` (what a per-task report uses) reports every file; ``tasks check`` never crashes."""
    from harness.cli.suite_cmds import tasks_check

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i, doc in enumerate(docs):
            (folder / "dom").mkdir(exist_ok=True)
            (folder / "dom" / f"t{i}.json").write_bytes(_dumps(doc).encode("utf-8", "surrogatepass"))
        tasks, errors = load_each(folder)
        assert len(tasks) + len(errors) == len(docs)
        for task in tasks:
            check_downstream(task)
        for exc in errors:
            assert str(exc).startswith(str(folder / "dom" / "t")) and "\n" not in str(exc)
        try:
            tasks_check(str(folder), details=True)
        except DeskbenchError as exc:  # the CLI prints it as one line and exits 1
            assert isinstance(exc, TaskFileError) and errors, exc
        except typer.Exit as done:  # the report was printed in full; files that did not load or are invalid: 1
            assert done.exit_code == 1 and (errors or split_valid(tasks)[1]), done
        else:
            assert not errors, "a folder with files that do not load must not pass tasks check"


def test_each_mutation_kind_is_refused_with_a_path(tmp_path: Path) -> None:
    """Fixed examples of each finding, so a regression names itself without a hypothesis run."""
    good = json.loads((REPO / "tasks" / "smoke" / "terminal" / "count-errors.json").read_text())
    cases: list[tuple[Callable[[dict[str, Any]], Any], str]] = [
        (lambda d: {**d, "evaluator": {**d["evaluator"], "func": [1, 2]}}, r"$.evaluator.func[0]: Input should be"),
        (lambda d: {**d, "evaluator": {**d["evaluator"], "result": [{"x": 1}]}}, "$.evaluator.result[0].type: Field"),
        (lambda d: {**d, "solution": [{"action": "key"}]}, "$.solution[0]: needs a 'tool' field"),
        (lambda d: {**d, "solution": [{"tool": "mouse"}]}, "$.solution[0].tool: unknown value \"mouse\""),
        (lambda d: {**d, "config": [{"type": "x", "parameters": {"a": _deep(500)}}]}, "nested deeper than"),
        (lambda d: {**d, "id": "../../../tmp/evil"}, "$.id: must not contain '/'"),
        (lambda d: {**d, "id": ".."}, "$.id: must not be"),
        (lambda d: {**d, "domain": "a\nb"}, "$.domain: must not contain control characters"),
        (lambda d: {**d, "config": [{"type": "x", "parameters": {"u": "\ud800"}}]}, "$.config[0].parameters.u: not "
                                                                                     "valid Unicode"),
        (lambda d: {**d, "a key.with\nnewline": 1, "evaluator": 5}, "$.evaluator: Input should be"),
    ]
    for i, (mutate, needle) in enumerate(cases):
        path = tmp_path / "d" / f"case{i}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(_dumps(mutate(json.loads(json.dumps(good)))).encode("utf-8", "surrogatepass"))
        with pytest.raises(TaskFileError) as info:
            load_task_file(path)
        assert str(info.value).startswith(f"{path}: ") and needle in str(info.value), (needle, str(info.value))


@pytest.mark.parametrize("how,needle", [
    ("big-number", "not usable JSON: Exceeds the limit"), ("deep", "not usable JSON: nested too deeply"),
    ("bad-utf8", "not UTF-8 text: byte 0xff"), ("truncate", "not valid JSON"),
    ("bom", "not valid JSON: Unexpected UTF-8 BOM"),
])
def test_damaged_bytes_have_clear_errors(tmp_path: Path, how: str, needle: str) -> None:
    path = tmp_path / "t.json"
    path.write_bytes(_damage(_seed(SEEDS[0]), how, 40))
    with pytest.raises(TaskFileError, match=f"^{tmp_path}/t.json: .*") as info:
        load_task_file(path)
    assert needle in str(info.value)


def test_a_step_command_list_of_non_strings_gets_a_verdict(tmp_path: Path) -> None:
    doc = json.loads((REPO / "tasks" / "smoke" / "terminal" / "count-errors.json").read_text())
    doc["config"] = [{"type": "execute", "parameters": {"command": [1, None, math.pi], "shell": False}}]
    (tmp_path / "os").mkdir()
    (tmp_path / "os" / "t.json").write_text(json.dumps(doc))
    (task,) = load_tasks(tmp_path)
    check_downstream(task)


def test_an_index_file_naming_impossible_paths_is_a_task_file_error(tmp_path: Path) -> None:
    (tmp_path / "index.json").write_text(json.dumps({"os": ["a\u0000b"]}))
    with pytest.raises(TaskFileError, match="cannot read"):
        load_tasks(tmp_path / "index.json")
