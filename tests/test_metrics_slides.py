"""Presentation metrics on small real decks made with python-pptx."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from PIL import Image
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt

from harness.checkers.metrics.slides import (
    check_image_stretch_and_center,
    check_page_number_colors,
    check_slide_orientation_portrait,
    check_transition,
    compare_pptx_files,
    evaluate_presentation_fill_to_rgb_distance,
)
from harness.errors import CheckerError

Edit = Callable[[Any], None]


def deck(path: Path, texts: tuple[str, ...] = ("Title", "Body"), edit: Edit | None = None,
         slides: int = 1) -> str:
    prs = Presentation()
    for _ in range(slides):
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        for i, text in enumerate(texts):
            box = slide.shapes.add_textbox(Inches(1), Inches(1 + 2 * i), Inches(4), Inches(1))
            box.text_frame.text = text
    if edit is not None:
        edit(prs)
    prs.save(str(path))
    return str(path)


def first_shape(prs: Any) -> Any:
    return prs.slides[0].shapes[0]


def test_identical_decks_match(tmp_path: Path) -> None:
    gold = deck(tmp_path / "g.pptx")
    assert compare_pptx_files(deck(tmp_path / "a.pptx"), gold) == 1.0
    assert compare_pptx_files(None, gold) == 0.0
    with pytest.raises(CheckerError, match="compare_pptx_files"):
        compare_pptx_files(gold, str(tmp_path / "absent.pptx"))


@pytest.mark.parametrize("name,edit", [
    ("text", lambda prs: setattr(first_shape(prs).text_frame.paragraphs[0].runs[0], "text", "Other")),
    ("moved", lambda prs: setattr(first_shape(prs), "left", Inches(3))),
    ("bold", lambda prs: setattr(first_shape(prs).text_frame.paragraphs[0].runs[0].font, "bold", True)),
    ("size", lambda prs: setattr(first_shape(prs).text_frame.paragraphs[0].runs[0].font, "size", Pt(40))),
    ("aligned", lambda prs: setattr(first_shape(prs).text_frame.paragraphs[0], "alignment", PP_ALIGN.CENTER)),
    ("notes", lambda prs: setattr(prs.slides[0].notes_slide.notes_text_frame, "text", "Speaker notes")),
    ("extra shape", lambda prs: prs.slides[0].shapes.add_textbox(0, 0, Inches(1), Inches(1))),
])
def test_each_difference_is_caught(tmp_path: Path, name: str, edit: Edit) -> None:
    gold = deck(tmp_path / "g.pptx")
    assert compare_pptx_files(deck(tmp_path / "changed.pptx", edit=edit), gold) == 0.0, name


def colour(rgb: tuple[int, int, int]) -> Edit:
    return lambda prs: setattr(first_shape(prs).text_frame.paragraphs[0].runs[0].font.color, "rgb", RGBColor(*rgb))  # type: ignore[no-untyped-call]  # python-pptx's RGBColor.__init__ is unannotated


def test_font_colour_compared_when_both_runs_have_one(tmp_path: Path) -> None:
    gold = deck(tmp_path / "g.pptx", edit=colour((0, 0, 255)))
    assert compare_pptx_files(deck(tmp_path / "a.pptx", edit=colour((0, 0, 255))), gold) == 1.0
    assert compare_pptx_files(deck(tmp_path / "b.pptx", edit=colour((255, 0, 0))), gold) == 0.0
    assert compare_pptx_files(deck(tmp_path / "c.pptx", edit=colour((255, 0, 0))), gold, examine_color_rgb=False) == 1.0


def test_slide_count_and_options(tmp_path: Path) -> None:
    gold = deck(tmp_path / "g.pptx")
    two = deck(tmp_path / "two.pptx", slides=2)
    assert compare_pptx_files(two, gold) == 0.0
    assert compare_pptx_files(two, gold, examine_number_of_slides=False) == 1.0
    moved = deck(tmp_path / "m.pptx", edit=lambda prs: setattr(first_shape(prs), "left", Inches(3)))
    assert compare_pptx_files(moved, gold, examine_shape=False) == 1.0
    nudged = deck(tmp_path / "n.pptx", edit=lambda prs: setattr(first_shape(prs), "left", Inches(1) + Emu(100)))
    assert compare_pptx_files(nudged, gold) == 1.0
    centred = deck(tmp_path / "c.pptx", edit=lambda prs: setattr(first_shape(prs).text_frame.paragraphs[0],
                                                                  "alignment", PP_ALIGN.CENTER))
    assert compare_pptx_files(centred, gold, examine_aligment=False) == 1.0
    with pytest.raises(CheckerError, match="unknown option 'examine_colour'"):
        compare_pptx_files(gold, gold, examine_colour=False)
    with pytest.raises(CheckerError, match="must be true or false"):
        compare_pptx_files(gold, gold, examine_shape="no")


def test_modify_height_option(tmp_path: Path) -> None:
    def picture(height: int) -> Edit:
        def add(prs: Any) -> None:
            data = io.BytesIO()
            Image.new("RGB", (10, 10), "green").save(data, "PNG")
            data.seek(0)
            prs.slides[0].shapes.add_picture(data, Inches(5), Inches(1), Inches(2), Inches(height))
        return add

    gold = deck(tmp_path / "g.pptx", edit=picture(3))
    assert compare_pptx_files(deck(tmp_path / "a.pptx", edit=picture(3)), gold, examine_shape=False,
                              examine_modify_height=True) == 1.0
    assert compare_pptx_files(deck(tmp_path / "b.pptx", edit=picture(2)), gold, examine_shape=False,
                              examine_modify_height=True) == 0.0


def table_deck(path: Path, cell: str, bold: bool = False) -> str:
    def add(prs: Any) -> None:
        table = prs.slides[0].shapes.add_table(2, 2, Inches(1), Inches(5), Inches(4), Inches(1)).table
        table.cell(0, 0).text = cell
        table.cell(0, 0).text_frame.paragraphs[0].runs[0].font.bold = bold
    return deck(path, edit=add)


def test_tables(tmp_path: Path) -> None:
    gold = table_deck(tmp_path / "g.pptx", "x")
    assert compare_pptx_files(table_deck(tmp_path / "a.pptx", "x"), gold) == 1.0
    assert compare_pptx_files(table_deck(tmp_path / "b.pptx", "x", bold=True), gold) == 0.0


def test_orientation(tmp_path: Path) -> None:
    def portrait(prs: Any) -> None:
        prs.slide_width, prs.slide_height = Inches(7.5), Inches(10)

    assert check_slide_orientation_portrait(deck(tmp_path / "p.pptx", edit=portrait)) == 1.0
    assert check_slide_orientation_portrait(deck(tmp_path / "l.pptx")) == 0.0


def test_transition(tmp_path: Path) -> None:
    def dissolve(prs: Any) -> None:
        ns = "http://schemas.openxmlformats.org/presentationml/2006/main"
        transition = etree.SubElement(prs.slides[0]._element, f"{{{ns}}}transition")
        etree.SubElement(transition, f"{{{ns}}}dissolve")

    rules = {"slide_idx": 0, "transition_type": "dissolve"}
    assert check_transition(deck(tmp_path / "a.pptx", edit=dissolve), rules) == 1.0
    assert check_transition(deck(tmp_path / "b.pptx"), rules) == 0.0
    assert check_transition(deck(tmp_path / "c.pptx", edit=dissolve), {**rules, "slide_idx": 3}) == 0.0


def test_page_number_colors(tmp_path: Path) -> None:
    def with_master_colours(path: str, colours: list[str]) -> str:
        fills = "".join(f'<a:solidFill><a:srgbClr val="{c}"/></a:solidFill>' for c in colours)
        out = Path(path).with_name(Path(path).stem + "-m.pptx")
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
            for item in src.infolist():
                data = src.read(item)
                if item.filename == "ppt/slideMasters/slideMaster1.xml":
                    data = data.replace(b"</p:sldMaster>", (
                        '<p:extLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
                        f'{fills}</p:extLst></p:sldMaster>').encode())
                dst.writestr(item, data)
        return str(out)

    base = deck(tmp_path / "d.pptx")
    assert check_page_number_colors(with_master_colours(base, ["FF0000", "000000"]), {"color": "red"}) == 1.0
    assert check_page_number_colors(with_master_colours(base, ["0000FF", "000000"]), {"color": "red"}) == 0.0
    with pytest.raises(CheckerError, match="unknown colour"):
        check_page_number_colors(with_master_colours(base, ["0000FF", "000000"]), {"color": "pink"})


def test_fill_distance(tmp_path: Path) -> None:
    def background(rgb: tuple[int, int, int]) -> Edit:
        def edit(prs: Any) -> None:
            fill = prs.slides[0].background.fill
            fill.solid()
            fill.fore_color.rgb = RGBColor(*rgb)  # type: ignore[no-untyped-call]  # unannotated in python-pptx
        return edit

    rules = {"rgb": [0, 0, 255]}
    assert evaluate_presentation_fill_to_rgb_distance(deck(tmp_path / "a.pptx", edit=background((0, 0, 255))),
                                                      rules) == pytest.approx(1.0)
    far = evaluate_presentation_fill_to_rgb_distance(deck(tmp_path / "b.pptx", edit=background((255, 255, 0))), rules)
    assert far < 0.5
    assert evaluate_presentation_fill_to_rgb_distance(deck(tmp_path / "c.pptx", edit=background((0, 0, 255))),
                                                      {**rules, "original_rgb": [0, 0, 255]}) == 0.0


def test_image_stretch_and_center(tmp_path: Path) -> None:
    data = io.BytesIO()
    Image.new("RGB", (10, 10), "purple").save(data, "PNG")

    def picture(full: bool) -> Edit:
        def add(prs: Any) -> None:
            data.seek(0)
            if full:
                prs.slides[0].shapes.add_picture(data, 0, 0, prs.slide_width, prs.slide_height)
            else:
                prs.slides[0].shapes.add_picture(data, Inches(1), Inches(1), Inches(1), Inches(1))
        return add

    original = deck(tmp_path / "o.pptx", edit=picture(False))
    assert check_image_stretch_and_center(deck(tmp_path / "a.pptx", edit=picture(True)), original) == 1.0
    assert check_image_stretch_and_center(deck(tmp_path / "b.pptx", edit=picture(False)), original) == 0.0
