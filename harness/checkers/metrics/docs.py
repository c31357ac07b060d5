"""Word-processor metrics: .docx (python-docx) and .odt (its content.xml) against a gold document or rules.

Most compare the *text* of paragraphs, because that is what survives an
application's save faithfully; formatting checks (line spacing, fonts,
strike-through, tab stops) look at the one property a task is about, after
the text has been checked to be the gold text.  A result file that is
missing or cannot be opened scores 0; a gold file that cannot be opened is a
``CheckerError``.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.text import WD_PARAGRAPH_ALIGNMENT, WD_TAB_ALIGNMENT
from lxml import etree
from PIL import Image

from harness.checkers.metrics._common import (
    expected_path,
    fail,
    normalized_score,
    option,
    result_path,
    rules_of,
    similarity,
)
from harness.checkers.registry import metric
from harness.checkers.semantics import ReferenceCrash, corrects

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODF_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_ODF_FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"


def _open_result(path: Any) -> Any:
    """The agent's document, or None when it is missing or not a readable .docx."""
    local = result_path(path)
    if local is None:
        return None
    try:
        return Document(local)
    except Exception:
        return None


def _open_gold(metric_name: str, path: Any) -> Any:
    gold = expected_path(metric_name, path)
    try:
        return Document(gold)
    except Exception as exc:
        raise fail(metric_name, f"cannot open the expected document {gold}: {exc}") from None


def _odt_paragraphs(path: str) -> list[str]:
    """Paragraph texts of an .odt: text directly in ``text:p`` and directly in its ``text:span`` children."""
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("content.xml"))
    span = f"{{{_ODF_TEXT}}}span"
    texts = []
    for paragraph in root.iter(f"{{{_ODF_TEXT}}}p"):
        parts = [paragraph.text or ""]
        for child in paragraph:
            if child.tag == span:
                parts.append(child.text or "")
                parts.extend(grandchild.tail or "" for grandchild in child)
            parts.append(child.tail or "")
        texts.append("".join(parts))
    return texts


def _paragraphs(metric_name: str, path: Any, gold: bool) -> list[str] | None:
    """Paragraph texts of a .docx or .odt; None for an unreadable result."""
    local = expected_path(metric_name, path) if gold else result_path(path)
    if local is None:
        return None
    try:
        if local.lower().endswith(".odt"):
            return _odt_paragraphs(local)
        return [p.text for p in Document(local).paragraphs]
    except Exception as exc:
        if gold:
            raise fail(metric_name, f"cannot open the expected document {local}: {exc}") from None
        return None


def _squeeze(paragraphs: list[str]) -> str:
    return re.sub(r"\s+", " ", "\n".join(paragraphs)).strip()


@metric("compare_docx_files")
def compare_docx_files(result: Any, expected: Any, ignore_blanks: bool = True, ignore_case: bool = False,
                       ignore_order: bool = False, content_only: bool = False, fuzzy_match: bool = False,
                       delete_empty_lines: bool = False) -> float:
    """Whether a document has the gold document's text.

    Default: the paragraphs joined, with every run of blank space squeezed to
    one space, are equal (so re-wrapping lines does not matter).
    ``ignore_blanks=False`` compares paragraph by paragraph instead;
    ``ignore_case``, ``ignore_order`` (sort paragraphs), ``delete_empty_lines``
    relax it; ``fuzzy_match`` gives edit-distance credit; ``content_only``
    always gives the edit-distance similarity of the squeezed texts.
    Both files must be .docx, or both .odt.
    """
    name = "compare_docx_files"
    for key, value in (("ignore_blanks", ignore_blanks), ("ignore_case", ignore_case),
                       ("ignore_order", ignore_order), ("content_only", content_only),
                       ("fuzzy_match", fuzzy_match), ("delete_empty_lines", delete_empty_lines)):
        option(name, key, value, bool)
    gold = _paragraphs(name, expected, gold=True)
    mine = _paragraphs(name, result, gold=False)
    if mine is None or gold is None:
        return 0.0
    if Path(str(result)).suffix.lower() != Path(str(expected)).suffix.lower():
        return 0.0
    if ignore_order:
        mine, gold = sorted(mine), sorted(gold)
    if delete_empty_lines:
        mine, gold = [p for p in mine if p.strip()], [p for p in gold if p.strip()]
    if content_only or ignore_blanks:
        a, b = _squeeze(mine), _squeeze(gold)
        if ignore_case:
            a, b = a.lower(), b.lower()
        if content_only or fuzzy_match:
            return similarity(a, b)
        return float(a == b)
    if len(mine) != len(gold):
        return 0.0
    if ignore_case:
        mine, gold = [p.lower() for p in mine], [p.lower() for p in gold]
    if fuzzy_match:
        return sum(similarity(a, b) for a, b in zip(mine, gold, strict=True)) / len(mine) if mine else 1.0
    return float(mine == gold)


def _text_matches(result: Any, expected: Any) -> bool:
    """The gate several formatting checks share: the text must first be the gold text."""
    return compare_docx_files(result, expected) == 1.0


@metric("compare_docx_files_and_ignore_new_lines")
def compare_docx_files_and_ignore_new_lines(result: Any, expected: Any, ignore_blanks: bool = True) -> float:
    """Like ``compare_docx_files`` but empty paragraphs are dropped first (extra blank lines do not matter)."""
    name = "compare_docx_files_and_ignore_new_lines"
    option(name, "ignore_blanks", ignore_blanks, bool)
    gold = _paragraphs(name, expected, gold=True)
    mine = _paragraphs(name, result, gold=False)
    if mine is None or gold is None:
        return 0.0
    mine, gold = [p for p in mine if p != ""], [p for p in gold if p != ""]
    if ignore_blanks:
        return float(_squeeze(mine) == _squeeze(gold))
    return float(mine == gold)


@metric("compare_docx_lines")
def compare_docx_lines(result: Any, expected: Any) -> float:
    """1 when both documents have the same set of non-empty (stripped) lines, in any order."""
    gold = _paragraphs("compare_docx_lines", expected, gold=True)
    mine = _paragraphs("compare_docx_lines", result, gold=False)
    if mine is None or gold is None:
        return 0.0
    return float({p.strip() for p in mine if p.strip()} == {p.strip() for p in gold if p.strip()})


@metric("compare_docx_tables")
def compare_docx_tables(result: Any, expected: Any) -> float:
    """1 when both documents have the same tables: same count, same shape, same stripped cell texts."""
    gold = _open_gold("compare_docx_tables", expected)
    doc = _open_result(result)
    if doc is None:
        return 0.0
    if len(doc.tables) != len(gold.tables):
        return 0.0
    for mine, theirs in zip(doc.tables, gold.tables, strict=True):
        if len(mine.rows) != len(theirs.rows) or len(mine.columns) != len(theirs.columns):
            return 0.0
        for i in range(len(mine.rows)):
            for j in range(len(mine.columns)):
                if mine.cell(i, j).text.strip() != theirs.cell(i, j).text.strip():
                    return 0.0
    return 1.0


@metric("compare_line_spacing")
def compare_line_spacing(result: Any, expected: Any) -> float:
    """1 when the text is the gold text and every paragraph has the gold paragraph's line spacing."""
    gold = _open_gold("compare_line_spacing", expected)
    doc = _open_result(result)
    if doc is None or not _text_matches(result, expected):
        return 0.0
    if len(doc.paragraphs) != len(gold.paragraphs):
        return 0.0
    return float(all(a.paragraph_format.line_spacing == b.paragraph_format.line_spacing
                     for a, b in zip(doc.paragraphs, gold.paragraphs, strict=True)))


@metric("has_page_numbers_in_footers")
def has_page_numbers_in_footers(result: Any, expected: Any = None) -> float:
    """1 when every section's footer begins with a paragraph showing a digit (a rendered page number field)."""
    doc = _open_result(result)
    if doc is None:
        return 0.0
    for section in doc.sections:
        paragraphs = section.footer.paragraphs
        text = paragraphs[0].text if paragraphs else ""
        if not any(ch.isdigit() for ch in text):
            return 0.0
    return 1.0


@metric("is_first_line_centered")
def is_first_line_centered(result: Any, expected: Any = None) -> float:
    """1 when the first paragraph is centre-aligned."""
    doc = _open_result(result)
    if doc is None or not doc.paragraphs:
        return 0.0
    return float(doc.paragraphs[0].paragraph_format.alignment == WD_PARAGRAPH_ALIGNMENT.CENTER)


@metric("compare_font_names")
def compare_font_names(result: Any, expected: Any) -> float:
    """1 when every run of every body paragraph names the font ``rules.font_name``."""
    font = rules_of("compare_font_names", expected, "font_name")["font_name"]
    doc = _open_result(result)
    if doc is None:
        return 0.0
    return float(all(run.font.name == font for p in doc.paragraphs for run in p.runs))


def _page_breaks(doc: Any) -> int:
    return sum(1 for p in doc.paragraphs for run in p.runs
               for br in run.element.iter(f"{{{_W}}}br") if br.get(f"{{{_W}}}type") == "page")


@metric("contains_page_break")
def contains_page_break(result: Any, expected: Any = None) -> float:
    """1 when the body holds a manual page break (and exactly ``rules.page_break_count`` of them, if given)."""
    if expected is None and not corrects("page-break-without-rules"):
        raise ReferenceCrash("OSWorld's contains_page_break needs a rules argument this task does not give "
                             "(TypeError)")
    wanted = expected.get("page_break_count") if isinstance(expected, dict) else None
    doc = _open_result(result)
    if doc is None:
        return 0.0
    count = _page_breaks(doc)
    if wanted is not None and count != wanted:
        return 0.0
    return float(count > 0)


@metric("evaluate_strike_through_last_paragraph")
def evaluate_strike_through_last_paragraph(result: Any, expected: Any) -> float:
    """1 when the text is the gold text and every run of the last paragraph is struck through."""
    _open_gold("evaluate_strike_through_last_paragraph", expected)
    doc = _open_result(result)
    if doc is None or not doc.paragraphs or not _text_matches(result, expected):
        return 0.0
    return float(all(run.font.strike for run in doc.paragraphs[-1].runs))


@metric("check_italic_font_size_14")
def check_italic_font_size_14(result: Any, expected: Any) -> float:
    """1 when the text is the gold text and every italic run has an explicit 14 pt size."""
    _open_gold("check_italic_font_size_14", expected)
    doc = _open_result(result)
    if doc is None or not _text_matches(result, expected):
        return 0.0
    italic = [run for p in doc.paragraphs for run in p.runs if run.italic]
    return float(all(run.font.size is not None and run.font.size.pt == 14 for run in italic))


@metric("compare_subscript_contains")
def compare_subscript_contains(result: Any, expected: Any) -> float:
    """1 when some run, at the same paragraph and run position in both documents, is subscript in both."""
    gold = _open_gold("compare_subscript_contains", expected)
    doc = _open_result(result)
    if doc is None:
        return 0.0
    for mine, theirs in zip(doc.paragraphs, gold.paragraphs, strict=False):
        for a, b in zip(mine.runs, theirs.runs, strict=False):
            if a.font.subscript and b.font.subscript:
                return 1.0
    return 0.0


@metric("compare_contains_image")
def compare_contains_image(result: Any, expected: Any) -> float:
    """1 when runs at the same positions agree on holding a picture (a ``graphicData`` element) or not."""
    gold = _open_gold("compare_contains_image", expected)
    doc = _open_result(result)
    if doc is None:
        return 0.0
    for mine, theirs in zip(doc.paragraphs, gold.paragraphs, strict=False):
        for a, b in zip(mine.runs, theirs.runs, strict=False):
            if ("graphicData" in a._element.xml) != ("graphicData" in b._element.xml):
                return 0.0
    return 1.0


def _images(doc: Any) -> list[bytes]:
    return [rel.target_part.blob for rel in doc.part.rels.values() if "image" in rel.reltype]


@metric("compare_docx_images")
def compare_docx_images(result: Any, expected: Any) -> float:
    """1 when both documents embed the same number of images with identical decoded pixels."""
    gold = _open_gold("compare_docx_images", expected)
    doc = _open_result(result)
    if doc is None:
        return 0.0
    mine, theirs = _images(doc), _images(gold)
    if len(mine) != len(theirs):
        return 0.0
    for a, b in zip(mine, theirs, strict=True):
        try:
            if Image.open(io.BytesIO(a)).tobytes() != Image.open(io.BytesIO(b)).tobytes():
                return 0.0
        except OSError:
            return 0.0
    return 1.0


def _tab_stops(paragraph: Any) -> list[Any]:
    """Tab stops that matter: not cleared ones, not a default left stop at position 0."""
    return [t for t in paragraph.paragraph_format.tab_stops
            if not (t.alignment == WD_TAB_ALIGNMENT.CLEAR or (t.alignment == WD_TAB_ALIGNMENT.LEFT and t.position == 0))]


@metric("check_tabstops")
def check_tabstops(result: Any, expected: Any, word_number_split_by_tabstop: int | None = None,
                   index: int = 0) -> float:
    """How closely the non-empty paragraphs' tab stops match the gold's: 1 minus the mean position error
    relative to the text width; 0 when counts or alignments differ.  With ``word_number_split_by_tabstop``,
    each paragraph's ``index``-th tab-separated part must also have exactly that many words."""
    name = "check_tabstops"
    option(name, "index", index, int)
    if word_number_split_by_tabstop is not None:
        option(name, "word_number_split_by_tabstop", word_number_split_by_tabstop, int)
    gold = _open_gold(name, expected)
    doc = _open_result(result)
    if doc is None:
        return 0.0
    mine = [p for p in doc.paragraphs if p.text.strip()]
    theirs = [p for p in gold.paragraphs if p.text.strip()]
    if len(mine) != len(theirs) or not mine:
        return 0.0
    if word_number_split_by_tabstop is not None:
        for p in mine:
            parts = p.text.split("\t")
            if index >= len(parts) or len(parts[index].split()) != word_number_split_by_tabstop:
                return 0.0
    section = gold.sections[0]
    width = section.page_width - section.left_margin - section.right_margin
    penalty = 0.0
    for a, b in zip(mine, theirs, strict=True):
        tabs_a, tabs_b = _tab_stops(a), _tab_stops(b)
        if len(tabs_a) != len(tabs_b) or any(x.alignment != y.alignment for x, y in zip(tabs_a, tabs_b, strict=True)):
            return 0.0
        penalty += sum(abs(x.position - y.position) for x, y in zip(tabs_a, tabs_b, strict=True)) / width
    return max(0.0, 1.0 - penalty / len(mine))


@metric("compare_references")
def compare_references(result: Any, expected: Any, content_only: bool = False, reference_indicator: str = "References",
                       reference_base_result: float = 0.5) -> float:
    """Similarity of the reference lists (paragraphs after the ``reference_indicator`` heading), rescaled so
    that ``reference_base_result`` (the similarity of an untouched list) scores 0 and identical lists 1.

    ``content_only`` is accepted for compatibility with the task files and has no effect.
    """
    name = "compare_references"
    option(name, "reference_base_result", reference_base_result, (int, float))
    option(name, "reference_indicator", reference_indicator, str)
    option(name, "content_only", content_only, bool)
    gold = _paragraphs(name, expected, gold=True)
    mine = _paragraphs(name, result, gold=False)
    if mine is None or gold is None:
        return 0.0
    if reference_indicator not in mine or reference_indicator not in gold:
        return float(reference_indicator not in mine and reference_indicator not in gold)
    refs_a = [p for p in mine[mine.index(reference_indicator) + 1:] if p.strip()]
    refs_b = [p for p in gold[gold.index(reference_indicator) + 1:] if p.strip()]
    if len(refs_a) != len(refs_b):
        return 0.0
    if not refs_a:
        return 1.0
    mean = sum(similarity(a, b) for a, b in zip(refs_a, refs_b, strict=True)) / len(refs_a)
    return normalized_score(mean, float(reference_base_result))


@metric("fuzzy_place_math")
def fuzzy_place_math(result: Any, expected: Any) -> float:
    """The document must hold exactly three words (blank-separated); the score is their mean best
    edit-distance similarity to the accepted answers in ``rules.expected``."""
    answers = rules_of("fuzzy_place_math", expected, "expected")["expected"]
    doc = _open_result(result)
    if doc is None:
        return 0.0
    words = [w for p in doc.paragraphs for w in p.text.split()]
    if len(words) != 3:
        return 0.0
    return sum(max((similarity(w, str(a)) for a in answers), default=0.0) for w in words) / 3


def _odt_highlighted(path: str, colour: str = "#ffff00") -> bool:
    """Whether some span of an .odt uses an automatic style with the given background colour."""
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("content.xml"))
    marked = set()
    for style in root.iter(f"{{{_ODF_STYLE}}}style"):
        for props in style.iter(f"{{{_ODF_STYLE}}}text-properties"):
            if (props.get(f"{{{_ODF_FO}}}background-color") or "").lower() == colour:
                marked.add(style.get(f"{{{_ODF_STYLE}}}name"))
    return any(span.get(f"{{{_ODF_TEXT}}}style-name") in marked for span in root.iter(f"{{{_ODF_TEXT}}}span"))


@metric("check_highlighted_words")
def check_highlighted_words(result: Any, expected: Any) -> float:
    """1 when the .odt has the gold text and no yellow-highlighted span is left."""
    if not compare_docx_files(result, expected) == 1.0:
        return 0.0
    path = result_path(result)
    if path is None:
        return 0.0
    try:
        return float(not _odt_highlighted(path))
    except (KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return 0.0


def _lab(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """sRGB (0-255) to CIELAB under D65, the conversion colour-difference formulas are defined on."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in rgb)]
    matrix = ((0.412453, 0.357580, 0.180423), (0.212671, 0.715160, 0.072169), (0.019334, 0.119193, 0.950227))
    white = (0.95047, 1.0, 1.08883)
    x, y, z = (sum(m * c for m, c in zip(row, linear, strict=True)) / w for row, w in zip(matrix, white, strict=True))
    f = [t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def delta_e_2000(lab1: tuple[float, float, float], lab2: tuple[float, float, float]) -> float:
    """CIEDE2000 colour difference: about 1 is the smallest difference a person notices."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean ** 7 / (c_mean ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p, h2p = math.atan2(b1, a1p) % (2 * math.pi), math.atan2(b2, a2p) % (2 * math.pi)
    dh = 0.0 if c1p * c2p == 0 else h2p - h1p
    if abs(dh) > math.pi:
        dh -= math.copysign(2 * math.pi, dh)
    d_l, d_c, d_h = l2 - l1, c2p - c1p, 2 * math.sqrt(c1p * c2p) * math.sin(dh / 2)
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    h_sum = h1p + h2p
    if c1p * c2p == 0:
        h_mean = h_sum
    elif abs(h1p - h2p) <= math.pi:
        h_mean = h_sum / 2
    else:
        h_mean = (h_sum + 2 * math.pi) / 2 if h_sum < 2 * math.pi else (h_sum - 2 * math.pi) / 2
    t = (1 - 0.17 * math.cos(h_mean - math.radians(30)) + 0.24 * math.cos(2 * h_mean)
         + 0.32 * math.cos(3 * h_mean + math.radians(6)) - 0.20 * math.cos(4 * h_mean - math.radians(63)))
    d_theta = math.radians(30) * math.exp(-(((math.degrees(h_mean) - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(cp_mean ** 7 / (cp_mean ** 7 + 25 ** 7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_mean, 1 + 0.015 * cp_mean * t
    r_t = -math.sin(2 * d_theta) * r_c
    return math.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h))


@metric("evaluate_colored_words_in_tables")
def evaluate_colored_words_in_tables(result: Any, expected: Any, threshold: float = 3.5) -> float:
    """1 when the text is the gold text and, in every table, words starting with a vowel are red and the
    others blue, each within ``threshold`` CIEDE2000 units (so near-reds picked in a colour dialog pass).
    A run without an explicit colour counts as black."""
    option("evaluate_colored_words_in_tables", "threshold", threshold, (int, float))
    _open_gold("evaluate_colored_words_in_tables", expected)
    doc = _open_result(result)
    if doc is None or not _text_matches(result, expected):
        return 0.0
    red, blue = _lab((255, 0, 0)), _lab((0, 0, 255))
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        if not run.text:
                            continue
                        rgb = run.font.color.rgb if run.font.color.type is not None else None
                        colour = _lab(tuple(rgb) if rgb is not None else (0, 0, 0))
                        target = red if run.text[0].lower() in "aeiou" else blue
                        if delta_e_2000(colour, target) > threshold:
                            return 0.0
    return 1.0
