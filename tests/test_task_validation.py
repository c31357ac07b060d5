"""Static task validation (``harness.tasks.validation``): broken tasks of every kind are refused with the JSON path
of the bad field, before anything runs; every real task still validates.

The broken tasks are generated (hypothesis) from real tasks of the smoke suite: a random name, a random position,
a random wrong value, and the refusal must point at exactly that field.
"""

from __future__ import annotations

import ast
import copy
import json
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from harness.checkers.registry import GETTER_PARAMS, GETTERS, METRICS
from harness.cli.app import app
from harness.errors import TaskFileError
from harness.report.tables import status_table, success_table
from harness.setup import STEPS
from harness.setup.steps import STEP_PARAMS
from harness.store.records import SCORED, Status
from harness.store.run_folder import load_results
from harness.tasks.loader import load_tasks, task_from_dict
from harness.tasks.validation import check_task, load_checked
from tests.differential.uses import OSWORLD

from .conftest import REPO

SMOKE = REPO / "tasks" / "smoke"
BASE = json.loads((SMOKE / "files" / "sort-downloads.json").read_text())  # two metrics: lists on every side
SETTINGS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
KNOWN = set(STEPS) | set(GETTERS) | set(METRICS) | {"googledrive", "login", "googledrive_file", "infeasible"}


def problems_of(doc: dict[str, Any], folder: Path = SMOKE / "files") -> list[str]:
    return check_task(task_from_dict(doc, folder / f"{doc['id']}.json"))


def assert_refused_at(doc: dict[str, Any], path: str) -> None:
    """The task is refused, and the problem names ``path`` (the field itself, or a key inside it)."""
    problems = problems_of(doc)
    assert any(p == path or p.startswith((path + ":", path + ".", path + "[")) for p in problems), (path, problems)


unknown_names = st.text(string.ascii_letters + "_", min_size=1, max_size=20).filter(lambda n: n not in KNOWN)


def test_the_base_task_is_valid() -> None:
    assert problems_of(copy.deepcopy(BASE)) == []


@SETTINGS
@given(name=unknown_names, where=st.sampled_from(["config", "step", "getter", "metric"]), data=st.data())
def test_an_unknown_name_is_refused_at_its_type(name: str, where: str, data: st.DataObject) -> None:
    doc = copy.deepcopy(BASE)
    if where in ("config", "step"):
        i = data.draw(st.integers(0, len(doc["config"]) - 1))
        doc["config"][i]["type"] = name
        assert_refused_at(doc, f"$.config[{i}].type")
    elif where == "getter":
        side = data.draw(st.sampled_from(["result", "expected"]))
        i = data.draw(st.integers(0, 1))
        doc["evaluator"][side][i]["type"] = name
        assert_refused_at(doc, f"$.evaluator.{side}[{i}].type")
    else:
        i = data.draw(st.integers(0, 1))
        doc["evaluator"]["func"][i] = name
        assert_refused_at(doc, f"$.evaluator.func[{i}]")


@SETTINGS
@given(field=st.sampled_from(["result", "expected", "options"]), extra=st.integers(-2, 3).filter(lambda n: n != 0))
def test_lists_that_do_not_line_up_with_func_are_refused(field: str, extra: int) -> None:
    doc = copy.deepcopy(BASE)
    ev = doc["evaluator"]
    ev.setdefault("options", [{}, {}])
    entries = ev[field]
    ev[field] = entries[:len(entries) + extra] if extra < 0 else entries + [copy.deepcopy(entries[0])] * extra
    assert_refused_at(doc, f"$.evaluator.{field}")


def test_a_single_getter_for_several_metrics_is_refused() -> None:
    doc = copy.deepcopy(BASE)
    doc["evaluator"]["result"] = doc["evaluator"]["result"][0]
    assert_refused_at(doc, "$.evaluator.result")


identifiers = st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True)


@SETTINGS
@given(key=identifiers, data=st.data())
def test_an_unknown_parameter_name_is_refused_at_that_key(key: str, data: st.DataObject) -> None:
    doc = copy.deepcopy(BASE)
    kind = data.draw(st.sampled_from(["step", "getter", "option"]))
    if kind == "step":
        i = data.draw(st.integers(0, len(doc["config"]) - 1))
        params = doc["config"][i]["parameters"]
        if key in STEP_PARAMS[doc["config"][i]["type"]].model_fields:
            return
        params[key] = "x"
        assert_refused_at(doc, f"$.config[{i}].parameters.{key}")
    elif kind == "getter":
        i = data.draw(st.integers(0, 1))
        spec = doc["evaluator"]["result"][i]
        if key in GETTER_PARAMS[spec["type"]].model_fields or key == "type":
            return
        spec[key] = 1
        assert_refused_at(doc, f"$.evaluator.result[{i}].{key}")
    else:
        doc["evaluator"]["options"] = [{key: True}, {}]  # exact_match takes no option at all
        assert_refused_at(doc, f"$.evaluator.options[0].{key}")


def test_a_renamed_required_parameter_names_both_fields() -> None:
    doc = copy.deepcopy(BASE)
    doc["config"][0]["parameters"]["pth"] = doc["config"][0]["parameters"].pop("path")
    problems = problems_of(doc)
    assert problems[0].startswith("$.config[0].parameters.pth: unknown parameter of setup step write_file")
    assert "$.config[0].parameters.path: field required by setup step write_file" in problems


not_text = st.one_of(st.dictionaries(identifiers, st.integers(), min_size=1),
                     st.lists(st.dictionaries(identifiers, st.integers(), min_size=1), min_size=1))
not_number = st.one_of(st.text(string.ascii_letters, min_size=1), st.lists(st.integers(), min_size=1), st.none())


@SETTINGS
@given(data=st.data())
def test_a_parameter_of_the_wrong_type_is_refused_at_that_key(data: st.DataObject) -> None:
    doc = copy.deepcopy(BASE)
    case = data.draw(st.sampled_from(["content", "command", "seconds", "shell", "option"]))
    if case == "content":
        i = data.draw(st.integers(0, len(doc["config"]) - 1))
        doc["config"][i]["parameters"]["content"] = data.draw(not_text)
        assert_refused_at(doc, f"$.config[{i}].parameters.content")
    elif case == "command":
        i = data.draw(st.integers(0, 1))
        doc["evaluator"]["result"][i]["command"] = data.draw(not_text)
        assert_refused_at(doc, f"$.evaluator.result[{i}].command")
    elif case == "seconds":
        doc["config"].append({"type": "sleep", "parameters": {"seconds": data.draw(not_number)}})
        assert_refused_at(doc, f"$.config[{len(doc['config']) - 1}].parameters.seconds")
    elif case == "shell":
        doc["evaluator"]["result"][1]["shell"] = data.draw(st.sampled_from(["maybe", "2", [True], {"a": 1}]))
        assert_refused_at(doc, "$.evaluator.result[1].shell")
    else:  # a metric's option typed by the metric's own signature (check_include_exclude takes none; fuzzy: none)
        doc["evaluator"] = {"func": "compare_text_file", "options": {"ignore_case": data.draw(not_text)},
                            "result": {"type": "vm_file", "path": "/home/user/a.txt", "dest": "a.txt"},
                            "expected": {"type": "vm_file", "path": "/home/user/b.txt", "dest": "b.txt"}}
        assert_refused_at(doc, "$.evaluator.options.ignore_case")


bad_paths = st.one_of(st.just(""), st.just("   "), st.from_regex(r"[a-z]{1,8}(/[a-z]{1,8}){0,3}", fullmatch=True),
                      st.builds(lambda a, c, b: f"/home/user/{a}{c}{b}", st.text(string.ascii_letters, max_size=5),
                                st.sampled_from(["\n", "\x00", "\t", "\x7f"]), st.text(string.ascii_letters, max_size=5)))


@SETTINGS
@given(path=bad_paths, data=st.data())
def test_a_bad_path_is_refused_at_that_field(path: str, data: st.DataObject) -> None:
    doc = copy.deepcopy(BASE)
    i = data.draw(st.integers(0, len(doc["config"]) - 1))
    doc["config"][i]["parameters"]["path"] = path  # write_file writes absolute paths only
    assert_refused_at(doc, f"$.config[{i}].parameters.path")


def test_a_getter_dest_must_be_a_plain_file_name_and_a_local_file_must_exist() -> None:
    doc = copy.deepcopy(BASE)
    doc["evaluator"]["result"][0] = {"type": "vm_file", "path": "/home/user/a.txt", "dest": "../a.txt"}
    assert_refused_at(doc, "$.evaluator.result[0].dest")
    doc = copy.deepcopy(BASE)
    doc["config"].append({"type": "download", "parameters": {"files": [{"url": "assets/none.txt", "path": "/tmp/a"}]}})
    assert_refused_at(doc, "$.config[4].parameters.files[0].url")


bad_urls = st.one_of(
    st.builds(lambda s, h: f"{s}://{h}.example/a", st.sampled_from(["htps", "htp", "ftps", "hxxp", "smb"]), identifiers),
    st.builds(lambda s, h: f"{s}:/{h}.example/a", st.sampled_from(["http", "https", "file"]), identifiers),
    st.builds(lambda s, p: f"{s}:///{p}", st.sampled_from(["http", "https"]), identifiers),
    st.builds(lambda h, w: f"https://{h}.example/{w} {w}", identifiers, identifiers),
)


@SETTINGS
@given(url=bad_urls, where=st.sampled_from(["download", "tabs", "history"]))
def test_a_malformed_url_is_refused_at_that_field(url: str, where: str) -> None:
    doc = copy.deepcopy(BASE)
    i = len(doc["config"])
    if where == "download":
        doc["config"].append({"type": "download", "parameters": {"files": [{"url": url, "path": "/home/user/a"}]}})
        assert_refused_at(doc, f"$.config[{i}].parameters.files[0].url")
    elif where == "tabs":
        doc["config"].append({"type": "chrome_open_tabs", "parameters": {"urls_to_open": ["https://a.example", url]}})
        assert_refused_at(doc, f"$.config[{i}].parameters.urls_to_open[1]")
    else:
        doc["config"].append({"type": "update_browse_history", "parameters": {"history": [{"url": url}]}})
        assert_refused_at(doc, f"$.config[{i}].parameters.history[0].url")


def test_every_task_of_the_repository_validates() -> None:
    """No false positives: every suite in tasks/ loads and validates."""
    for suite in sorted(p for p in (REPO / "tasks").iterdir() if p.is_dir()):
        valid, invalid = load_checked(suite)
        assert valid and not invalid, (suite, [t.message for t in invalid])


def test_every_osworld_task_validates() -> None:
    """All 369 tasks of OSWorld's test_all.json, with their optional and extra fields, validate."""
    assert (OSWORLD / "test_all.json").is_file(), str(OSWORLD)
    valid, invalid = load_checked(OSWORLD / "test_all.json")
    assert len(valid) == 369 and not invalid, [t.message for t in invalid]


def _fields_read(module: Path) -> dict[str, set[str]]:
    """Per registered getter name, every field its function (and helpers it passes ``spec`` to) reads."""
    tree = ast.parse(module.read_text())
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}

    def reads(fn: ast.FunctionDef, seen: set[str]) -> set[str]:
        found: set[str] = set()
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call):
                continue
            if (isinstance(node.func, ast.Attribute) and node.func.attr in ("field", "require") and node.args
                    and isinstance(node.args[0], ast.Constant)):
                found.add(str(node.args[0].value))
            if (isinstance(node.func, ast.Name) and node.func.id in functions and node.func.id not in seen
                    and any(isinstance(a, ast.Name) and a.id == "spec" for a in node.args)):
                found |= reads(functions[node.func.id], seen | {node.func.id})
        return found

    out: dict[str, set[str]] = {}
    for fn in functions.values():
        for deco in fn.decorator_list:
            if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Name) and deco.func.id == "getter"
                    and isinstance(deco.args[0], ast.Constant)):
                out[str(deco.args[0].value)] = reads(fn, {fn.name})
    return out


def test_every_getter_declares_every_field_it_reads() -> None:
    """The declared models cannot drift from the implementations: a field read but not declared fails here."""
    read: dict[str, set[str]] = {}
    for module in sorted((REPO / "harness" / "checkers").glob("getters*.py")):
        read.update(_fields_read(module))
    assert set(read) == set(GETTERS) == set(GETTER_PARAMS)
    for name, fields in read.items():
        declared = {f.alias or n for n, f in GETTER_PARAMS[name].model_fields.items()}
        assert fields <= declared, (name, fields - declared)


def test_invalid_is_a_status_no_denominator_counts() -> None:
    statuses: tuple[str, ...] = Status.__args__  # type: ignore[attr-defined]
    assert "invalid" in statuses and "invalid" not in SCORED


def _suite(tmp_path: Path, broken: dict[str, Any]) -> Path:
    folder = tmp_path / "suite" / "files"
    folder.mkdir(parents=True)
    good = copy.deepcopy(BASE)
    (folder / "good.json").write_text(json.dumps(good))
    (folder / "broken.json").write_text(json.dumps(broken))
    (folder / "unloadable.json").write_text(json.dumps({**good, "id": "unloadable", "evaluator": {"result": {}}}))
    return tmp_path / "suite"


def test_run_refuses_a_suite_with_invalid_tasks_one_line_each(tmp_path: Path) -> None:
    broken = copy.deepcopy(BASE)
    broken["id"] = "broken"
    broken["evaluator"]["result"][1]["type"] = "vm_comand_line"
    suite = _suite(tmp_path, broken)
    result = CliRunner().invoke(app, ["run", "--suite", str(suite), "--agent", "noop", "--run-dir",
                                      str(tmp_path / "run")])
    assert result.exit_code != 0 and isinstance(result.exception, TaskFileError)
    lines = str(result.exception).splitlines()
    assert lines[0] == (f"{suite}/files/broken.json: $.evaluator.result[1].type: unknown getter 'vm_comand_line' "
                        "(did you mean 'vm_command_line'?)")
    assert lines[1].startswith(f"{suite}/files/unloadable.json: $.evaluator.")
    assert "--skip-invalid" in lines[2] and len(lines) == 3
    assert not (tmp_path / "run").exists(), "nothing is written, no container started"


def test_skip_invalid_runs_the_rest_and_records_the_invalid(tmp_path: Path, desktop_image: str) -> None:
    """One Docker test: the valid task runs; the invalid ones are records with status invalid, in no denominator."""
    broken = copy.deepcopy(BASE)
    broken["id"] = "broken"
    broken["evaluator"]["func"][1] = "exact_mach"
    suite = _suite(tmp_path, broken)
    result = CliRunner().invoke(app, ["run", "--suite", str(suite), "--agent", "oracle", "--budgets", "5,10",
                                      "--quiet", "--skip-invalid", "--run-dir", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "run" / "episodes.jsonl").read_text().splitlines()]
    status = {(r["task_id"], r["budget"]): r["status"] for r in records}
    assert status == {("sort-downloads", 5): "success", ("sort-downloads", 10): "success",
                      ("broken", 5): "invalid", ("broken", 10): "invalid",
                      ("unloadable", 5): "invalid", ("unloadable", 10): "invalid"}
    bad = next(r for r in records if r["task_id"] == "broken")
    assert bad["error"].endswith("$.evaluator.func[1]: unknown metric 'exact_mach' (did you mean 'exact_match'?)")
    assert bad["timings"]["env_start"] == 0 and bad["steps_used"] == 0
    assert "6 episodes (invalid 4, success 2)" in result.output
    frame = load_results(tmp_path / "run")
    overall = success_table(frame).query("domain == 'overall'")
    assert overall["success_rate"].tolist() == [1.0, 1.0] and overall["scored"].tolist() == [1, 1]
    assert status_table(frame)["summary"].tolist() == ["scored 1 of 3; 2 invalid"] * 2
    again = CliRunner().invoke(app, ["run", "--suite", str(suite), "--agent", "oracle", "--budgets", "5,10",
                                     "--quiet", "--skip-invalid", "--run-dir", str(tmp_path / "run")])
    assert again.exit_code == 0, again.output
    assert len((tmp_path / "run" / "episodes.jsonl").read_text().splitlines()) == 6, "a resume adds nothing"


def test_tasks_check_and_validate_use_the_same_validation(tmp_path: Path) -> None:
    broken = copy.deepcopy(BASE)
    broken["id"] = "broken"
    broken["config"][0]["parameters"]["path"] = "Downloads/report.txt"
    suite = _suite(tmp_path, broken)
    checked = CliRunner().invoke(app, ["tasks", "check", str(suite)])
    assert checked.exit_code == 1
    assert "$.config[0].parameters.path: path must be absolute" in " ".join(checked.output.split())
    validated = CliRunner().invoke(app, ["validate", str(suite), "--run-dir", str(tmp_path / "v")])
    assert isinstance(validated.exception, TaskFileError)
    assert "$.config[0].parameters.path: path must be absolute" in str(validated.exception)
    assert not (tmp_path / "v").exists()


def test_a_loaded_suite_with_an_unknown_name_is_refused_by_execute_run(tmp_path: Path) -> None:
    from harness.runner.run import RunConfig, execute_run
    from harness.store.run_folder import RunFolder

    tasks = load_tasks(SMOKE)
    tasks[0].config.append(tasks[0].config[0].model_copy(update={"type": "no_such_step"}))
    with pytest.raises(TaskFileError, match=r"\$\.config\[\d+\]\.type: unknown setup step 'no_such_step'"):
        execute_run(tasks, RunConfig(agent="noop"), RunFolder(tmp_path / "run"))
    assert not (tmp_path / "run").exists()


def test_a_run_of_invalid_tasks_only_needs_no_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--skip-invalid with nothing valid left: the records are written without asking Docker anything."""
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")  # nothing answers there
    broken = copy.deepcopy(BASE)
    broken["config"][0]["type"] = "writ_file"
    (tmp_path / "suite" / "files").mkdir(parents=True)
    (tmp_path / "suite" / "files" / "broken.json").write_text(json.dumps(broken))
    result = CliRunner().invoke(app, ["run", "--suite", str(tmp_path / "suite"), "--agent", "noop", "--quiet",
                                      "--skip-invalid", "--run-dir", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in (tmp_path / "run" / "episodes.jsonl").read_text().splitlines()]
    assert record["status"] == "invalid" and record["task_id"] == "sort-downloads"
    assert record["error"].endswith("$.config[0].type: unknown setup step 'writ_file' (did you mean 'write_file'?)")
