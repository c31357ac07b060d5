"""Thunderbird metrics: preferences (``prefs.js``), message filters (``msgFilterRules.dat``), mail folders (mbox)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from harness.checkers.metrics._common import (
    expected_path,
    fail,
    match_record,
    match_rule,
    option,
    read_text,
    result_path,
    rules_of,
)
from harness.checkers.registry import metric
from harness.checkers.semantics import ReferenceCrash, corrects

_PREF = re.compile(r'^user_pref\("(?P<key>(?:[^"]|\\")+)", (?P<val>.+)\);$')


def read_prefs(path: str) -> dict[str, Any]:
    """``user_pref("key", value);`` lines of a Firefox/Thunderbird ``prefs.js``, values decoded as JSON."""
    prefs = {}
    for line in read_text(path).splitlines():
        found = _PREF.match(line.strip())
        if found is None:
            continue
        try:
            prefs[found.group("key")] = json.loads(found.group("val"))
        except json.JSONDecodeError:
            prefs[found.group("key")] = found.group("val")
    return prefs


@metric("check_thunderbird_prefs")
def check_thunderbird_prefs(result: Any, expected: Any) -> float:
    """1 when every ``expect`` preference is set and satisfies its value rule, and no ``unexpect`` one does.

    Rules map a preference name to ``{"method", "ref"}``.  A preference left
    at its default is absent from ``prefs.js``: an ``expect`` on it fails.
    """
    rules = rules_of("check_thunderbird_prefs", expected)
    expect, unexpect = rules.get("expect", {}), rules.get("unexpect", {})
    if not isinstance(expect, dict) or not isinstance(unexpect, dict):
        raise fail("check_thunderbird_prefs", "'expect' and 'unexpect' must map preference names to rules")
    path = result_path(result)
    if path is None:
        return 0.0
    prefs = read_prefs(path)
    found = all(key in prefs and match_rule("check_thunderbird_prefs", prefs[key], r) for key, r in expect.items())
    clean = not any(key in prefs and match_rule("check_thunderbird_prefs", prefs[key], r) for key, r in unexpect.items())
    return float(found and clean)


_CONDITION = re.compile(r'\b(?:AND|OR) \((?:[\w ]+),(?:[\w \']+),(?:"(?:(?:[^"]|\")+)"|(?:[^)]+))\)|\bALL\b')
_FIELDS = ("name", "enabled", "type", "action", "actionValue", "condition")


def _unescape(value: str) -> str:
    return value.replace('\\"', '"').replace("\\\\", "\\")


def read_filters(path: str) -> list[dict[str, Any]]:
    """Filters of a ``msgFilterRules.dat``: ``key="value"`` lines, a new filter at each ``name=``; the
    ``condition`` string is split into its ``AND (field,op,value)`` / ``OR (...)`` / ``ALL`` terms."""
    filters: list[dict[str, Any]] = []
    for line in read_text(path).splitlines():
        key, sep, raw = line.partition("=")
        if not sep or key not in _FIELDS or len(raw) < 2:
            continue
        value = _unescape(raw[1:-1])
        if key == "name":
            filters.append({"name": value})
        elif filters:
            filters[-1][key] = _CONDITION.findall(value) if key == "condition" else value
    return filters


@metric("check_thunderbird_filter")
def check_thunderbird_filter(result: Any, expected: Any) -> float:
    """1 when each ``expect`` record matches some filter (all its keys equal) and no ``unexpect`` record does."""
    rules = rules_of("check_thunderbird_filter", expected)
    expect, unexpect = rules.get("expect", []), rules.get("unexpect", [])
    path = result_path(result)
    if path is None:
        return 0.0
    filters = read_filters(path)
    found = all(any(match_record(r, f) for f in filters) for r in expect)
    clean = not any(match_record(r, f) for r in unexpect for f in filters)
    return float(found and clean)


def _messages(path: str, ignore_status: bool, ignore_keys: bool, remove_deleted: bool,
              remove_duplicate: bool) -> list[str]:
    """An mbox folder as a sorted list of normalised messages (split at ``FROM - `` lines)."""
    messages = []
    for mail in read_text(path).strip().split("FROM - "):
        if not mail.strip():
            continue
        if remove_deleted and re.search(r"X-Mozilla-Status: 000[89]", mail):
            continue
        if ignore_status:
            mail = re.sub(r"X-Mozilla-Status\d?:[\s\d]+", "", mail)
        if ignore_keys:
            mail = re.sub(r"(X-Mozilla-Keys:[^\n]*?)\n(MIME-Version)", r"\2", mail)
        messages.append("FROM - " + mail.strip())
    return sorted(set(messages) if remove_duplicate else messages)


def _readable(*paths: str) -> None:
    """As OSWorld opens the folder files (UTF-8): a file it cannot read makes its checker raise."""
    for path in paths:
        try:
            Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ReferenceCrash(f"OSWorld's check_thunderbird_folder cannot read {path}: {exc}") from None


@metric("check_thunderbird_folder")
def check_thunderbird_folder(result: Any, expected: Any, ignore_status: bool = False, ignore_keys: bool = False,
                             remove_deleted: bool = True, remove_duplicate: bool = True) -> float:
    """1 when each mail folder file holds the same messages as its gold folder, in any order.

    Deleted messages (status 0008/0009) and duplicates are dropped by default;
    ``ignore_status`` / ``ignore_keys`` drop Thunderbird's bookkeeping headers.
    """
    flags = {"ignore_status": ignore_status, "ignore_keys": ignore_keys, "remove_deleted": remove_deleted,
             "remove_duplicate": remove_duplicate}
    for key, value in flags.items():
        option("check_thunderbird_folder", key, value, bool)
    results = result if isinstance(result, list) else [result]
    golds = expected if isinstance(expected, list) else [expected]
    gold_paths = [expected_path("check_thunderbird_folder", g) for g in golds]
    if len(results) != len(gold_paths):
        return 0.0
    for mine, gold in zip(results, gold_paths, strict=True):
        path = result_path(mine)
        if path is None:
            return 0.0
        if not corrects("thunderbird-folder-messages"):
            _readable(path, gold)  # OSWorld reads both files, then compares no message at all (semantics.py)
            continue
        if _messages(path, **flags) != _messages(gold, **flags):
            return 0.0
    return 1.0
