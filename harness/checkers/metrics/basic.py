"""Metrics on plain values and text files: equality, membership, patterns, line diffs.

Result values come from ``vm_command_line`` (a string), ``rule`` getters (the
rules dict) or file getters (a local path, ``None`` when the agent did not
make the file -- which scores 0).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import re
import sqlite3
from pathlib import Path
from typing import Any

from harness.checkers.metrics._common import (
    compiled,
    expected_path,
    fail,
    match_record,
    option,
    read_text,
    result_path,
    rules_of,
    similarity,
)
from harness.checkers.registry import metric
from harness.errors import CheckerError


def _rules(expected: Any, *keys: str) -> dict[str, Any]:
    if not isinstance(expected, dict):
        raise CheckerError(f"expected a rules object with {', '.join(keys)}, got {type(expected).__name__}")
    return expected


@metric("exact_match")
def exact_match(result: Any, expected: Any) -> float:
    """1 when the result equals ``rules.expected`` exactly."""
    rules = _rules(expected, "expected")
    if "expected" not in rules:
        raise CheckerError("exact_match: rules need an 'expected' value")
    return float(result == rules["expected"])


@metric("check_include_exclude")
def check_include_exclude(result: Any, expected: Any) -> float:
    """1 when the result contains every ``include`` string and no ``exclude`` string."""
    if result is None:
        return 0.0
    rules = _rules(expected, "include", "exclude")
    include, exclude = rules.get("include", []), rules.get("exclude", [])
    if not isinstance(include, list) or not isinstance(exclude, list):
        raise CheckerError("check_include_exclude: 'include' and 'exclude' must be lists")
    text = str(result)
    return float(all(s in text for s in include) and not any(s in text for s in exclude))


def _text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CheckerError(f"cannot read {path}: {exc}") from None


@metric("compare_text_file")
def compare_text_file(result: str | None, expected: str | None, ignore_blanks: bool = False,
                      ignore_case: bool = False) -> float:
    """1 when two text files have the same content (optionally ignoring blank space and case)."""
    if result is None:
        return 0.0
    if expected is None:
        raise CheckerError("compare_text_file: the expected file is missing")
    a, b = _text(result), _text(expected)
    if ignore_blanks:
        a, b = " ".join(a.split()), " ".join(b.split())
    if ignore_case:
        a, b = a.lower(), b.lower()
    return float(a == b)


@metric("match_in_list")
def match_in_list(result: Any, expected: Any) -> float:
    """1 when the result is one of the accepted answers in ``rules.expected`` (several spellings allowed)."""
    accepted = rules_of("match_in_list", expected, "expected")["expected"]
    if not isinstance(accepted, list):
        raise fail("match_in_list", "'expected' must be a list of accepted values")
    return float(result in accepted)


@metric("is_in_list")
def is_in_list(result: Any, expected: Any) -> float:
    """1 when ``rules.expected`` occurs in the result (a list of values, or command output text)."""
    wanted = rules_of("is_in_list", expected, "expected")["expected"]
    if result is None:
        return 0.0
    if not isinstance(result, (list, tuple, set, str, dict)):
        return 0.0
    return float(wanted in result)


@metric("literal_match")
def literal_match(result: Any, expected: Any, type: str = "str", ignore_case: bool = False) -> float:
    """1 when two literal values agree: as strings (``type="str"``) or item by item as lists (``type="list"``).

    Both sides come from getters (e.g. a sheet's last row against values read
    from a web page), so values are compared by their string form.
    """
    option("literal_match", "ignore_case", ignore_case, bool)
    if type == "str":
        a, b = str(result), str(expected)
        return float(a.lower() == b.lower() if ignore_case else a == b)
    if type == "list":
        if not isinstance(result, (list, tuple)) or not isinstance(expected, (list, tuple)):
            return 0.0
        a_items = [str(x).lower() if ignore_case else str(x) for x in result]
        b_items = [str(x).lower() if ignore_case else str(x) for x in expected]
        return float(a_items == b_items)
    raise fail("literal_match", f"option 'type' must be 'str' or 'list', got {type!r}")


@metric("fuzzy_match")
def fuzzy_match(result: Any, expected: Any) -> float:
    """Edit-distance similarity in [0, 1] between the result and ``rules.expected`` (partial credit)."""
    wanted = rules_of("fuzzy_match", expected, "expected")["expected"]
    if result is None:
        return 0.0
    return similarity(str(result), str(wanted))


@metric("diff_text_file")
def diff_text_file(result: str | None, expected: str | None) -> float:
    """Line-level similarity (difflib ratio over lines) of two text files: partial credit for near copies."""
    path = result_path(result)
    if path is None:
        return 0.0
    gold = expected_path("diff_text_file", expected)
    a, b = read_text(path).splitlines(), read_text(gold).splitlines()
    return difflib.SequenceMatcher(a=a, b=b).ratio()


def _patterns(metric_name: str, rules: dict[str, Any], key: str) -> list[re.Pattern[str]]:
    values = rules.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise fail(metric_name, f"{key!r} must be a list of regular expressions")
    try:
        return [compiled(v) for v in values]
    except re.error as exc:
        raise fail(metric_name, f"bad regular expression in {key!r}: {exc}") from None


@metric("check_list")
def check_list(result: str | None, expected: Any) -> float:
    """1 when every ``expect`` regex matches some line of the file and no ``unexpect`` regex matches any line.

    Used on command output saved to a file (``ls``, ``wmctrl -l``, ``diff``):
    ``{"unexpect": [".+"]}`` means "the file is empty".
    """
    rules = rules_of("check_list", expected)
    expect, unexpect = _patterns("check_list", rules, "expect"), _patterns("check_list", rules, "unexpect")
    path = result_path(result)
    if path is None:
        return 0.0
    lines = read_text(path).splitlines()
    found = all(any(p.search(line) for line in lines) for p in expect)
    clean = not any(p.search(line) for p in unexpect for line in lines)
    return float(found and clean)


@metric("check_csv")
def check_csv(result: str | None, expected: Any) -> float:
    """1 when each ``expect`` record (a dict of column -> value) matches some row and no ``unexpect`` one does."""
    rules = rules_of("check_csv", expected)
    expect, unexpect = rules.get("expect", []), rules.get("unexpect", [])
    if not all(isinstance(r, dict) for r in [*expect, *unexpect]):
        raise fail("check_csv", "'expect' and 'unexpect' must be lists of records")
    path = result_path(result)
    if path is None:
        return 0.0
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        rows = list(csv.DictReader(handle))
    found = all(any(match_record(r, row) for row in rows) for r in expect)
    clean = not any(match_record(r, row) for r in unexpect for row in rows)
    return float(found and clean)


@metric("compare_config")
def compare_config(result: str | None, expected: Any) -> float:
    """1 when the whole file's text equals ``rules.expected`` exactly (small config files)."""
    wanted = rules_of("compare_config", expected, "expected")["expected"]
    path = result_path(result)
    return 0.0 if path is None else float(read_text(path) == wanted)


@metric("file_contains")
def file_contains(result: str | None, expected: Any) -> float:
    """1 when the file contains every string of ``rules.expected``."""
    wanted = rules_of("file_contains", expected, "expected")["expected"]
    if not isinstance(wanted, list):
        raise fail("file_contains", "'expected' must be a list of strings")
    path = result_path(result)
    if path is None:
        return 0.0
    text = read_text(path)
    return float(all(str(w) in text for w in wanted))


_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)")


@metric("check_line_number")
def check_line_number(result: str | None, expected: Any) -> float:
    """1 when the number of lines carrying a ``HH:MM:SS`` time stamp equals ``rules.expected`` (a report's rows)."""
    wanted = rules_of("check_line_number", expected, "expected")["expected"]
    try:
        count = int(wanted)
    except (TypeError, ValueError):
        raise fail("check_line_number", f"'expected' must be a whole number, got {wanted!r}") from None
    path = result_path(result)
    if path is None:
        return 0.0
    return float(sum(1 for line in read_text(path).splitlines() if _CLOCK.search(line)) == count)


def _python_body(text: str) -> str:
    """Source without a leading shebang/coding header, blank lines and trailing blanks; tabs as 4 spaces."""
    lines = text.splitlines()
    start = 0
    while start < min(len(lines), 3) and re.match(r"\s*(#!|# -\*- coding:|# coding[:=])", lines[start]):
        start += 1
    return "\n".join(line.expandtabs(4).rstrip() for line in lines[start:] if line.strip())


@metric("compare_python_pure_text")
def compare_python_pure_text(result: str | None, expected: Any) -> float:
    """1 when two Python files have the same code, ignoring blank lines, trailing blanks and the header lines.

    Stray text (say, markdown fences pasted from a notebook) still counts as a difference.
    """
    path = result_path(result)
    if path is None:
        return 0.0
    gold = expected_path("compare_python_pure_text", expected)
    return float(_python_body(read_text(path)) == _python_body(read_text(gold)))


@metric("compare_result_files")
def compare_result_files(result: str | None, expected: Any) -> float:
    """1 when a result file holds the gold answer: the gold number appears in it or equals it within 1e-4,
    or (for a non-numeric answer) the stripped texts are equal."""
    path = result_path(result)
    if path is None:
        return 0.0
    got, gold = read_text(path).strip(), read_text(expected_path("compare_result_files", expected)).strip()
    try:
        gold_number = float(gold)
    except ValueError:
        return float(got == gold)
    if gold in got:
        return 1.0
    try:
        return float(abs(float(got) - gold_number) < 1e-4)
    except ValueError:
        return 0.0


@metric("run_sqlite3")
def run_sqlite3(result: str | None, expected: Any) -> float:
    """The first column of the first row of ``rules.sql`` run on the result database (read-only), as the score.

    Task queries are written to return 0/1 (``select sum(1) > 0 ...``); a NULL counts as 0.
    """
    sql = rules_of("run_sqlite3", expected, "sql")["sql"]
    path = result_path(result)
    if path is None:
        return 0.0
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = connection.execute(str(sql)).fetchone()
    except sqlite3.DatabaseError as exc:
        raise fail("run_sqlite3", f"query failed: {exc}") from None
    finally:
        connection.close()
    value = row[0] if row else None
    return float(value or 0)


@metric("is_in_vm_clickboard")
def is_in_vm_clickboard(result: Any, expected: Any) -> float:
    """1 when the clipboard text holds ``rules.expected`` (one string, or every string of a list).

    The task file puts the rule in ``result`` and the clipboard command in
    ``expected``; both orders are accepted.
    """
    rules, clipboard = (result, expected) if isinstance(result, dict) else (expected, result)
    wanted = rules_of("is_in_vm_clickboard", rules, "expected")["expected"]
    if clipboard is None:
        return 0.0
    items = wanted if isinstance(wanted, list) else [wanted]
    return float(all(str(w) in str(clipboard) for w in items))


@metric("compare_time_in_speedtest_results")
def compare_time_in_speedtest_results(result: str | None, expected: Any, now: dt.datetime | None = None) -> float:
    """1 when the first result row of a speed-test export (its second column ends in ``HH:MM``) was made
    less than ``expected`` minutes (from the ``time_diff_range`` getter) before or after now, clock time."""
    try:
        minutes = float(expected)
    except (TypeError, ValueError):
        raise fail("compare_time_in_speedtest_results", f"expected a number of minutes, got {expected!r}") from None
    path = result_path(result)
    if path is None:
        return 0.0
    lines = read_text(path).splitlines()
    fields = lines[1].split(",") if len(lines) > 1 else []
    if len(fields) < 2:
        return 0.0
    try:
        stamp = dt.datetime.strptime(fields[1].strip()[-5:], "%H:%M")
    except ValueError:
        return 0.0
    clock = dt.datetime.strptime((now or dt.datetime.now()).strftime("%H:%M"), "%H:%M")
    return float(abs((stamp - clock).total_seconds()) / 60 < minutes)
