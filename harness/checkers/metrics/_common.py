"""Helpers shared by the metric modules: reading rules and files, value rules, URL and text similarity.

Every helper that can fail because of a task's data raises ``CheckerError``
with the metric's name in the message, so a broken task file becomes a
``checker_error`` that names what is wrong instead of a silent 0.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from rapidfuzz import fuzz

from harness.errors import CheckerError

Rules = dict[str, Any]


def fail(metric: str, message: str) -> CheckerError:
    """The error for unusable options or expected data, naming the metric."""
    return CheckerError(f"{metric}: {message}")


def rules_of(metric: str, expected: Any, *required: str) -> Rules:
    """The ``rules`` dict a ``rule`` getter handed over, with the keys the metric cannot do without."""
    if not isinstance(expected, dict):
        raise fail(metric, f"expected a rules object, got {type(expected).__name__}")
    missing = [key for key in required if key not in expected]
    if missing:
        raise fail(metric, f"rules need {', '.join(repr(k) for k in missing)}")
    return expected


def expected_path(metric: str, expected: Any) -> str:
    """The expected (gold) file: its absence is the task's fault, not the agent's."""
    if expected is None:
        raise fail(metric, "the expected file is missing")
    if not isinstance(expected, (str, Path)):
        raise fail(metric, f"expected a file path, got {type(expected).__name__}")
    if not Path(expected).is_file():
        raise fail(metric, f"the expected file {expected} does not exist")
    return str(expected)


def result_path(value: Any) -> str | None:
    """The agent's file, or None when the agent did not produce it (which scores 0)."""
    if value is None or not isinstance(value, (str, Path)):
        return None
    return str(value) if Path(value).is_file() else None


def option(metric: str, name: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    """Check one option's type (``bool`` is not accepted where a number is meant)."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise fail(metric, f"option {name!r} must be {_names(kinds)}, got {value!r}")
    if not isinstance(value, kinds):
        raise fail(metric, f"option {name!r} must be {_names(kinds)}, got {value!r}")
    return value


def _names(kinds: tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in kinds)


def read_text(path: str) -> str:
    """A text file decoded as UTF-8 (bad bytes replaced: a metric compares, it does not validate encodings)."""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CheckerError(f"cannot read {path}: {exc}") from None


def similarity(a: str, b: str) -> float:
    """Levenshtein-based similarity in [0, 1] (rapidfuzz's ``ratio`` / 100), as the benchmark uses."""
    return float(fuzz.ratio(a, b)) / 100.0


def normalized_score(value: float, base: float) -> float:
    """Rescale ``value`` so that ``base`` (+1% slack) maps to 0 and 1 stays 1: "better than a baseline"."""
    if value >= base + 0.01:
        return (value - base) / (1.0 - base)
    return 0.0


# --- value rules: {"method": ..., "ref": ...} -------------------------------------------------

_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
}


def match_rule(metric: str, value: Any, rule: Any) -> bool:
    """Whether ``value`` satisfies a ``{"method", "ref"}`` rule, the benchmark's small rule language.

    Methods: ``eq ne lt le gt ge``; ``re`` with optional flags (``re.S``,
    ``re.I.M``) searched in the value; ``approx:TOL`` (|value - ref| <= TOL);
    ``range.XY`` where X, Y are ``t`` (strict) or ``e`` (inclusive) bounds of
    ``ref = [low, high]``; ``str_list_eq`` / ``str_set_eq`` (the value is a
    comma-separated string, optionally quoted); ``spreadsheet_range`` (the
    value is a range set that must contain ``ref[0]`` and lie inside ``ref[1]``).
    A value of the wrong type for the method does not match.
    """
    if not isinstance(rule, dict) or "method" not in rule or "ref" not in rule:
        raise fail(metric, f"a value rule needs 'method' and 'ref', got {rule!r}")
    method, ref = rule["method"], rule["ref"]
    if not isinstance(method, str):
        raise fail(metric, f"rule method must be a string, got {method!r}")
    try:
        return _apply_method(metric, method, value, ref)
    except TypeError:
        return False


def _apply_method(metric: str, method: str, value: Any, ref: Any) -> bool:
    if method in _COMPARISONS:
        return bool(_COMPARISONS[method](value, ref))
    if method == "re" or method.startswith("re."):
        return isinstance(value, str) and re.search(ref, value, _regex_flags(metric, method)) is not None
    if method.startswith("approx:"):
        return _approx(metric, method, value, ref)
    if method.startswith("range.") and len(method) == 8:
        return _in_range(metric, method, value, ref)
    if method in ("str_list_eq", "str_set_eq"):
        if not isinstance(value, str):
            return False
        items = value.strip("\"'").split(",")
        return items == list(ref) if method == "str_list_eq" else set(items) == set(ref)
    if method == "spreadsheet_range":
        return _range_within(metric, value, ref)
    raise fail(metric, f"unknown rule method {method!r}")


def _range_within(metric: str, value: Any, ref: Any) -> bool:
    """``value`` (cell ranges, e.g. a data validation's ``sqref``) covers ``ref[0]`` and stays inside ``ref[1]``."""
    from openpyxl.worksheet.cell_range import MultiCellRange

    if not isinstance(ref, list) or len(ref) != 2:
        raise fail(metric, f"spreadsheet_range needs ref [inner, outer], got {ref!r}")
    inner, outer, actual = MultiCellRange(ref[0]), MultiCellRange(ref[1]), MultiCellRange(str(value))
    return all(r in actual for r in inner.ranges) and all(r in outer for r in actual.ranges)


def _regex_flags(metric: str, method: str) -> re.RegexFlag:
    flags = re.RegexFlag(0)
    for name in method.split(".")[1:]:
        flag = getattr(re, name, None)
        if not isinstance(flag, re.RegexFlag):
            raise fail(metric, f"unknown regex flag {name!r} in method {method!r}")
        flags |= flag
    return flags


def _approx(metric: str, method: str, value: Any, ref: Any) -> bool:
    try:
        tolerance = float(method.split(":", 1)[1])
    except ValueError:
        raise fail(metric, f"bad tolerance in method {method!r}") from None
    try:
        return abs(float(value) - float(ref)) <= tolerance
    except (TypeError, ValueError):
        return False


def _in_range(metric: str, method: str, value: Any, ref: Any) -> bool:
    left, right = method[6], method[7]
    if left not in "te" or right not in "te" or not isinstance(ref, list) or len(ref) != 2:
        raise fail(metric, f"method {method!r} needs bounds like range.te and ref [low, high]")
    low_ok = ref[0] < value if left == "t" else ref[0] <= value
    high_ok = value < ref[1] if right == "t" else value <= ref[1]
    return bool(low_ok and high_ok)


def match_record(pattern: Rules, record: Rules) -> bool:
    """A record matches when it has every key of the pattern with an equal value."""
    return all(key in record and record[key] == value for key, value in pattern.items())


# --- URLs ---------------------------------------------------------------------------------------

_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "or", "ne", "go"}


def _site(host: str) -> str:
    """Host without a lone ``www`` and without its public suffix (``www.airbnb.com.sg`` -> ``airbnb``).

    The benchmark drops the suffix with a public-suffix list; without network
    access we approximate it: the last label, plus a common second-level label
    (``co.uk``, ``com.sg``) when the last label is a two-letter country code.
    """
    labels = [part for part in host.lower().split(".") if part]
    if all(part.isdigit() for part in labels):
        return ".".join(labels)
    if len(labels) >= 2:
        labels = labels[:-1]
        if len(labels) >= 2 and len(host.rsplit(".", 1)[-1]) == 2 and labels[-1] in _SECOND_LEVEL:
            labels = labels[:-1]
    if len(labels) >= 2 and labels[0] == "www" and len(labels) == 2:
        labels = labels[1:]
    return ".".join(labels)


def normalize_url(url: str, full: bool = True) -> str:
    """A URL reduced to what the benchmark compares: scheme, site, path without a lone ``/``, and the rest."""
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+\-.]*://", url):
        url = "http://" + url
    parts = urlparse(url)
    path = "" if parts.path == "/" else parts.path
    rest = (parts.params, parts.query, parts.fragment) if full else ("", "", "")
    return urlunparse((parts.scheme.lower(), _site(parts.netloc), path, *rest))


def urls_match(a: str | None, b: str | None, full: bool = True) -> bool:
    """Two URLs name the same page, ignoring ``www.``, the public suffix and a trailing root ``/``."""
    if a is None or b is None:
        return a == b
    return normalize_url(a, full) == normalize_url(b, full)


def same_items(left: Iterable[Any], right: Iterable[Any], equal: Callable[[Any, Any], bool]) -> bool:
    """Same length, and every item on the left has an equal item on the right (order ignored)."""
    a, b = list(left), list(right)
    return len(a) == len(b) and all(any(equal(x, y) for y in b) for x in a)


@functools.lru_cache(maxsize=8)
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
