"""Spreadsheet metrics: ``compare_table`` (xlsx against a gold workbook, by a list of rules) and CSV checks.

``compare_table`` runs its ``rules`` in order and scores 1 only when all hold
(it stops at the first that fails).  Sheets are named by ``sheet_idx``
values: an int (the result's n-th sheet), ``"RI<n>"`` / ``"RN<name>"`` (the
result's n-th sheet / sheet by name), ``"EI<n>"`` / ``"EN<name>"`` (the same
in the expected workbook).  Rule types, as the OSWorld task files use them:

- ``sheet_name``: both workbooks have the same worksheet names, in order.
- ``sheet_data``: the two sheets read as pandas DataFrames (first row as the
  header, cached formula results, numbers rounded to ``precision``=4
  decimals) are ``DataFrame.equals``; ``ignore_case`` lowercases strings.
- ``sheet_print``: the sheets' CSV exports (``<workbook stem>-<sheet>.csv``
  beside each workbook, written by the task's postconfig) have the same
  lines, trailing blank lines and per-line outer blanks ignored.
- ``sheet_fuzzy``: cell-by-cell comparison over ranges with per-range
  normalisation (``normalization`` pairs, ``trim_leadings``,
  ``trim_trailings``, ``ignore_chars``, ``ignore_case``) and a check
  ``exact_match`` / ``includes`` / ``included_by`` / ``fuzzy_match``
  (``threshold``, default 85, on a 0-100 scale).
- ``check_cell``: one cell's ``props`` (``value`` or a style: ``font_name``,
  ``font_color``, ``font_bold``, ``bgcolor``, ``number_format``, ...) each
  satisfy a ``{"method", "ref"}`` value rule.
- ``style``: the listed style ``props`` of every cell are equal, after
  applying conditional formats this module can evaluate (``cellIs`` with
  constant operands, ``top10``); others are left out.
- ``chart`` (``chart_props``), ``pivot_table`` (``pivot_props``),
  ``freeze``, ``zoom`` (value rule on the zoom percentage),
  ``data_validation`` (``dv_props``), ``row_props`` / ``col_props``
  (``props`` of row/column dimensions).

A missing or unreadable result workbook, or a missing result sheet, scores 0;
a missing expected workbook or sheet is a ``CheckerError``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.cell_range import MultiCellRange

from harness.checkers.metrics._common import (
    expected_path,
    fail,
    match_rule,
    read_text,
    result_path,
    rules_of,
    similarity,
)
from harness.checkers.registry import metric
from harness.checkers.semantics import corrects
from harness.errors import CheckerError

NAME = "compare_table"


class _NoSheet(Exception):
    """The result workbook lacks a sheet a rule names: the agent's output is wrong, the score is 0."""


@dataclass
class _Book:
    """One workbook, opened lazily in the forms the rules need."""

    path: str
    is_result: bool
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    @cached_property
    def styled(self) -> Any:
        """Formulas as written, with styles, charts and pivot tables."""
        return openpyxl.load_workbook(self.path)

    @cached_property
    def values(self) -> Any:
        """Cached formula results (what the application last computed)."""
        return openpyxl.load_workbook(self.path, data_only=True)

    @cached_property
    def names(self) -> list[str]:
        return [ws.title for ws in self.values.worksheets]

    def frame(self, sheet: str) -> pd.DataFrame:
        if sheet not in self._frames:
            self._frames[sheet] = pd.read_excel(self.path, sheet_name=sheet)
        return self._frames[sheet]

    def csv_lines(self, sheet: str) -> list[str]:
        csv = Path(self.path).with_name(f"{Path(self.path).stem}-{sheet}.csv")
        if not csv.is_file():
            if self.is_result:
                raise _NoSheet(f"no CSV export {csv.name}")
            raise fail(NAME, f"the expected CSV export {csv} is missing")
        lines = [line.strip() for line in read_text(str(csv)).splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        return lines


@dataclass
class _Pair:
    result: _Book
    expected: _Book | None

    def locate(self, idx: Any) -> tuple[_Book, str]:
        """The workbook and sheet name a ``sheet_idx`` value designates."""
        if isinstance(idx, bool) or not isinstance(idx, (int, str)):
            raise fail(NAME, f"bad sheet index {idx!r}")
        if isinstance(idx, int):
            return self.result, _nth(self.result, idx)
        prefix, rest = idx[:2], idx[2:]
        if prefix in ("EI", "EN"):
            if self.expected is None:
                raise fail(NAME, f"sheet index {idx!r} needs an expected workbook")
            book = self.expected
        elif prefix in ("RI", "RN"):
            book = self.result
        else:
            raise fail(NAME, f"bad sheet index {idx!r} (use an int, RI<n>, RN<name>, EI<n> or EN<name>)")
        if prefix[1] == "N":
            return book, _named(book, rest)
        if not rest.isdigit():
            raise fail(NAME, f"bad sheet index {idx!r}")
        return book, _nth(book, int(rest))

    def sheet(self, idx: Any, styled: bool = True) -> Any:
        book, name = self.locate(idx)
        return (book.styled if styled else book.values)[name]


def _missing(book: _Book, what: str) -> Exception:
    return _NoSheet(what) if book.is_result else fail(NAME, f"the expected workbook has no {what}")


def _nth(book: _Book, n: int) -> str:
    if not 0 <= n < len(book.names):
        raise _missing(book, f"sheet number {n}")
    return book.names[n]


def _named(book: _Book, name: str) -> str:
    if name not in book.names:
        raise _missing(book, f"sheet {name!r}")
    return name


def _open(path: str, is_result: bool) -> _Book | None:
    """A workbook that opens, or None for a result that does not (unreadable output scores 0)."""
    book = _Book(path, is_result)
    try:
        book.names  # noqa: B018  (opening it is the check)
    except Exception as exc:
        if is_result:
            return None
        raise fail(NAME, f"cannot open the expected workbook {path}: {exc}") from None
    return book


@metric("compare_table")
def compare_table(result: Any, expected: Any = None, rules: list[dict[str, Any]] | None = None) -> float:
    """1 when the result workbook satisfies every rule of ``rules`` (see the module docstring), else 0."""
    if not isinstance(rules, list) or not rules or not all(isinstance(r, dict) and "type" in r for r in rules):
        raise fail(NAME, "option 'rules' must be a non-empty list of {'type': ...} objects")
    path = result_path(result[0] if isinstance(result, list) and result else result)
    if path is None:
        return 0.0
    result_book = _open(path, is_result=True)
    if result_book is None:
        return 0.0
    expected_book = None
    if expected is not None:
        gold = expected[0] if isinstance(expected, list) and expected else expected
        expected_book = _open(expected_path(NAME, gold), is_result=False)
    pair = _Pair(result_book, expected_book)
    for rule in rules:
        try:
            if not _check(pair, rule):
                return 0.0
        except _NoSheet:
            return 0.0
    return 1.0


def _check(pair: _Pair, rule: dict[str, Any]) -> bool:
    kind = rule["type"]
    check = _RULES.get(kind)
    if check is None:
        raise fail(NAME, f"unsupported rule type {kind!r}")
    try:
        return check(pair, rule)
    except KeyError as exc:
        raise fail(NAME, f"rule {kind!r} misses {exc}") from None


def _sheet_name(pair: _Pair, rule: dict[str, Any]) -> bool:
    if pair.expected is None:
        raise fail(NAME, "rule 'sheet_name' needs an expected workbook")
    return pair.result.names == pair.expected.names


def _sheet_data(pair: _Pair, rule: dict[str, Any]) -> bool:
    precision = rule.get("precision", 4)
    frames = []
    for key in ("sheet_idx0", "sheet_idx1"):
        book, name = pair.locate(rule[key])
        frame = book.frame(name).round(precision)
        if rule.get("ignore_case", False) and corrects("sheet-data-ignore-case"):
            frame = frame.map(lambda v: v.lower() if isinstance(v, str) else v)
            frame.columns = [c.lower() if isinstance(c, str) else c for c in frame.columns]
        frames.append(frame)
    return bool(frames[0].equals(frames[1]))


def _sheet_print(pair: _Pair, rule: dict[str, Any]) -> bool:
    printed = []
    for key in ("sheet_idx0", "sheet_idx1"):
        book, name = pair.locate(rule[key])
        lines = book.csv_lines(name)
        printed.append([line.lower() for line in lines] if rule.get("ignore_case", False) else lines)
    return printed[0] == printed[1]


def cell_value(worksheet: Any, coordinate: str) -> Any:
    """A cell's stored value as the file holds it: numbers (and dates, as serial numbers) are floats."""
    value = worksheet[coordinate].value
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return float(to_excel(value))
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400.0
    return value


def _normalized(text: str, rule: dict[str, Any]) -> str:
    for old, new in rule.get("normalization", []):
        text = text.replace(old, new)
    if "trim_leadings" in rule:
        text = text.lstrip(rule["trim_leadings"])
    if "trim_trailings" in rule:
        text = text.rstrip(rule["trim_trailings"])
    if "ignore_chars" in rule:
        text = "".join(ch for ch in text if ch not in set(rule["ignore_chars"]))
    return text.lower() if rule.get("ignore_case", False) else text


def _fuzzy_pair(a: str, b: str, rule: dict[str, Any]) -> bool:
    kind = rule.get("type")
    if kind == "exact_match":
        return a == b
    if kind == "includes":
        return b in a
    if kind == "included_by":
        return a in b
    if kind == "fuzzy_match":
        return similarity(a, b) * 100.0 >= float(rule.get("threshold", 85.0))
    raise fail(NAME, f"sheet_fuzzy: unknown comparison {kind!r}")


def _sheet_fuzzy(pair: _Pair, rule: dict[str, Any]) -> bool:
    left, right = pair.sheet(rule["sheet_idx0"], styled=False), pair.sheet(rule["sheet_idx1"], styled=False)
    for sub in rule["rules"]:
        for cell_range in MultiCellRange(" ".join(sub["range"])).ranges:
            for row, col in cell_range.cells:
                coordinate = f"{get_column_letter(col)}{row}"
                a = _normalized(str(cell_value(left, coordinate)), sub)
                b = _normalized(str(cell_value(right, coordinate)), sub)
                if not _fuzzy_pair(a, b, sub):
                    return False
    return True


# --- cell styles ------------------------------------------------------------------------------

def cell_style(name: str, cell: Any, differential: Any = None) -> Any:
    """One style property of a cell (or of a conditional format's differential style applied to it)."""
    style = differential if differential is not None else cell
    has_value = cell.value is not None
    if name == "number_format":
        if not (has_value and cell.data_type == "n"):
            return None
        return differential.numFmt.formatCode if differential is not None else cell.number_format
    font_props = {"font_name": "name", "font_family": "family", "font_bold": "b", "font_italic": "i",
                  "font_underline": "u", "font_size": "sz"}
    if name in font_props:
        return getattr(style.font, font_props[name], None) if has_value and style.font is not None else None
    if name == "font_color":
        font = style.font
        return font.color.rgb if has_value and font is not None and font.color is not None else None
    if name == "fill_type":
        return getattr(style.fill, "tagname", None) if style.fill is not None else None
    if name in ("bgcolor", "fgcolor"):
        return _fill_color(cell, differential)
    if name == "hyperlink":
        return (cell.hyperlink or "") if has_value else None
    if name == "merge":
        return isinstance(cell, MergedCell)
    raise fail(NAME, f"unknown cell property {name!r}")


def _fill_color(cell: Any, differential: Any) -> Any:
    try:
        if differential is not None:
            return differential.fill.bgColor.rgb
        return cell.fill.fgColor.rgb
    except AttributeError:
        return None


def _check_cell(pair: _Pair, rule: dict[str, Any]) -> bool:
    styled = pair.sheet(rule["sheet_idx"])
    values = pair.sheet(rule["sheet_idx"], styled=False)
    coordinate = rule["coordinate"]
    for prop, value_rule in rule["props"].items():
        actual = cell_value(values, coordinate) if prop == "value" else cell_style(prop, styled[coordinate])
        if not match_rule(NAME, actual, value_rule):
            return False
    return True


def _styles(pair: _Pair, idx: Any, props: list[str]) -> dict[str, list[Any]]:
    worksheet = pair.sheet(idx)
    values = pair.sheet(idx, styled=False)
    styles = {c.coordinate: [cell_style(p, c) for p in props] for col in worksheet.iter_cols() for c in col}
    for conditional in worksheet.conditional_formatting:
        for cf_rule in conditional.rules:
            for coordinate in _active_cells(values, conditional.cells, cf_rule):
                cell = worksheet[coordinate]
                styles[coordinate] = [cell_style(p, cell, cf_rule.dxf) for p in props]
    return styles


def _style(pair: _Pair, rule: dict[str, Any]) -> bool:
    props = rule.get("props", [])
    return _styles(pair, rule["sheet_idx0"], props) == _styles(pair, rule["sheet_idx1"], props)


def _constant(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    try:
        return float(text)
    except ValueError:
        return None


_CELL_IS = {
    "lessThan": lambda v, a: v < a[0], "lessThanOrEqual": lambda v, a: v <= a[0],
    "greaterThan": lambda v, a: v > a[0], "greaterThanOrEqual": lambda v, a: v >= a[0],
    "equal": lambda v, a: v == a[0], "notEqual": lambda v, a: v != a[0],
    "between": lambda v, a: min(a) <= v <= max(a), "notBetween": lambda v, a: not min(a) <= v <= max(a),
}


def _active_cells(values: Any, ranges: Any, cf_rule: Any) -> list[str]:
    """Cells a conditional format applies to, for the rule kinds that need no formula engine."""
    cells = [f"{get_column_letter(c)}{r}" for rng in ranges.ranges for r, c in rng.cells]
    present = {c: cell_value(values, c) for c in cells}
    present = {c: v for c, v in present.items() if v is not None}
    if cf_rule.type == "cellIs" and cf_rule.operator in _CELL_IS:
        operands = [_constant(f) for f in cf_rule.formula]
        if not operands or any(o is None for o in operands):
            return []
        return [c for c, v in present.items() if _safe(_CELL_IS[cf_rule.operator], v, operands)]
    if cf_rule.type == "top10":
        numbers = sorted((v for v in present.values() if isinstance(v, float)), reverse=not cf_rule.bottom)
        count = int(cf_rule.rank or 10)
        if cf_rule.percent:
            count = max(1, len(numbers) * count // 100)
        chosen = set(numbers[:count])
        return [c for c, v in present.items() if isinstance(v, float) and v in chosen]
    return []


def _safe(test: Any, value: Any, operands: list[Any]) -> bool:
    try:
        return bool(test(value, operands))
    except TypeError:
        return False


# --- charts, pivot tables, sheet settings -----------------------------------------------------

def _rich_text(title: Any) -> Any:
    try:
        return title.tx.rich.p[0].r[0].t
    except (AttributeError, IndexError, TypeError):
        return None


def _reference(data: Any) -> str:
    for kind in ("numRef", "strRef"):
        ref = getattr(data, kind, None)
        if ref is not None and getattr(ref, "f", None) is not None:
            return str(ref.f)
    return ""


def _chart_info(chart: Any, props: set[str]) -> dict[str, Any]:
    getters: dict[str, Callable[[], Any]] = {
        "title": lambda: _rich_text(chart.title),
        "legend": lambda: chart.legend.position if chart.legend is not None else None,
        "anchor": lambda: [chart.anchor.editAs, chart.anchor._from.col, chart.anchor.to.row,
                           chart.anchor.to.col, chart.anchor.to.row],
        "width": lambda: chart.width, "height": lambda: chart.height,
        "type": lambda: chart.tagname, "direction": lambda: getattr(chart, "barDir", None),
        "xtitle": lambda: _rich_text(getattr(chart.x_axis, "title", None)),
        "ytitle": lambda: _rich_text(getattr(chart.y_axis, "title", None)),
        "ztitle": lambda: _rich_text(getattr(getattr(chart, "z_axis", None), "title", None)),
    }
    unknown = props - getters.keys()
    if unknown:
        raise fail(NAME, f"unknown chart_props {sorted(unknown)}")
    return {p: getters[p]() for p in props}


def _charts(pair: _Pair, idx: Any, props: set[str]) -> dict[str, Any]:
    """Charts keyed by their data series (values and categories references), with the chosen properties."""
    charts = {}
    for chart in pair.sheet(idx)._charts:
        key = ";".join(f"{_reference(s.val)},{_reference(s.cat)}" for s in chart.series)
        charts[key] = _chart_info(chart, props)
    return charts


def _chart(pair: _Pair, rule: dict[str, Any]) -> bool:
    props = set(rule.get("chart_props", []))
    return _charts(pair, rule["sheet_idx0"], props) == _charts(pair, rule["sheet_idx1"], props)


def _pivot_info(pivot: Any, props: set[str]) -> tuple[str, dict[str, Any]]:
    """A pivot table keyed by its source range, with the chosen properties.

    Field indices are shifted by the number of leading source columns that the
    pivot does not use, so a pivot built on ``B1:D9`` equals one on ``A1:D9``
    that ignores column A.
    """
    raw = [[(item.h, item.x) for item in f.items if item.x is not None] for f in pivot.pivotFields]
    left = len(list(itertools.takewhile(lambda r: not r, raw)))
    trimmed = raw[left:]
    right = len(list(itertools.takewhile(lambda r: not r, reversed(trimmed))))
    selection = trimmed[: len(trimmed) - right] if right else trimmed
    source = pivot.cache.cacheSource
    first, last = source.worksheetSource.ref.split(":")
    (r1, c1), (r2, c2) = coordinate_to_tuple(first), coordinate_to_tuple(last)
    key = f"{source.type};{(r1, c1 + left)}:{(r2, c2 - right)};{source.worksheetSource.sheet}"
    info: dict[str, Any] = {}
    simple = {"name": "name", "show_total": "visualTotals", "show_empty_row": "showEmptyRow",
              "show_empty_col": "showEmptyCol", "show_headers": "showHeaders", "location": "location"}
    for prop, attr in simple.items():
        if prop in props:
            info[prop] = getattr(pivot, attr)
    if "filter" in props or "selection" in props:
        info["selection"] = selection if "ordered" in props else [set(r) for r in selection]
    if "filter" in props:
        info["filter_fields"] = {f.fld for f in pivot.pageFields}
    for prop, fields in (("col_fields", pivot.colFields), ("row_fields", pivot.rowFields)):
        if prop in props:
            indices = [f.x - left for f in fields]
            info[prop] = [i for i in indices if i >= 0] if "ignore_special_fields" in props else indices
    if "data_fields" in props:
        named = "data_fields_name" in props
        info["data_fields"] = [f"{f.fld - left};{f.name if named else ''};{f.subtotal};{f.showDataAs}"
                               for f in pivot.dataFields]
    return key, info


def _pivots(pair: _Pair, idx: Any, props: set[str]) -> dict[str, Any]:
    return dict(_pivot_info(p, props) for p in pair.sheet(idx)._pivots)


def _pivot_table(pair: _Pair, rule: dict[str, Any]) -> bool:
    props = set(rule.get("pivot_props", []))
    return _pivots(pair, rule["sheet_idx0"], props) == _pivots(pair, rule["sheet_idx1"], props)


def _freeze_key(worksheet: Any) -> tuple[Any, ...]:
    """Where the panes are frozen (split counts), not the scroll position the file also stores."""
    pane = worksheet.sheet_view.pane
    if pane is None:
        return ("none",)
    state = (pane.state or "").lower()
    xs, ys = int(pane.xSplit or 0), int(pane.ySplit or 0)
    if state in ("frozen", "frozensplit"):
        return ("frozen", xs, ys)
    return ("other", xs, ys, pane.topLeftCell)


def _freeze(pair: _Pair, rule: dict[str, Any]) -> bool:
    return _freeze_key(pair.sheet(rule["sheet_idx0"])) == _freeze_key(pair.sheet(rule["sheet_idx1"]))


def _zoom(pair: _Pair, rule: dict[str, Any]) -> bool:
    zoom = pair.sheet(rule["sheet_idx"]).sheet_view.zoomScale or 100.0
    return match_rule(NAME, zoom, rule)


def _data_validation(pair: _Pair, rule: dict[str, Any]) -> bool:
    """Every validation on the sheet matches one of ``dv_props``, and there are at least as many as asked for."""
    validations = pair.sheet(rule["sheet_idx"]).data_validations.dataValidation
    wanted = rule["dv_props"]
    if len(validations) < len(wanted):
        return False
    return all(
        any(all(match_rule(NAME, getattr(dv, attr, None), r) for attr, r in props.items()) for props in wanted)
        for dv in validations
    )


def _dimensions(pair: _Pair, idx: Any, kind: str, props: list[str]) -> dict[Any, dict[str, Any]]:
    holder = getattr(pair.sheet(idx), f"{kind}_dimensions")
    return {key: {p: getattr(dims, p, None) for p in props} for key, dims in holder.items()}


def _row_props(pair: _Pair, rule: dict[str, Any]) -> bool:
    props = rule.get("props", [])
    return _dimensions(pair, rule["sheet_idx0"], "row", props) == _dimensions(pair, rule["sheet_idx1"], "row", props)


def _col_props(pair: _Pair, rule: dict[str, Any]) -> bool:
    props = rule.get("props", [])
    left = _dimensions(pair, rule["sheet_idx0"], "column", props)
    return left == _dimensions(pair, rule["sheet_idx1"], "column", props)


_RULES = {
    "sheet_name": _sheet_name, "sheet_data": _sheet_data, "sheet_print": _sheet_print, "sheet_fuzzy": _sheet_fuzzy,
    "check_cell": _check_cell, "style": _style, "chart": _chart, "pivot_table": _pivot_table, "freeze": _freeze,
    "zoom": _zoom, "data_validation": _data_validation, "row_props": _row_props, "col_props": _col_props,
}


# --- CSV ---------------------------------------------------------------------------------------

def _csv_lines(path: str) -> list[str]:
    raw = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            return raw.decode(encoding).splitlines()
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace").splitlines()  # pragma: no cover (latin-1 decodes anything)


@metric("compare_csv")
def compare_csv(result: str | None, expected: Any, strict: bool = True, ignore_case: bool = False) -> float:
    """1 when the CSV file has the same lines as the gold file (or as one of several gold files).

    ``strict=False`` ignores blanks around each line; ``ignore_case`` lowercases both.
    """
    golds = expected if isinstance(expected, list) else [expected]
    gold_paths = [expected_path("compare_csv", g) for g in golds]
    path = result_path(result)
    if path is None:
        return 0.0

    def prepare(lines: list[str]) -> list[str]:
        lines = lines if strict else [line.strip() for line in lines]
        return [line.lower() for line in lines] if ignore_case else lines

    mine = prepare(_csv_lines(path))
    return float(any(mine == prepare(_csv_lines(g)) for g in gold_paths))


def _city(value: Any) -> str:
    text = unicodedata.normalize("NFKD", "" if value is None else str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


@metric("compare_conference_city_in_order")
def compare_conference_city_in_order(result: str | None, expected: Any) -> float:
    """1 when cells C2:C22 of the active sheet name, in order, the expected cities (each a name or a list of
    accepted names), compared without accents, case or punctuation, by containment."""
    wanted = rules_of("compare_conference_city_in_order", expected, "expected")["expected"]
    path = result_path(result)
    if path is None:
        return 0.0
    try:
        sheet = openpyxl.load_workbook(path, data_only=True).active
    except Exception:
        return 0.0
    cities = [row[0].value for row in sheet["C2:C22"]]
    for i, city in enumerate(cities):
        if i >= len(wanted):
            raise CheckerError(f"compare_conference_city_in_order: only {len(wanted)} expected cities")
        accepted = wanted[i] if isinstance(wanted[i], list) else [wanted[i]]
        if not any(_city(name) and _city(name) in _city(city) for name in accepted):
            return 0.0
    return 1.0
