"""Word-processor metrics on small real .docx files made with python-docx (and a hand-made .odt)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.enum.text import WD_BREAK, WD_PARAGRAPH_ALIGNMENT, WD_TAB_ALIGNMENT
from docx.shared import Inches, Pt
from PIL import Image

from harness.checkers.metrics.docs import (
    check_highlighted_words,
    check_italic_font_size_14,
    check_tabstops,
    compare_contains_image,
    compare_docx_files,
    compare_docx_files_and_ignore_new_lines,
    compare_docx_images,
    compare_docx_lines,
    compare_docx_tables,
    compare_font_names,
    compare_line_spacing,
    compare_references,
    compare_subscript_contains,
    contains_page_break,
    evaluate_strike_through_last_paragraph,
    fuzzy_place_math,
    has_page_numbers_in_footers,
    is_first_line_centered,
)
from harness.checkers.semantics import ReferenceCrash, scoring_under
from harness.errors import CheckerError

from .checker_support import task_file_options


def docx(path: Path, paragraphs: list[str], edit: Callable[[Any], None] | None = None) -> str:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    if edit is not None:
        edit(doc)
    doc.save(str(path))
    return str(path)


TEXT = ["Hello  world", "Second line"]


def test_compare_docx_files_default_squeezes_blanks(tmp_path: Path) -> None:
    gold = docx(tmp_path / "g.docx", TEXT)
    assert compare_docx_files(docx(tmp_path / "a.docx", ["Hello world", "Second   line"]), gold) == 1.0
    assert compare_docx_files(docx(tmp_path / "b.docx", ["Hello world", "Second lines"]), gold) == 0.0
    assert compare_docx_files(None, gold) == 0.0
    with pytest.raises(CheckerError, match="compare_docx_files"):
        compare_docx_files(gold, str(tmp_path / "absent.docx"))


def test_compare_docx_files_options(tmp_path: Path) -> None:
    gold = docx(tmp_path / "g.docx", TEXT)
    spaced = docx(tmp_path / "s.docx", ["Hello world", "Second line"])
    assert compare_docx_files(spaced, gold, ignore_blanks=False) == 0.0
    assert compare_docx_files(docx(tmp_path / "same.docx", TEXT), gold, ignore_blanks=False) == 1.0
    upper = docx(tmp_path / "u.docx", ["HELLO world", "second LINE"])
    assert compare_docx_files(upper, gold) == 0.0
    assert compare_docx_files(upper, gold, ignore_case=True) == 1.0
    swapped = docx(tmp_path / "w.docx", ["Second line", "Hello  world"])
    assert compare_docx_files(swapped, gold) == 0.0
    assert compare_docx_files(swapped, gold, ignore_order=True) == 1.0
    near = compare_docx_files(docx(tmp_path / "n.docx", ["Hello world", "Second lime"]), gold, content_only=True)
    assert 0.9 < near < 1.0
    with pytest.raises(CheckerError, match="option 'ignore_case'"):
        compare_docx_files(gold, gold, **task_file_options(ignore_case="yes"))


def test_compare_docx_files_odt(tmp_path: Path) -> None:
    def odt(path: Path, body: str) -> str:
        content = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                   'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
                   f'{body}</office:text></office:body></office:document-content>')
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("content.xml", content)
        return str(path)

    gold = odt(tmp_path / "g.odt", "<text:p>Hello <text:span>world</text:span></text:p>")
    assert compare_docx_files(odt(tmp_path / "a.odt", "<text:p>Hello world</text:p>"), gold) == 1.0
    assert compare_docx_files(odt(tmp_path / "b.odt", "<text:p>Hello there</text:p>"), gold) == 0.0


def test_highlighted_words_in_odt(tmp_path: Path) -> None:
    def odt(path: Path, colour: str) -> str:
        content = (
            '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
            'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
            'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"><office:automatic-styles>'
            f'<style:style style:name="T1"><style:text-properties fo:background-color="{colour}"/></style:style>'
            '</office:automatic-styles><office:body><office:text><text:p>Say <text:span text:style-name="T1">hi'
            '</text:span></text:p></office:text></office:body></office:document-content>')
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("content.xml", content)
        return str(path)

    gold = odt(tmp_path / "g.odt", "transparent")
    assert check_highlighted_words(odt(tmp_path / "clean.odt", "transparent"), gold) == 1.0
    assert check_highlighted_words(odt(tmp_path / "marked.odt", "#ffff00"), gold) == 0.0


def test_ignore_new_lines_and_lines(tmp_path: Path) -> None:
    gold = docx(tmp_path / "g.docx", ["One", "Two"])
    gapped = docx(tmp_path / "a.docx", ["One", "", "Two"])
    assert compare_docx_files_and_ignore_new_lines(gapped, gold, ignore_blanks=False) == 1.0
    assert compare_docx_files_and_ignore_new_lines(docx(tmp_path / "b.docx", ["One", "Three"]), gold) == 0.0
    assert compare_docx_lines(docx(tmp_path / "c.docx", ["Two", " One "]), gold) == 1.0
    assert compare_docx_lines(docx(tmp_path / "d.docx", ["Two"]), gold) == 0.0


def table_doc(path: Path, cells: list[list[str]]) -> str:
    def add(doc: Any) -> None:
        table = doc.add_table(rows=len(cells), cols=len(cells[0]))
        for i, row in enumerate(cells):
            for j, text in enumerate(row):
                table.cell(i, j).text = text
    return docx(path, ["Intro"], add)


def test_compare_docx_tables(tmp_path: Path) -> None:
    gold = table_doc(tmp_path / "g.docx", [["a", "b"], ["c", "d"]])
    assert compare_docx_tables(table_doc(tmp_path / "a.docx", [["a ", "b"], ["c", "d"]]), gold) == 1.0
    assert compare_docx_tables(table_doc(tmp_path / "b.docx", [["a", "b"], ["c", "x"]]), gold) == 0.0
    assert compare_docx_tables(table_doc(tmp_path / "c.docx", [["a", "b", "e"], ["c", "d", "f"]]), gold) == 0.0


def spacing(value: float) -> Callable[[Any], None]:
    def edit(doc: Any) -> None:
        for p in doc.paragraphs:
            p.paragraph_format.line_spacing = value
    return edit


def test_compare_line_spacing(tmp_path: Path) -> None:
    gold = docx(tmp_path / "g.docx", TEXT, spacing(2.0))
    assert compare_line_spacing(docx(tmp_path / "a.docx", TEXT, spacing(2.0)), gold) == 1.0
    assert compare_line_spacing(docx(tmp_path / "b.docx", TEXT, spacing(1.5)), gold) == 0.0
    assert compare_line_spacing(docx(tmp_path / "c.docx", ["Other"], spacing(2.0)), gold) == 0.0


def test_page_numbers_in_footers(tmp_path: Path) -> None:
    def footer(text: str) -> Callable[[Any], None]:
        return lambda doc: setattr(doc.sections[0].footer.paragraphs[0], "text", text)

    assert has_page_numbers_in_footers(docx(tmp_path / "a.docx", TEXT, footer("Page 3"))) == 1.0
    assert has_page_numbers_in_footers(docx(tmp_path / "b.docx", TEXT, footer("Page"))) == 0.0


def test_first_line_centered_and_fonts(tmp_path: Path) -> None:
    def center(doc: Any) -> None:
        doc.paragraphs[0].alignment = WD_PARAGRAPH_ALIGNMENT.CENTER

    def font(name: str) -> Callable[[Any], None]:
        def edit(doc: Any) -> None:
            for p in doc.paragraphs:
                for run in p.runs:
                    run.font.name = name
        return edit

    assert is_first_line_centered(docx(tmp_path / "a.docx", TEXT, center)) == 1.0
    assert is_first_line_centered(docx(tmp_path / "b.docx", TEXT)) == 0.0
    rules = {"font_name": "Times New Roman"}
    assert compare_font_names(docx(tmp_path / "c.docx", TEXT, font("Times New Roman")), rules) == 1.0
    assert compare_font_names(docx(tmp_path / "d.docx", TEXT, font("Arial")), rules) == 0.0
    with pytest.raises(CheckerError, match="compare_font_names"):
        compare_font_names(str(tmp_path / "c.docx"), {})


def test_contains_page_break(tmp_path: Path) -> None:
    def page_break(doc: Any) -> None:
        doc.paragraphs[0].runs[0].add_break(WD_BREAK.PAGE)

    path = docx(tmp_path / "a.docx", TEXT, page_break)
    with pytest.raises(ReferenceCrash):  # osworld: OSWorld's function cannot run without rules
        contains_page_break(path)
    assert contains_page_break(path, {"page_break_count": 1}) == 1.0
    assert contains_page_break(path, {"page_break_count": 2}) == 0.0
    with scoring_under("strict"):  # deviation page-break-without-rules
        assert contains_page_break(path) == 1.0
        assert contains_page_break(docx(tmp_path / "b.docx", TEXT)) == 0.0


def run_format(**props: Any) -> Callable[[Any], None]:
    def edit(doc: Any) -> None:
        run = doc.paragraphs[-1].runs[0]
        for key, value in props.items():
            if key == "size":
                run.font.size = Pt(value)
            else:
                setattr(run.font, key, value)
    return edit


def test_strike_italic_subscript(tmp_path: Path) -> None:
    gold = docx(tmp_path / "g.docx", TEXT, run_format(strike=True, subscript=True))
    struck = docx(tmp_path / "a.docx", TEXT, run_format(strike=True))
    assert evaluate_strike_through_last_paragraph(struck, gold) == 1.0
    assert evaluate_strike_through_last_paragraph(docx(tmp_path / "b.docx", TEXT), gold) == 0.0
    assert check_italic_font_size_14(docx(tmp_path / "c.docx", TEXT, run_format(italic=True, size=14)), gold) == 1.0
    assert check_italic_font_size_14(docx(tmp_path / "d.docx", TEXT, run_format(italic=True, size=12)), gold) == 0.0
    assert compare_subscript_contains(docx(tmp_path / "e.docx", TEXT, run_format(subscript=True)), gold) == 1.0
    assert compare_subscript_contains(struck, gold) == 0.0


def picture_doc(path: Path, colour: str | None) -> str:
    def add(doc: Any) -> None:
        if colour is not None:
            data = io.BytesIO()
            Image.new("RGB", (8, 8), colour).save(data, "PNG")
            data.seek(0)
            doc.paragraphs[0].add_run().add_picture(data, width=Inches(0.5))
        else:
            doc.paragraphs[0].add_run("no picture here")
    return docx(path, ["x"], add)


def test_docx_images(tmp_path: Path) -> None:
    gold = picture_doc(tmp_path / "g.docx", "red")
    assert compare_docx_images(picture_doc(tmp_path / "a.docx", "red"), gold) == 1.0
    assert compare_docx_images(picture_doc(tmp_path / "b.docx", "blue"), gold) == 0.0
    assert compare_contains_image(picture_doc(tmp_path / "c.docx", "blue"), gold) == 1.0
    assert compare_contains_image(picture_doc(tmp_path / "d.docx", None), gold) == 0.0


def tabs(position: float) -> Callable[[Any], None]:
    def edit(doc: Any) -> None:
        for p in doc.paragraphs:
            p.paragraph_format.tab_stops.add_tab_stop(Inches(position), WD_TAB_ALIGNMENT.RIGHT)
    return edit


def test_check_tabstops(tmp_path: Path) -> None:
    lines = ["one two three\t1", "four five six\t2"]
    gold = docx(tmp_path / "g.docx", lines, tabs(5.0))
    assert check_tabstops(docx(tmp_path / "a.docx", lines, tabs(5.0)), gold, word_number_split_by_tabstop=3) == 1.0
    shifted = check_tabstops(docx(tmp_path / "b.docx", lines, tabs(4.0)), gold)
    assert 0.0 < shifted < 1.0
    assert check_tabstops(docx(tmp_path / "c.docx", lines), gold) == 0.0
    assert check_tabstops(docx(tmp_path / "d.docx", lines, tabs(5.0)), gold, word_number_split_by_tabstop=2) == 0.0


def test_compare_references(tmp_path: Path) -> None:
    gold = docx(tmp_path / "g.docx", ["Body", "References", "A. Author. Title. 2020.", "B. Writer. Book. 2021."])
    same = docx(tmp_path / "a.docx", ["Body", "References", "A. Author. Title. 2020.", "B. Writer. Book. 2021."])
    assert compare_references(same, gold, reference_base_result=0.5) == 1.0
    messy = docx(tmp_path / "b.docx", ["Body", "References", "Author A, Title (2020)", "Writer B, Book (2021)"])
    assert compare_references(messy, gold, reference_base_result=0.92) == 0.0
    assert compare_references(docx(tmp_path / "c.docx", ["Body"]), gold) == 0.0


def test_fuzzy_place_math(tmp_path: Path) -> None:
    rules = {"expected": ["alpha", "beta", "gamma"]}
    assert fuzzy_place_math(docx(tmp_path / "a.docx", ["alpha beta", "gamma"]), rules) == 1.0
    assert fuzzy_place_math(docx(tmp_path / "b.docx", ["alpha beta"]), rules) == 0.0
    partial = fuzzy_place_math(docx(tmp_path / "c.docx", ["alpha beta gamxx"]), rules)
    assert 0.5 < partial < 1.0


def test_delta_e_2000_reference_pairs() -> None:
    from harness.checkers.metrics.docs import delta_e_2000

    assert delta_e_2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert delta_e_2000((50, 2.5, 0), (73, 25, -18)) == pytest.approx(27.1492, abs=1e-4)


def test_evaluate_colored_words_in_tables(tmp_path: Path) -> None:
    from docx.shared import RGBColor

    from harness.checkers.metrics.docs import evaluate_colored_words_in_tables

    def coloured(vowel: tuple[int, int, int]) -> Callable[[Any], None]:
        def add(doc: Any) -> None:
            table = doc.add_table(rows=1, cols=2)
            for cell, word, rgb in ((table.cell(0, 0), "apple", vowel), (table.cell(0, 1), "tree", (0, 0, 255))):
                run = cell.paragraphs[0].add_run(word)
                run.font.color.rgb = RGBColor(*rgb)
        return add

    gold = docx(tmp_path / "g.docx", ["Words"], coloured((255, 0, 0)))
    assert evaluate_colored_words_in_tables(docx(tmp_path / "a.docx", ["Words"], coloured((254, 1, 0))), gold) == 1.0
    assert evaluate_colored_words_in_tables(docx(tmp_path / "b.docx", ["Words"], coloured((0, 0, 255))), gold) == 0.0
