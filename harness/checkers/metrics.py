"""Metrics: ``(result, expected, **options) -> float in [0, 1]``.

A ``None`` result means the desktop did not hold what the task asked for (a
missing output file): that scores 0.  Bad options raise, and become a
``checker_error`` -- never a silent 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
