"""Value and text-file metrics, and the shared value-rule language."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from harness.checkers.metrics._common import match_rule, normalize_url, urls_match
from harness.checkers.metrics.basic import (
    check_csv,
    check_line_number,
    check_list,
    compare_config,
    compare_python_pure_text,
    compare_result_files,
    diff_text_file,
    file_contains,
    fuzzy_match,
    is_in_list,
    is_in_vm_clickboard,
    literal_match,
    match_in_list,
    run_sqlite3,
)
from harness.errors import CheckerError


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("value,rule,ok", [
    (5, {"method": "eq", "ref": 5}, True), (5, {"method": "lt", "ref": 5}, False),
    (False, {"method": "eq", "ref": False}, True),
    ("Anonym\nXYZ Lab", {"method": "re.S", "ref": "Anonym.+XYZ Lab"}, True),
    ("Anonym\nXYZ Lab", {"method": "re", "ref": "Anonym.+XYZ Lab"}, False),
    ("dark theme", {"method": "re", "ref": "dark"}, True), (3, {"method": "re", "ref": "3"}, False),
    (191.6669, {"method": "approx:0.001", "ref": 191.6667}, True),
    (191.7, {"method": "approx:0.001", "ref": 191.6667}, False), ("x", {"method": "approx:1", "ref": 1}, False),
    (2, {"method": "range.te", "ref": [0, 2]}, True), (0, {"method": "range.te", "ref": [0, 2]}, False),
    ('"Pass,Fail,Held"', {"method": "str_set_eq", "ref": ["Held", "Pass", "Fail"]}, True),
    ('"Pass,Fail"', {"method": "str_list_eq", "ref": ["Fail", "Pass"]}, False),
    ("a", {"method": "lt", "ref": 3}, False),
])
def test_match_rule(value: object, rule: dict[str, object], ok: bool) -> None:
    assert match_rule("m", value, rule) is ok


def test_match_rule_rejects_bad_rules() -> None:
    with pytest.raises(CheckerError, match="m: unknown rule method 'like'"):
        match_rule("m", 1, {"method": "like", "ref": 1})
    with pytest.raises(CheckerError, match="needs 'method' and 'ref'"):
        match_rule("m", 1, {"method": "eq"})
    with pytest.raises(CheckerError, match="unknown regex flag"):
        match_rule("m", "x", {"method": "re.Q", "ref": "x"})


@pytest.mark.parametrize("a,b,same", [
    ("https://www.drugs.com/npc/", "https://drugs.com/npc/", True),
    ("https://www.drugs.com/npc/", "drugs.com/npc/", False),
    ("https://www.airbnb.com", "https://www.airbnb.com.sg/", True),
    ("https://www.lonelyplanet.com", "https://www.lonelyplanet.com/", True),
    ("https://scholar.google.com/", "https://www.google.com/", False),
    ("https://www.nfl.com/scores/2019/POST4", "https://www.nfl.com/scores/2019/POST3", False),
    ("chrome://password-manager/passwords", "chrome://password-manager/passwords", True),
    ("https://a.com/p?q=1", "https://a.com/p?q=2", False),
])
def test_urls_match(a: str, b: str, same: bool) -> None:
    assert urls_match(a, b) is same
    assert urls_match(None, b) is False


def test_normalize_url_without_query() -> None:
    assert normalize_url("https://a.com/p?q=1", full=False) == normalize_url("https://www.a.com/p?q=2", full=False)


def test_match_in_list_and_is_in_list() -> None:
    assert match_in_list("b", {"expected": ["a", "b"]}) == 1.0
    assert match_in_list("c", {"expected": ["a", "b"]}) == 0.0
    assert is_in_list("# packages in environment at /opt", {"expected": "packages in environment at"}) == 1.0
    assert is_in_list(["/x"], {"expected": "/home/user/Desktop/helloExtension"}) == 0.0
    assert is_in_list(None, {"expected": "x"}) == 0.0
    with pytest.raises(CheckerError, match="match_in_list"):
        match_in_list("a", {"expected": "a"})


def test_literal_match() -> None:
    assert literal_match(["Ann", 12], ["ann", "12"], type="list", ignore_case=True) == 1.0
    assert literal_match(["Ann", 12], ["ann", "12"], type="list") == 0.0
    assert literal_match(["Ann"], ["Ann", "x"], type="list") == 0.0
    assert literal_match("Ann", "ANN", ignore_case=True) == 1.0
    with pytest.raises(CheckerError, match="literal_match: option 'type'"):
        literal_match("a", "a", type="set")


def test_fuzzy_match() -> None:
    assert fuzzy_match("hello", {"expected": "hello"}) == 1.0
    assert 0.5 < fuzzy_match("hallo", {"expected": "hello"}) < 1.0


def test_diff_text_file(tmp_path: Path) -> None:
    gold = write(tmp_path / "g.txt", "a\nb\nc\nd\n")
    assert diff_text_file(write(tmp_path / "a.txt", "a\nb\nc\nd\n"), gold) == 1.0
    assert diff_text_file(write(tmp_path / "b.txt", "a\nb\nx\nd\n"), gold) == pytest.approx(0.75)
    assert diff_text_file(None, gold) == 0.0


def test_check_list(tmp_path: Path) -> None:
    rules = {"expect": [r"\bCOMPANY\.msf\b", "UNIVERSITY"]}
    assert check_list(write(tmp_path / "a", "COMPANY.msf\nUNIVERSITY\n"), rules) == 1.0
    assert check_list(write(tmp_path / "b", "COMPANY.msf\n"), rules) == 0.0
    empty = {"unexpect": [".+"]}
    assert check_list(write(tmp_path / "c", ""), empty) == 1.0
    assert check_list(write(tmp_path / "d", "diff\n"), empty) == 0.0
    with pytest.raises(CheckerError, match="bad regular expression"):
        check_list(str(tmp_path / "a"), {"expect": ["("]})


def test_check_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "acc.csv", "url,user,password\nimap://x,anon,pw\n")
    assert check_csv(path, {"expect": [{"url": "imap://x", "user": "anon"}]}) == 1.0
    assert check_csv(path, {"expect": [{"url": "smtp://x"}]}) == 0.0
    assert check_csv(path, {"unexpect": [{"url": "imap://x"}]}) == 0.0
    assert check_csv(path, {"unexpect": [{"url": "smtp://x"}]}) == 1.0


def test_compare_config_and_file_contains(tmp_path: Path) -> None:
    path = write(tmp_path / "OpenProject.txt", "project")
    assert compare_config(path, {"expected": "project"}) == 1.0
    assert compare_config(path, {"expected": "project\n"}) == 0.0
    report = write(tmp_path / "r.txt", "CPU %user %idle")
    assert file_contains(report, {"expected": ["CPU", "%idle"]}) == 1.0
    assert file_contains(report, {"expected": ["CPU", "%steal"]}) == 0.0


def test_check_line_number(tmp_path: Path) -> None:
    path = write(tmp_path / "r.txt", "header\n10:00:01 all 1\n10:00:02 all 2\n")
    assert check_line_number(path, {"expected": "2"}) == 1.0
    assert check_line_number(path, {"expected": "3"}) == 0.0
    with pytest.raises(CheckerError, match="whole number"):
        check_line_number(path, {"expected": "many"})


def test_compare_python_pure_text(tmp_path: Path) -> None:
    gold = write(tmp_path / "g.py", "import os\n\ndef f():\n    return 1\n")
    assert compare_python_pure_text(write(tmp_path / "a.py", "#!/usr/bin/env python\nimport os\ndef f():\n\treturn 1  \n"),
                                    gold) == 1.0
    assert compare_python_pure_text(write(tmp_path / "b.py", "```python\nimport os\ndef f():\n    return 1\n"),
                                    gold) == 0.0


def test_compare_result_files(tmp_path: Path) -> None:
    gold = write(tmp_path / "g.txt", "42.5\n")
    assert compare_result_files(write(tmp_path / "a.txt", "The answer is 42.5"), gold) == 1.0
    assert compare_result_files(write(tmp_path / "b.txt", "42.50001"), gold) == 1.0
    assert compare_result_files(write(tmp_path / "c.txt", "41"), gold) == 0.0
    word = write(tmp_path / "w.txt", "yes")
    assert compare_result_files(write(tmp_path / "d.txt", " yes\n"), word) == 1.0


def test_run_sqlite3(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("create table m (folder int)")
        db.execute("insert into m values (13)")
    assert run_sqlite3(str(path), {"sql": "select sum(1) > 0 from m where folder = 13"}) == 1.0
    assert run_sqlite3(str(path), {"sql": "select sum(1) > 0 from m where folder = 14"}) == 0.0
    with pytest.raises(CheckerError, match="query failed"):
        run_sqlite3(str(path), {"sql": "select nope from m"})


def test_is_in_vm_clickboard() -> None:
    rules = {"expected": "/home/user/Data3/List3/secret.docx"}
    assert is_in_vm_clickboard(rules, "/home/user/Data3/List3/secret.docx\n") == 1.0
    assert is_in_vm_clickboard(rules, "/home/user/other.docx") == 0.0


def test_unknown_option_is_a_checker_error_naming_metric_and_option() -> None:
    from harness.checkers import EvalContext, evaluate
    from harness.tasks.schema import Evaluator, Task

    evaluator = Evaluator.model_validate({
        "func": "fuzzy_match", "result": {"type": "rule", "rules": "hello"},
        "expected": {"type": "rule", "rules": {"expected": "hello"}}, "options": {"bogus": 1}})
    task = Task(id="t", instruction="i", evaluator=evaluator)
    ctx = EvalContext(guest=None, task=task, cache_dir=Path("/nonexistent"))  # type: ignore[arg-type]
    with pytest.raises(CheckerError, match=r"fuzzy_match.*bogus"):
        evaluate(evaluator, ctx)
    evaluator.options = None
    assert evaluate(evaluator, ctx).score == 1.0


def test_compare_time_in_speedtest_results(tmp_path: Path) -> None:
    import datetime as dt

    from harness.checkers.metrics.basic import compare_time_in_speedtest_results

    export = write(tmp_path / "Speedtest Results Export-.csv", "Server,Date,Download\nX,2024-03-01 10:30,95\n")
    assert compare_time_in_speedtest_results(export, "60", now=dt.datetime(2024, 3, 1, 11, 0)) == 1.0
    assert compare_time_in_speedtest_results(export, "60", now=dt.datetime(2024, 3, 1, 12, 0)) == 0.0
    with pytest.raises(CheckerError, match="number of minutes"):
        compare_time_in_speedtest_results(export, {"minutes": 60})
