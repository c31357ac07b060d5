"""compare_table and the CSV metrics on small real workbooks made with openpyxl."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
import pytest
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from harness.checkers.metrics.sheets import (
    _pivot_info,
    compare_conference_city_in_order,
    compare_csv,
    compare_table,
)
from harness.checkers.semantics import scoring_under
from harness.errors import CheckerError

ROWS: list[list[Any]] = [["Name", "Score"], ["Ann", 1.23456], ["Bob", 7.0]]


def book(path: Path, rows: list[list[Any]] = ROWS, sheets: tuple[str, ...] = ("Sheet1",),
         edit: Any = None) -> str:
    wb = openpyxl.Workbook()
    wb.active.title = sheets[0]
    for name in sheets[1:]:
        wb.create_sheet(name)
    for row in rows:
        wb[sheets[0]].append(row)
    if edit is not None:
        edit(wb[sheets[0]])
    wb.save(path)
    return str(path)


def data_rule(**extra: Any) -> list[dict[str, Any]]:
    return [{"type": "sheet_data", "sheet_idx0": 0, "sheet_idx1": "EI0", **extra}]


def test_sheet_data_equal_and_different(tmp_path: Path) -> None:
    gold = book(tmp_path / "gold.xlsx")
    assert compare_table(book(tmp_path / "same.xlsx"), gold, rules=data_rule()) == 1.0
    changed = [ROWS[0], ["Ann", 1.3], ROWS[2]]
    assert compare_table(book(tmp_path / "diff.xlsx", changed), gold, rules=data_rule()) == 0.0


def test_sheet_data_rounds_to_four_decimals(tmp_path: Path) -> None:
    gold = book(tmp_path / "gold.xlsx")
    close = [ROWS[0], ["Ann", 1.234561], ROWS[2]]
    far = [ROWS[0], ["Ann", 1.2347], ROWS[2]]
    assert compare_table(book(tmp_path / "close.xlsx", close), gold, rules=data_rule()) == 1.0
    assert compare_table(book(tmp_path / "far.xlsx", far), gold, rules=data_rule()) == 0.0


def test_sheet_data_ignore_case(tmp_path: Path) -> None:
    gold = book(tmp_path / "gold.xlsx")
    upper: list[list[Any]] = [["NAME", "Score"], ["ANN", 1.23456], ["BOB", 7.0]]
    path = book(tmp_path / "upper.xlsx", upper)
    assert compare_table(path, gold, rules=data_rule()) == 0.0
    assert compare_table(path, gold, rules=data_rule(ignore_case=True)) == 0.0  # osworld: sheet_data ignores it
    with scoring_under("strict"):  # deviation sheet-data-ignore-case
        assert compare_table(path, gold, rules=data_rule(ignore_case=True)) == 1.0


def test_sheet_names_by_name_and_index(tmp_path: Path) -> None:
    gold = book(tmp_path / "gold.xlsx", sheets=("Data", "Notes"))
    same = book(tmp_path / "same.xlsx", sheets=("Data", "Notes"))
    other = book(tmp_path / "other.xlsx", sheets=("Data", "Extra"))
    assert compare_table(same, gold, rules=[{"type": "sheet_name"}]) == 1.0
    assert compare_table(other, gold, rules=[{"type": "sheet_name"}]) == 0.0
    by_name = [{"type": "sheet_data", "sheet_idx0": "RNData", "sheet_idx1": "ENData"}]
    assert compare_table(same, gold, rules=by_name) == 1.0


def test_missing_result_file_or_sheet_scores_zero(tmp_path: Path) -> None:
    gold = book(tmp_path / "gold.xlsx")
    assert compare_table(None, gold, rules=data_rule()) == 0.0
    assert compare_table(str(tmp_path / "absent.xlsx"), gold, rules=data_rule()) == 0.0
    (tmp_path / "junk.xlsx").write_text("not a workbook")
    assert compare_table(str(tmp_path / "junk.xlsx"), gold, rules=data_rule()) == 0.0
    rule = [{"type": "sheet_data", "sheet_idx0": "RNNope", "sheet_idx1": "EI0"}]
    assert compare_table(book(tmp_path / "r.xlsx"), gold, rules=rule) == 0.0


def test_bad_expected_or_rules_raise(tmp_path: Path) -> None:
    result = book(tmp_path / "r.xlsx")
    with pytest.raises(CheckerError, match="expected workbook has no sheet 'Nope'"):
        compare_table(result, book(tmp_path / "g.xlsx"), rules=[{"type": "sheet_data", "sheet_idx0": 0,
                                                                 "sheet_idx1": "ENNope"}])
    with pytest.raises(CheckerError, match="compare_table: option 'rules'"):
        compare_table(result, None, rules=[])
    with pytest.raises(CheckerError, match="unsupported rule type 'sparkle'"):
        compare_table(result, None, rules=[{"type": "sparkle"}])
    with pytest.raises(CheckerError, match="bad sheet index"):
        compare_table(result, None, rules=[{"type": "zoom", "sheet_idx": "XX1", "method": "lt", "ref": 1}])
    with pytest.raises(CheckerError, match="needs an expected workbook"):
        compare_table(result, None, rules=data_rule())
    with pytest.raises(CheckerError, match="does not exist"):
        compare_table(result, str(tmp_path / "absent.xlsx"), rules=data_rule())


def test_check_cell_value_and_style(tmp_path: Path) -> None:
    def style(ws: Any) -> None:
        ws["A1"].font = Font(bold=True, color="FFFFFFFF")
        ws["A1"].fill = PatternFill("solid", fgColor="FF0000FF")

    rule = [{"type": "check_cell", "sheet_idx": 0, "coordinate": "A1",
             "props": {"value": {"method": "eq", "ref": "Name"}, "font_bold": {"method": "eq", "ref": True},
                       "font_color": {"method": "eq", "ref": "FFFFFFFF"}, "bgcolor": {"method": "eq", "ref": "FF0000FF"}}}]
    assert compare_table(book(tmp_path / "styled.xlsx", edit=style), None, rules=rule) == 1.0
    assert compare_table(book(tmp_path / "plain.xlsx"), None, rules=rule) == 0.0
    approx: list[dict[str, Any]] = [{"type": "check_cell", "sheet_idx": 0, "coordinate": "B2",
               "props": {"value": {"method": "approx:0.001", "ref": 1.2349}}}]
    assert compare_table(book(tmp_path / "a.xlsx"), None, rules=approx) == 1.0
    approx[0]["props"]["value"]["ref"] = 1.24
    assert compare_table(book(tmp_path / "b.xlsx"), None, rules=approx) == 0.0


def test_sheet_print_compares_csv_exports(tmp_path: Path) -> None:
    gold = book(tmp_path / "gold.xlsx")
    (tmp_path / "gold-Sheet1.csv").write_text("Name,Score\nAnn,1.23\n\n")
    result = book(tmp_path / "mine.xlsx")
    rule = [{"type": "sheet_print", "sheet_idx0": "RNSheet1", "sheet_idx1": "ENSheet1"}]
    (tmp_path / "mine-Sheet1.csv").write_text("Name,Score \nAnn,1.23\n")
    assert compare_table([result, str(tmp_path / "mine-Sheet1.csv")], gold, rules=rule) == 1.0
    (tmp_path / "mine-Sheet1.csv").write_text("name,score\nAnn,1.23\n")
    assert compare_table(result, gold, rules=rule) == 0.0
    assert compare_table(result, gold, rules=[{**rule[0], "ignore_case": True}]) == 1.0


def test_sheet_fuzzy(tmp_path: Path) -> None:
    gold = book(tmp_path / "g.xlsx", [["Addr", "Phone"], ["1 Main Road", "555-1234"]])
    mine = book(tmp_path / "m.xlsx", [["Addr", "Phone"], ["1 main rd", "+ (555) 1234 ext"]])
    rules: list[dict[str, Any]] = [{"type": "sheet_fuzzy", "sheet_idx0": "RNSheet1", "sheet_idx1": "ENSheet1", "rules": [
        {"range": ["A2"], "type": "fuzzy_match", "threshold": 85, "normalization": [["Rd", "Road"], ["rd", "Road"]],
         "ignore_case": True},
        {"range": ["B2"], "type": "includes", "trim_leadings": "+ ", "ignore_chars": " ()-"}]}]
    assert compare_table(mine, gold, rules=rules) == 1.0
    rules[0]["rules"][1]["type"] = "exact_match"
    assert compare_table(mine, gold, rules=rules) == 0.0


def chart_book(path: Path, kind: type, title: str) -> str:
    def add(ws: Any) -> None:
        chart = kind()
        chart.title = title
        chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=3), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=3))
        ws.add_chart(chart, "D2")
    return book(path, edit=add)


def test_chart_type_and_title(tmp_path: Path) -> None:
    gold = chart_book(tmp_path / "g.xlsx", BarChart, "Scores")
    rule = [{"type": "chart", "sheet_idx0": 0, "sheet_idx1": "EI0", "chart_props": ["type", "title"]}]
    assert compare_table(chart_book(tmp_path / "same.xlsx", BarChart, "Scores"), gold, rules=rule) == 1.0
    assert compare_table(chart_book(tmp_path / "line.xlsx", LineChart, "Scores"), gold, rules=rule) == 0.0
    assert compare_table(chart_book(tmp_path / "title.xlsx", BarChart, "Other"), gold, rules=rule) == 0.0
    assert compare_table(book(tmp_path / "none.xlsx"), gold, rules=rule) == 0.0


def test_freeze_zoom_rows_validation(tmp_path: Path) -> None:
    def frozen(ws: Any) -> None:
        ws.freeze_panes = "B2"
        ws.sheet_view.zoomScale = 80
        ws.row_dimensions[2].hidden = True
        dv = DataValidation(type="list", formula1='"Pass,Fail,Held"')
        dv.add("B2:B3")
        ws.add_data_validation(dv)

    gold = book(tmp_path / "g.xlsx", edit=frozen)
    mine = book(tmp_path / "m.xlsx", edit=frozen)
    plain = book(tmp_path / "p.xlsx")
    freeze = [{"type": "freeze", "sheet_idx0": 0, "sheet_idx1": "EI0"}]
    assert compare_table(mine, gold, rules=freeze) == 1.0
    assert compare_table(plain, gold, rules=freeze) == 0.0
    zoom = [{"type": "zoom", "sheet_idx": 0, "method": "lt", "ref": 100}]
    assert compare_table(mine, None, rules=zoom) == 1.0
    assert compare_table(plain, None, rules=zoom) == 0.0
    rows = [{"type": "row_props", "sheet_idx0": 0, "sheet_idx1": "EI0", "props": ["hidden"]}]
    assert compare_table(mine, gold, rules=rows) == 1.0
    assert compare_table(plain, gold, rules=rows) == 0.0
    dv_rule = [{"type": "data_validation", "sheet_idx": 0, "dv_props": [{
        "ranges": {"method": "spreadsheet_range", "ref": ["B2:B3", "B2:B100"]}, "type": {"method": "eq", "ref": "list"},
        "formula1": {"method": "str_set_eq", "ref": ["Pass", "Fail", "Held"]}}]}]
    assert compare_table(mine, None, rules=dv_rule) == 1.0
    assert compare_table(plain, None, rules=dv_rule) == 0.0


def test_style_with_conditional_format(tmp_path: Path) -> None:
    def direct(ws: Any) -> None:
        ws["B3"].font = Font(color="FF00FF00")

    def conditional(ws: Any) -> None:
        ws.conditional_formatting.add("B2:B3", CellIsRule(operator="greaterThan", formula=["5"],
                                                           font=Font(color="FF00FF00")))

    rule = [{"type": "style", "sheet_idx0": 0, "sheet_idx1": "EI0", "props": ["font_color"]}]
    gold = book(tmp_path / "g.xlsx", edit=direct)
    assert compare_table(book(tmp_path / "d.xlsx", edit=direct), gold, rules=rule) == 1.0
    assert compare_table(book(tmp_path / "c.xlsx", edit=conditional), gold, rules=rule) == 1.0
    assert compare_table(book(tmp_path / "p.xlsx"), gold, rules=rule) == 0.0


def test_pivot_info_keys_by_source_and_shifts_fields() -> None:
    def pivot(first_used: int) -> Any:
        fields = [SimpleNamespace(items=[])] * first_used + [
            SimpleNamespace(items=[SimpleNamespace(h=None, x=0)]), SimpleNamespace(items=[SimpleNamespace(h=None, x=1)])]
        source = SimpleNamespace(type="worksheet", worksheetSource=SimpleNamespace(ref="A1:D9", sheet="Data"))
        return SimpleNamespace(pivotFields=fields, cache=SimpleNamespace(cacheSource=source), pageFields=[],
                               colFields=[], rowFields=[SimpleNamespace(x=first_used)],
                               dataFields=[SimpleNamespace(fld=first_used + 1, name="Sum", subtotal="sum",
                                                           showDataAs=None)])

    props = {"row_fields", "data_fields", "filter"}
    key_a, info_a = _pivot_info(pivot(2), props)
    key_b, info_b = _pivot_info(pivot(2), props)
    assert (key_a, info_a) == (key_b, info_b)
    assert info_a["row_fields"] == [0] and info_a["data_fields"] == ["1;;sum;None"]
    key_c, _ = _pivot_info(pivot(1), props)
    assert key_c != key_a


def test_compare_csv(tmp_path: Path) -> None:
    gold = tmp_path / "gold.csv"
    gold.write_text("a,b\n1,2\n")
    mine = tmp_path / "mine.csv"
    mine.write_text("a,b\n1,2\n")
    assert compare_csv(str(mine), str(gold)) == 1.0
    mine.write_text("A,B \n1,2\n")
    assert compare_csv(str(mine), str(gold)) == 0.0
    assert compare_csv(str(mine), str(gold), strict=False, ignore_case=True) == 1.0
    other = tmp_path / "other.csv"
    other.write_text("x\n")
    assert compare_csv(str(mine), [str(other), str(gold)], strict=False, ignore_case=True) == 1.0
    assert compare_csv(None, str(gold)) == 0.0
    with pytest.raises(CheckerError, match="compare_csv"):
        compare_csv(str(mine), str(tmp_path / "absent.csv"))


def test_compare_conference_city_in_order(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    cities = ["Montréal, QC", "New York City"] + [f"Town {i}" for i in range(19)]
    for row, city in enumerate(cities, start=2):
        wb.active.cell(row=row, column=3, value=city)
    path = tmp_path / "c.xlsx"
    wb.save(path)
    rules = {"expected": [["Montreal", "Montréal"], ["NYC", "New York"]] + [f"town {i}" for i in range(19)]}
    assert compare_conference_city_in_order(str(path), rules) == 1.0
    rules["expected"][1] = "Boston"
    assert compare_conference_city_in_order(str(path), rules) == 0.0
