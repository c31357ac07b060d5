"""PDF metrics: text similarity against a gold PDF, page counts, embedded images.

Text comes from pdfplumber; images from pdfium (pypdfium2, which pdfplumber
already depends on).  A result that is missing or not a readable PDF scores 0.
"""

from __future__ import annotations

import operator
from typing import Any

import imagehash
import pdfplumber
import pypdfium2
import pypdfium2.raw as pdfium_c
from PIL import Image

from harness.checkers.metrics._common import expected_path, fail, result_path, rules_of, similarity
from harness.checkers.registry import metric


def pdf_text(path: str) -> str:
    """The text of every page, in order, stripped at both ends; a line break between pages, as OSWorld's
    PyMuPDF extraction ends each page's last line."""
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages).strip()


def _pdf_similarity(result: Any, gold: str) -> float:
    path = result_path(result)
    if path is None:
        return 0.0
    try:
        return similarity(pdf_text(path), pdf_text(gold))
    except Exception:
        return 0.0


@metric("compare_pdfs")
def compare_pdfs(result: Any, expected: Any) -> float:
    """Edit-distance similarity of the PDFs' text (partial credit); with lists, the mean over the pairs."""
    results = result if isinstance(result, list) else [result]
    golds = expected if isinstance(expected, list) else [expected]
    gold_paths = [expected_path("compare_pdfs", g) for g in golds]
    if not gold_paths:
        raise fail("compare_pdfs", "no expected file")
    scores = [_pdf_similarity(results[i] if i < len(results) else None, g) for i, g in enumerate(gold_paths)]
    return sum(scores) / len(gold_paths)


_RELATIONS = {"eq", "ne", "lt", "le", "gt", "ge"}


@metric("check_pdf_pages")
def check_pdf_pages(result: Any, expected: Any) -> float:
    """1 when the page count relates to ``rules.ref_value`` by ``rules.relation`` (eq, lt, ge, ...)."""
    rules = rules_of("check_pdf_pages", expected, "relation", "ref_value")
    if rules["relation"] not in _RELATIONS:
        raise fail("check_pdf_pages", f"relation must be one of {sorted(_RELATIONS)}, got {rules['relation']!r}")
    path = result_path(result)
    if path is None:
        return 0.0
    try:
        with pdfplumber.open(path) as pdf:
            pages = len(pdf.pages)
    except Exception:
        return 0.0
    return float(bool(getattr(operator, rules["relation"])(pages, rules["ref_value"])))


def pdf_images(path: str) -> list[Image.Image]:
    """The raster images placed on the pages, in page order."""
    images = []
    document = pypdfium2.PdfDocument(path)
    try:
        for page in document:
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
                images.append(obj.get_bitmap().to_pil())
    finally:
        document.close()
    return images


@metric("compare_pdf_images")
def compare_pdf_images(result: Any, expected: Any) -> float:
    """Share of embedded images that match the gold PDF's, in order, by perceptual hash (distance <= 5).

    Different numbers of images score 0; two PDFs without images match.
    """
    gold = expected_path("compare_pdf_images", expected)
    path = result_path(result)
    if path is None:
        return 0.0
    try:
        mine = pdf_images(path)
    except Exception:
        return 0.0
    theirs = pdf_images(gold)
    if len(mine) != len(theirs):
        return 0.0
    if not theirs:
        return 1.0
    same = sum(1 for a, b in zip(mine, theirs, strict=True) if imagehash.phash(a) - imagehash.phash(b) <= 5)
    return same / len(theirs)
