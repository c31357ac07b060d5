"""Cases for every metric that reads an office document or an image the agent saved, by the file's type.

The type comes from the task's own result getter (the path's extension), so
each metric gets files of the kind its task produces: .docx (python-docx),
.pptx (python-pptx), images (Pillow).  Each result variant (the gold file
itself, text changed, the same text split into several runs, formatting
changed, a slide or paragraph added, a missing file, a file that is not
one) is scored against the gold file, or the task's rules where the
expected getter is a rule, or alone where the task has none, as OSWorld
calls it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Pt, RGBColor
from PIL import Image, ImageEnhance, ImageOps
from pptx import Presentation
from pptx.util import Inches
from pptx.util import Pt as PptPt

from tests.differential.cases import GENERATORS, NO_EXPECTED, Case
from tests.differential.uses import Use

Variant = Callable[[Path], None]  # writes one file at the path


def _doc(paragraphs: list[str], *, split_runs: bool = False, bold: bool = False, size14_italic: bool = False,
         centered: bool = False, page_break: bool = False, table: bool = True, strike_last: bool = False,
         color_table_words: bool = False) -> Variant:
    def write(path: Path) -> None:
        d = docx.Document()
        for i, text in enumerate(paragraphs):
            p = d.add_paragraph()
            pieces = [text[: len(text) // 2], text[len(text) // 2:]] if split_runs else [text]
            for piece in pieces:
                run = p.add_run(piece)
                run.bold = bold or None
                if size14_italic:
                    run.italic, run.font.size = True, Pt(14)
                if strike_last and i == len(paragraphs) - 1:
                    run.font.strike = True
            if centered and i == 0:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if page_break and i == 0:
                p.add_run().add_break(WD_BREAK.PAGE)
        if table:
            t = d.add_table(rows=2, cols=2)
            for r, row in enumerate([["Item", "Cost"], ["pen", "2"]]):
                for c, value in enumerate(row):
                    t.cell(r, c).text = value
                    if color_table_words:
                        for run in t.cell(r, c).paragraphs[0].runs:
                            run.font.color.rgb = RGBColor(0xFF, 0, 0)
        d.save(str(path))
    return write


TEXT = ["Quarterly report", "Sales rose by 4 percent in the north.", "", "Costs fell.", "Contact: ann@example.com"]
DOCX: dict[str, Variant] = {
    "same": _doc(TEXT),
    "runs-split": _doc(TEXT, split_runs=True),
    "text-changed": _doc([*TEXT[:-1], "Contact: bob@example.com"]),
    "case-changed": _doc([t.upper() for t in TEXT]),
    "blank-removed": _doc([t for t in TEXT if t]),
    "extra-newlines": _doc([*TEXT, "", ""]),
    "bold": _doc(TEXT, bold=True),
    "italic-14": _doc(TEXT, size14_italic=True),
    "first-centered": _doc(TEXT, centered=True),
    "page-break": _doc(TEXT, page_break=True),
    "no-table": _doc(TEXT, table=False),
    "strike-last": _doc(TEXT, strike_last=True),
    "table-red": _doc(TEXT, color_table_words=True),
}


def _deck(titles: list[str], *, size: int = 28, bold: bool = False, split_runs: bool = False, moved: bool = False,
          portrait: bool = False) -> Variant:
    def write(path: Path) -> None:
        prs = Presentation()
        if portrait:
            width, height = prs.slide_width, prs.slide_height
            assert width is not None and height is not None
            prs.slide_width, prs.slide_height = height, width
        for title in titles:
            slide = prs.slides.add_slide(prs.slide_layouts[5])
            shape = slide.shapes.title
            assert shape is not None
            frame = shape.text_frame
            frame.text = ""
            para = frame.paragraphs[0]
            for piece in ([title[:3], title[3:]] if split_runs else [title]):
                run = para.add_run()
                run.text = piece
                run.font.size, run.font.bold = PptPt(size), bold or None
            box = slide.shapes.add_textbox(Inches(2 if moved else 1), Inches(2), Inches(4), Inches(1))
            box.text_frame.text = f"notes on {title}"
        prs.save(str(path))
    return write


SLIDES = ["Welcome", "Plan", "Budget"]
PPTX: dict[str, Variant] = {
    "same": _deck(SLIDES),
    "runs-split": _deck(SLIDES, split_runs=True),
    "text-changed": _deck([*SLIDES[:-1], "Costs"]),
    "font-size": _deck(SLIDES, size=32),
    "bold": _deck(SLIDES, bold=True),
    "extra-slide": _deck([*SLIDES, "Questions"]),
    "shape-moved": _deck(SLIDES, moved=True),
    "portrait": _deck(SLIDES, portrait=True),
}


def _picture(change: Callable[[Image.Image], Image.Image] | None = None) -> Variant:
    def write(path: Path) -> None:
        img = Image.new("RGB", (64, 48), (30, 120, 200))
        for x in range(0, 32):
            for y in range(10, 30):
                img.putpixel((x, y), (240, 200, 40))
        if change is not None:
            img = change(img)
        img.save(path)
    return write


IMAGES: dict[str, Variant] = {
    "same": _picture(),
    "darker": _picture(lambda i: ImageEnhance.Brightness(i).enhance(0.6)),
    "more-saturated": _picture(lambda i: ImageEnhance.Color(i).enhance(1.8)),
    "more-contrast": _picture(lambda i: ImageEnhance.Contrast(i).enhance(1.8)),
    "mirrored": _picture(ImageOps.mirror),
    "resized": _picture(lambda i: i.resize((128, 96))),
    "green": _picture(lambda i: Image.new("RGB", i.size, (0, 255, 0))),
}

KINDS: dict[str, tuple[str, dict[str, Variant]]] = {
    ".docx": (".docx", DOCX), ".pptx": (".pptx", PPTX), ".png": (".png", IMAGES), ".jpg": (".jpg", IMAGES),
    ".jpeg": (".jpg", IMAGES),
}
SKIP = {"compare_table", "compare_csv", "compare_text_file", "diff_text_file", "compare_python_pure_text",
        "compare_result_files", "check_list", "check_json", "check_json_settings", "check_json_keybindings",
        "fuzzy_place_math", "compare_conference_city_in_order", "file_contains", "check_line_number", "run_sqlite3",
        "compare_config"}


def _kind(use: Use) -> str | None:
    spec = use.result_getter or {}
    for key in ("path", "dest"):
        name = str(spec.get(key, "")).lower()
        for ext in KINDS:
            if name.endswith(ext):
                return ext
    return None


def _expected(use: Use, gold: str) -> Any:
    spec = use.expected_getter or {}
    if not spec:
        return NO_EXPECTED
    if str(spec.get("type", "")).startswith("rule"):
        return use.rules
    return gold


def file_cases(metric: str, uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for n, use in enumerate(uses):
        ext = _kind(use)
        if ext is None:
            continue
        suffix, variants = KINDS[ext]
        gold = folder / f"{n}-gold{suffix}"
        variants["same"](gold)
        expected = _expected(use, str(gold))
        for label, write in variants.items():
            path = folder / f"{n}-{label}{suffix}"
            write(path)
            cases.append(Case(metric, f"{use.task[:8]}:{label}", str(path), expected, use.options, (use.task,)))
        garbage = folder / f"{n}-garbage{suffix}"
        garbage.write_bytes(b"\x00not a document")
        for label, value in [("missing-file", str(folder / f"absent{suffix}")), ("garbage", str(garbage))]:
            cases.append(Case(metric, f"{use.task[:8]}:{label}", value, expected, use.options, (use.task,)))
    return cases


def register(all_uses: dict[str, list[Use]]) -> None:
    """A file generator for each metric whose tasks save a document or an image and that has no generator yet."""
    for metric, uses in all_uses.items():
        if metric in GENERATORS or metric in SKIP or not any(_kind(u) for u in uses):
            continue
        GENERATORS[metric] = functools.partial(file_cases, metric)
