"""Cases for ``compare_table`` and ``compare_csv``: workbooks built with openpyxl from each task's own rules.

Every task gets a gold workbook holding the sheets its rules name (strings,
numbers, booleans, empty cells, a fill, the cells its ``check_cell`` rules
look at) and a set of results: the same file, one value changed, one
string's case changed, a formula without a cached value, a boolean as text,
a fill added, frozen panes, the gold file as LibreOffice re-saves it, a
missing file.  CSV exports (``<stem>-<sheet>.csv``) are written beside each
workbook for the ``sheet_print`` rules.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.workbook import Workbook

from tests.differential.cases import Case, expected_of, generates
from tests.differential.office import libreoffice_saved
from tests.differential.uses import Use

ROWS: list[list[Any]] = [
    ["Name", "Qty", "Price", "Flag", "Note"],
    ["apple", 3, 1.25, True, "fresh"],
    ["Pear", 10, 0.3333333, False, None],
    ["plum", None, 2.5, True, "Mixed Case"],
    ["kiwi", 7, 12.0, False, "  padded  "],
]


def _sheet_names(rules: list[dict[str, Any]]) -> list[str]:
    names = ["Sheet1"]
    for rule in rules:
        for key in ("sheet_idx", "sheet_idx0", "sheet_idx1"):
            found = re.fullmatch(r"[RE]N(.+)", str(rule.get(key, "")))
            if found and found.group(1) not in names:
                names.append(found.group(1))
    return names


def _check_cells(wb: Workbook, rules: list[dict[str, Any]]) -> None:
    """Make the gold workbook satisfy each ``check_cell`` rule (its value and style props)."""
    for rule in rules:
        if rule["type"] != "check_cell":
            continue
        idx = rule["sheet_idx"]
        ws = wb.worksheets[idx] if isinstance(idx, int) else wb[str(idx)[2:]]
        cell = ws[rule["coordinate"]]
        for prop, check in rule["props"].items():
            ref = check.get("ref")
            if prop == "value":
                cell.value = ref
            elif prop == "bgcolor":
                cell.fill = PatternFill("solid", fgColor=ref)
            elif prop == "font_color":
                cell.font = Font(color=ref, bold=cell.font.b)
            elif prop == "font_bold":
                cell.font = Font(bold=bool(ref), color=cell.font.color)


def _gold(use: Use) -> Workbook:
    rules = use.options.get("rules", [])
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    for i, name in enumerate(_sheet_names(rules)):
        ws = first if i == 0 else wb.create_sheet(name)
        ws.title = name
        for row in ROWS:
            ws.append(row)
        ws["E2"].fill = PatternFill("solid", fgColor="FFFF00")
    _check_cells(wb, rules)
    return wb


def _write_csvs(path: Path) -> None:
    """The CSV exports a ``sheet_print`` rule reads, as the task's postconfig would leave them."""
    wb = openpyxl.load_workbook(path, data_only=True)
    for ws in wb.worksheets:
        with open(path.with_name(f"{path.stem}-{ws.title}.csv"), "w", newline="") as f:
            writer = csv.writer(f)
            for row in ws.iter_rows(values_only=True):
                writer.writerow(["" if v is None else v for v in row])


def _mutate(fn: Callable[[Workbook], None]) -> Callable[[Path], Workbook]:
    """A variant: the gold file reloaded (a deep copy of a workbook loses its styles) and changed by ``fn``."""
    def apply(gold: Path) -> Workbook:
        out = openpyxl.load_workbook(gold)
        fn(out)
        return out
    return apply


def _set(ref: str, value: Any) -> Callable[[Workbook], None]:
    def fn(wb: Workbook) -> None:
        for ws in wb.worksheets:
            ws[ref] = value
    return fn


def _fill(wb: Workbook) -> None:
    for ws in wb.worksheets:
        ws["B3"].fill = PatternFill("solid", fgColor="FF0000")


def _freeze(wb: Workbook) -> None:
    for ws in wb.worksheets:
        ws.freeze_panes = "B2"


def _scrolled(wb: Workbook) -> None:
    for ws in wb.worksheets:
        ws.sheet_view.topLeftCell = "B2"


def _zoom(wb: Workbook) -> None:
    for ws in wb.worksheets:
        ws.sheet_view.zoomScale = 300


def _hide_row(wb: Workbook) -> None:
    for ws in wb.worksheets:
        ws.row_dimensions[3].hidden = True


def _font_color(wb: Workbook) -> None:
    for ws in wb.worksheets:
        ws["A2"].font = Font(color="FF0000")


def _extra_sheet(wb: Workbook) -> None:
    wb.create_sheet("Extra")


def _empty_cell(wb: Workbook) -> None:
    for ws in wb.worksheets:
        ws["C5"] = None


VARIANTS: dict[str, Callable[[Path], Workbook]] = {
    "same": _mutate(lambda wb: None),
    "value-changed": _mutate(_set("C3", 0.5)),
    "rounding": _mutate(_set("C3", 0.33333334)),
    "case-changed": _mutate(_set("A3", "PEAR")),
    "formula-no-cache": _mutate(_set("B2", "=1+2")),
    "bool-as-text": _mutate(_set("D2", "TRUE")),
    "int-as-float": _mutate(_set("B3", 10.0)),
    "number-as-text": _mutate(_set("B3", "10")),
    "cell-emptied": _mutate(_empty_cell),
    "fill-added": _mutate(_fill),
    "font-color": _mutate(_font_color),
    "frozen-panes": _mutate(_freeze),
    "scrolled-not-frozen": _mutate(_scrolled),
    "zoomed": _mutate(_zoom),
    "row-hidden": _mutate(_hide_row),
    "extra-sheet": _mutate(_extra_sheet),
}


@generates("compare_table")
def compare_table(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    golds: dict[str, Path] = {}
    for n, use in enumerate(uses):
        gold = _gold(use)
        gold_path = folder / f"{n}-gold.xlsx"
        gold.save(gold_path)
        _write_csvs(gold_path)
        golds[use.task] = gold_path
        for label, variant in VARIANTS.items():
            path = folder / f"{n}-{label}.xlsx"
            variant(gold_path).save(path)
            _write_csvs(path)
            cases.append(_case(use, label, str(path), gold_path))
        for label, value in [("missing-file", str(folder / "absent.xlsx")), ("none", None),
                             ("not-a-workbook", _garbage(folder / f"{n}-garbage.xlsx"))]:
            cases.append(_case(use, label, value, gold_path))
    saved = libreoffice_saved(list(golds.values()), folder / "lo")
    for use in uses:
        lo = saved.get(golds[use.task])
        if lo is not None:
            dest = folder / f"{golds[use.task].stem}-lo.xlsx"
            shutil.copy(lo, dest)
            _write_csvs(dest)
            cases.append(_case(use, "libreoffice-saved", str(dest), golds[use.task]))
    return cases


def _garbage(path: Path) -> str:
    path.write_bytes(b"PK\x03\x04 not really a zip")
    return str(path)


def _case(use: Use, label: str, result: str | None, gold: Path) -> Case:
    return Case("compare_table", f"{use.task[:8]}:{label}", result, expected_of(use, str(gold)), use.options,
                (use.task,))


@generates("compare_csv")
def compare_csv(uses: list[Use], folder: Path) -> list[Case]:
    base = "Name,Qty\napple,3\npear,10\n"
    pairs = [("same", base), ("trailing-blank-lines", base + "\n\n"), ("other", "Name,Qty\napple,4\n"),
             ("spaces", base.replace(",", ", ")), ("crlf", base.replace("\n", "\r\n")), ("empty", "")]
    gold = folder / "gold.csv"
    gold.write_text(base)
    cases: list[Case] = []
    for use in uses:
        for label, text in pairs:
            path = folder / f"{label}.csv"
            path.write_text(text)
            cases.append(Case("compare_csv", f"{use.task[:8]}:{label}", str(path), str(gold), use.options,
                              (use.task,)))
        cases.append(Case("compare_csv", f"{use.task[:8]}:missing-file", str(folder / "absent.csv"), str(gold),
                          use.options, (use.task,)))
    return cases
