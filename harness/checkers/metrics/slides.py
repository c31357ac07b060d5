"""Presentation metrics (.pptx through python-pptx): a deck against a gold deck, and single-property checks.

``compare_pptx_files`` walks both decks slide by slide and shape by shape and
fails at the first difference in what the ``examine_*`` options select.  The
comparison is positional (n-th shape against n-th shape), as in the
benchmark: a task's gold deck is the original with one edit applied, so
shape order is stable.
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass, fields
from typing import Any

from lxml import etree
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches

from harness.checkers.metrics._common import expected_path, fail, result_path, rules_of
from harness.checkers.registry import metric

_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_P = "http://schemas.openxmlformats.org/presentationml/2006/main"
_NS = {"a": _A, "p": _P}
NAME = "compare_pptx_files"


def _open_result(path: Any) -> Any:
    local = result_path(path)
    if local is None:
        return None
    try:
        return Presentation(local)
    except Exception:
        return None


def _open_gold(metric_name: str, path: Any) -> Any:
    gold = expected_path(metric_name, path)
    try:
        return Presentation(gold)
    except Exception as exc:
        raise fail(metric_name, f"cannot open the expected deck {gold}: {exc}") from None


@dataclass(frozen=True)
class _Examine:
    """What ``compare_pptx_files`` looks at; defaults as in the benchmark."""

    number_of_slides: bool = True
    shape: bool = True
    text: bool = True
    indent: bool = True
    font_name: bool = True
    font_size: bool = True
    font_bold: bool = True
    font_italic: bool = True
    color_rgb: bool = True
    font_underline: bool = True
    strike_through: bool = True
    alignment: bool = True
    bullets: bool = True
    background_color: bool = True
    note: bool = True
    title_bottom_position: bool = False
    table_bottom_position: bool = False
    right_position: bool = False
    top_position: bool = False
    shape_for_shift_size: bool = False
    image_size: bool = False
    modify_height: bool = False


def _examine(options: dict[str, Any]) -> tuple[_Examine, float]:
    tolerance = options.pop("approximately_tolerance", 0.005)
    if "examine_aligment" in options:  # a task file's spelling; it means alignment
        options.setdefault("examine_alignment", options.pop("examine_aligment"))
    known = {f"examine_{f.name}": f.name for f in fields(_Examine)}
    values = {}
    for key, value in options.items():
        if key not in known:
            raise fail(NAME, f"unknown option {key!r}")
        if not isinstance(value, bool):
            raise fail(NAME, f"option {key!r} must be true or false, got {value!r}")
        values[known[key]] = value
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)):
        raise fail(NAME, f"option 'approximately_tolerance' must be a number, got {tolerance!r}")
    return _Examine(**values), float(tolerance)


@metric("compare_pptx_files")
def compare_pptx_files(result: Any, expected: Any, **options: Any) -> float:
    """1 when the result deck matches the gold deck in everything the ``examine_*`` options select.

    Checked by default: slide count, slide background colour and notes, shape
    count, shape position and size (0.5% relative tolerance), text, paragraph
    alignment and indent level, run fonts (name, size, bold, italic, colour,
    underline, strike-through), bullets, and table cells.  The
    ``examine_*_position`` / ``examine_shape_for_shift_size`` /
    ``examine_image_size`` / ``examine_modify_height`` options replace the
    position check by the specific movement a task asks for; their constants
    (slide numbers, EMU thresholds) are the benchmark's, tied to its tasks.
    """
    examine, tolerance = _examine(dict(options))
    gold = _open_gold(NAME, expected)
    deck = _open_result(result)
    if deck is None:
        return 0.0
    if examine.number_of_slides and len(deck.slides) != len(gold.slides):
        return 0.0
    checker = _DeckCheck(examine, tolerance)
    for number, (mine, theirs) in enumerate(zip(deck.slides, gold.slides, strict=False), start=1):
        if not checker.slide(number, mine, theirs):
            return 0.0
    return 1.0


def _background(slide: Any) -> Any:
    fill = slide.background.fill
    if fill.type == 1:
        return fill.fore_color.rgb
    if fill.type == 5:
        master = slide.slide_layout.slide_master.background.fill
        return master.fore_color.rgb if master.type == 1 else None
    return None


def _notes(slide: Any) -> str:
    return str(slide.notes_slide.notes_text_frame.text or "").strip() if slide.has_notes_slide else ""


def _has_text(shape: Any) -> bool:
    return bool(getattr(shape, "has_text_frame", False))


def _text_shapes(shapes: Any) -> list[Any]:
    """Shapes with a text frame, including those inside groups, in document order."""
    found = []
    for shape in shapes:
        if _has_text(shape):
            found.append(shape)
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            found.extend(_text_shapes(shape.shapes))
    return found


def _rgb(font: Any) -> Any:
    try:
        return font.color.rgb
    except AttributeError:
        return _ABSENT


_ABSENT = object()


def _strike(run: Any) -> str:
    return str(run.font._element.attrib.get("strike", "noStrike"))


def _bullets(slide: Any) -> list[tuple[Any, str, str]]:
    """(level, bullet character, text) of each non-empty paragraph of a slide."""
    found = []
    for paragraph in slide._element.iter(f"{{{_A}}}p"):
        props = paragraph.find("a:pPr", _NS)
        level: Any = "No Level"
        char = "No Bullet"
        if props is not None:
            level = props.get("lvl") or "0"
            bullet = props.find("a:buChar", _NS)
            char = bullet.get("char") if bullet is not None else "No Bullet"
        text = "".join(t.text or "" for t in paragraph.iter(f"{{{_A}}}t"))
        if text.strip():
            found.append((level, char, text))
    return found


@dataclass
class _DeckCheck:
    examine: _Examine
    tolerance: float

    def close(self, a: int | None, b: int | None) -> bool:
        a, b = a or 0, b or 0
        if a == b:
            return True
        if a == 0 or b == 0:
            return False
        return abs(a - b) / max(abs(a), abs(b)) <= self.tolerance

    def same_box(self, s1: Any, s2: Any) -> bool:
        return all(self.close(getattr(s1, k), getattr(s2, k)) for k in ("left", "top", "width", "height"))

    def slide(self, number: int, mine: Any, theirs: Any) -> bool:
        ex = self.examine
        if ex.background_color and _background(mine) != _background(theirs):
            return False
        if ex.note and _notes(mine) != _notes(theirs):
            return False
        if len(mine.shapes) != len(theirs.shapes):
            return False
        for s1, s2 in zip(mine.shapes, theirs.shapes, strict=True):
            if not self.placement(number, s1, s2) or not self.content(s1, s2):
                return False
        if ex.bullets and _bullets(mine) != _bullets(theirs) and self._has_runs(mine):
            return False
        return self.nested_text(mine, theirs)

    @staticmethod
    def _has_runs(slide: Any) -> bool:
        return any(p.runs for s in slide.shapes if _has_text(s) for p in s.text_frame.paragraphs)

    def placement(self, number: int, s1: Any, s2: Any) -> bool:
        """Position and size, or the one movement a task-specific option asks for."""
        ex = self.examine
        pictures = s1.shape_type == MSO_SHAPE_TYPE.PICTURE and s2.shape_type == MSO_SHAPE_TYPE.PICTURE
        if ex.title_bottom_position:
            if _has_text(s1) and _has_text(s2) and s1.text == s2.text:
                if s1.text == "Product Comparison" and (s1.top <= s2.top or s1.top < 3600000):
                    return False
            elif not self.same_box(s1, s2):
                return False
        if ex.table_bottom_position:
            tables = s1.shape_type == MSO_SHAPE_TYPE.TABLE and s2.shape_type == MSO_SHAPE_TYPE.TABLE
            if number == 3 and tables:
                if s1.top <= s2.top or s1.top < 3600000:
                    return False
            elif not self.same_box(s1, s2):
                return False
        if ex.right_position and number == 2 and not _has_text(s1) and not _has_text(s2):
            if s1.left <= s2.left or s1.left < 4320000:
                return False
        if ex.top_position and number == 2 and pictures and (s1.top >= s2.top or s1.top > 1980000):
            return False
        if ex.shape_for_shift_size and not self.same_box(s1, s2):
            kept = "Elaborate on what you want to discuss."
            if not (_has_text(s1) and _has_text(s2) and s1.text == s2.text == kept):
                return False
        if ex.shape and not self.same_box(s1, s2):
            return False
        if ex.image_size:
            if pictures:
                if not (self.close(s1.width, s2.width) and self.close(s1.height, s2.height)):
                    return False
            elif not self.same_box(s1, s2):
                return False
        if ex.modify_height:
            freeform = s1.shape_type == MSO_SHAPE_TYPE.FREEFORM and s2.shape_type == MSO_SHAPE_TYPE.FREEFORM
            if (not _has_text(s1) and not _has_text(s2)) or freeform:
                if not self.close(s1.height, s2.height):
                    return False
            elif not self.same_box(s1, s2):
                return False
        return True

    def content(self, s1: Any, s2: Any) -> bool:
        if s1.shape_type == MSO_SHAPE_TYPE.TABLE and getattr(s2, "has_table", False):
            if not self.table(s1.table, s2.table):
                return False
        if not (_has_text(s1) and _has_text(s2)):
            return True
        if self.examine.text and s1.text.strip() != s2.text.strip():
            return False
        paragraphs1, paragraphs2 = s1.text_frame.paragraphs, s2.text_frame.paragraphs
        if len(paragraphs1) != len(paragraphs2):
            return False
        return all(self.paragraph(p1, p2) for p1, p2 in zip(paragraphs1, paragraphs2, strict=True))

    def paragraph(self, p1: Any, p2: Any) -> bool:
        ex = self.examine
        if ex.alignment and (p1.alignment or PP_ALIGN.LEFT) != (p2.alignment or PP_ALIGN.LEFT):
            return False
        if ex.text and p1.text != p2.text:
            return False
        if ex.indent and p1.level != p2.level:
            return False
        if len(p1.runs) != len(p2.runs):
            return False
        return all(self.run(r1, r2) for r1, r2 in zip(p1.runs, p2.runs, strict=True))

    def run(self, r1: Any, r2: Any, in_table: bool = False) -> bool:
        ex = self.examine
        f1, f2 = r1.font, r2.font
        if not in_table:
            if ex.font_name and f1.name != f2.name:
                return False
            if ex.font_size and f1.size != f2.size:
                return False
        if (in_table or ex.font_bold) and f1.bold != f2.bold and (f1.bold or f2.bold):
            return False
        if (in_table or ex.font_italic) and f1.italic != f2.italic and (f1.italic or f2.italic):
            return False
        c1, c2 = _rgb(f1), _rgb(f2)
        if ex.color_rgb and c1 is not _ABSENT and c2 is not _ABSENT and c1 != c2:
            return False
        if in_table or ex.font_underline:
            u1, u2 = f1.underline, f2.underline
            if u1 != u2 and ((u1 is not None and u2 is not None) or u1 is True or u2 is True):
                return False
        return in_table or not ex.strike_through or _strike(r1) == _strike(r2)

    def table(self, t1: Any, t2: Any) -> bool:
        if len(t1.rows) != len(t2.rows) or len(t1.columns) != len(t2.columns):
            return False
        for i in range(len(t1.rows)):
            for j in range(len(t1.columns)):
                ps1, ps2 = t1.cell(i, j).text_frame.paragraphs, t2.cell(i, j).text_frame.paragraphs
                if len(ps1) != len(ps2):
                    return False
                for p1, p2 in zip(ps1, ps2, strict=True):
                    if len(p1.runs) != len(p2.runs):
                        return False
                    if not all(self.run(r1, r2, in_table=True) for r1, r2 in zip(p1.runs, p2.runs, strict=True)):
                        return False
        return True

    def nested_text(self, mine: Any, theirs: Any) -> bool:
        """Text and alignment of every text shape, groups included (the top-level walk skips group members)."""
        shapes1, shapes2 = _text_shapes(mine.shapes), _text_shapes(theirs.shapes)
        if len(shapes1) != len(shapes2):
            return False
        if not self.examine.alignment:
            return True
        for s1, s2 in zip(shapes1, shapes2, strict=True):
            if self.examine.text and s1.text.strip() != s2.text.strip():
                return False
            ps1, ps2 = s1.text_frame.paragraphs, s2.text_frame.paragraphs
            if len(ps1) != len(ps2):
                return False
            if any((a.alignment or PP_ALIGN.LEFT) != (b.alignment or PP_ALIGN.LEFT)
                   for a, b in zip(ps1, ps2, strict=True)):
                return False
        return True


@metric("check_slide_orientation_Portrait")
def check_slide_orientation_portrait(result: Any, expected: Any = None) -> float:
    """1 when the deck's slides are taller than wide."""
    deck = _open_result(result)
    return 0.0 if deck is None else float(deck.slide_width < deck.slide_height)


def _slide_xml(path: str, member: str) -> Any:
    with zipfile.ZipFile(path) as archive:
        if member not in archive.namelist():
            return None
        return etree.fromstring(archive.read(member))


@metric("check_transition")
def check_transition(result: Any, expected: Any) -> float:
    """1 when slide ``rules.slide_idx`` (0-based) has a transition of kind ``rules.transition_type``
    (the element name in the slide XML, e.g. ``dissolve``)."""
    rules = rules_of("check_transition", expected, "slide_idx", "transition_type")
    path = result_path(result)
    if path is None:
        return 0.0
    try:
        root = _slide_xml(path, f"ppt/slides/slide{int(rules['slide_idx']) + 1}.xml")
    except (zipfile.BadZipFile, etree.XMLSyntaxError):
        return 0.0
    if root is None:
        return 0.0
    transition = root.find(".//p:transition", _NS)
    return float(transition is not None and transition.find(f".//p:{rules['transition_type']}", _NS) is not None)


def _colour_is(name: str, hex_rgb: str, margin: int = 50) -> bool:
    r, g, b = (int(hex_rgb[i:i + 2], 16) for i in (0, 2, 4))
    tests = {"red": r > g + margin and r > b + margin, "green": g > r + margin and g > b + margin,
             "blue": b > g + margin and b > r + margin, "black": max(r, g, b) < margin}
    if name not in tests:
        raise fail("check_page_number_colors", f"unknown colour {name!r} (red, green, blue or black)")
    return tests[name]


@metric("check_page_number_colors")
def check_page_number_colors(result: Any, expected: Any) -> float:
    """1 when the slide master's slide-number colour (the second-to-last explicit RGB fill in the master,
    where LibreOffice writes the number field's colour) is ``rules.color``."""
    colour = rules_of("check_page_number_colors", expected, "color")["color"]
    path = result_path(result)
    if path is None:
        return 0.0
    try:
        root = _slide_xml(path, "ppt/slideMasters/slideMaster1.xml")
    except (zipfile.BadZipFile, etree.XMLSyntaxError):
        return 0.0
    values = [] if root is None else [e.get("val") for e in root.findall(".//a:solidFill//a:srgbClr", _NS)]
    if len(values) < 2 or not values[-2]:
        return 0.0
    return float(_colour_is(str(colour), values[-2]))


def _fill_distance(slide: Any, target: list[int], original: list[int] | None) -> float:
    """Distance in [0, 1] from a slide's solid background colour to the target (1 when not solid or unchanged)."""
    fill = slide.background.fill
    if fill.type == 5:
        fill = slide.slide_layout.slide_master.background.fill
    if fill.type != 1:
        return 1.0
    try:
        rgb = list(fill.fore_color.rgb)
    except AttributeError:
        return 1.0
    if original is not None and rgb == list(original):
        return 1.0
    return math.dist(rgb, target) / math.dist((0, 0, 0), (255, 255, 255))


@metric("evaluate_presentation_fill_to_rgb_distance")
def evaluate_presentation_fill_to_rgb_distance(result: Any, expected: Any) -> float:
    """1 minus the mean distance of each slide's background colour to ``rules.rgb`` (slides still at
    ``rules.original_rgb``, or without a solid fill, count as the farthest)."""
    rules = rules_of("evaluate_presentation_fill_to_rgb_distance", expected, "rgb")
    deck = _open_result(result)
    if deck is None or not len(deck.slides):
        return 0.0
    distances = [_fill_distance(s, rules["rgb"], rules.get("original_rgb")) for s in deck.slides]
    return max(0.0, 1.0 - sum(distances) / len(distances))


@metric("check_image_stretch_and_center")
def check_image_stretch_and_center(result: Any, expected: Any) -> float:
    """1 when the original deck's first-slide picture now fills the first slide and is centred (0.5 in slack)."""
    original = _open_gold("check_image_stretch_and_center", expected)
    deck = _open_result(result)
    if deck is None:
        return 0.0
    pictures = [s for s in original.slides[0].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    if not pictures:
        raise fail("check_image_stretch_and_center", "the original deck's first slide has no picture")
    blob = pictures[0].image.blob
    moved = [s for s in deck.slides[0].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE and s.image.blob == blob]
    if not moved:
        return 0.0
    pic, width, height, slack = moved[-1], original.slide_width, original.slide_height, Inches(0.5)
    return float(abs(pic.width - width) <= slack and abs(pic.height - height) <= slack
                 and abs(pic.left - (width - pic.width) / 2) <= slack and abs(pic.top - (height - pic.height) / 2) <= slack)
