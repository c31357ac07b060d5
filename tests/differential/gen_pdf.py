"""Cases for the PDF metrics: PDFs written with PyMuPDF (the reference's own PDF library), text and pictures.

Variants: the gold file, one word changed, a page added, the text drawn
one line lower, a picture changed, a missing file and one that is not a PDF;
``compare_archive`` gets tar.gz archives of such PDFs.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

from tests.differential.cases import NO_EXPECTED, Case, generates
from tests.differential.uses import Use

LINES = ["Lecture 1: Agents", "Reading: chapter two", "Due on Friday"]


def _pdf(path: Path, lines: list[str], *, pages: int = 1, offset: int = 0, colour: tuple[float, ...] = (1, 0, 0)
         ) -> str:
    import fitz  # PyMuPDF: the reference reads PDFs with it

    doc = fitz.open()
    for _ in range(pages):
        page = doc.new_page()
        for i, line in enumerate(lines):
            page.insert_text((72, 100 + offset + 20 * i), line)
        page.draw_rect(fitz.Rect(72, 300, 200, 380), color=colour, fill=colour)
    doc.save(str(path))
    doc.close()
    return str(path)


VARIANTS: dict[str, dict[str, Any]] = {
    "same": {}, "word-changed": {"lines": [*LINES[:-1], "Due on Monday"]}, "extra-page": {"pages": 2},
    "moved-down": {"offset": 14}, "picture-changed": {"colour": (0, 0, 1)}, "empty-page": {"lines": []},
}


def _expected(use: Use, gold: str) -> Any:
    spec = use.expected_getter or {}
    if not spec:
        return NO_EXPECTED
    return use.rules if str(spec.get("type", "")).startswith("rule") else gold


@generates("compare_pdfs", "check_pdf_pages", "compare_pdf_images")
def pdfs(uses: list[Use], folder: Path) -> list[Case]:
    metric = folder.name
    cases: list[Case] = []
    for n, use in enumerate(uses):
        gold = _pdf(folder / f"{n}-gold.pdf", LINES)
        expected = _expected(use, gold)
        for label, kw in VARIANTS.items():
            path = _pdf(folder / f"{n}-{label}.pdf", kw.get("lines", LINES), pages=kw.get("pages", 1),
                        offset=kw.get("offset", 0), colour=kw.get("colour", (1, 0, 0)))
            cases.append(Case(metric, f"{use.task[:8]}:{label}", path, expected, use.options, (use.task,)))
        garbage = folder / f"{n}-garbage.pdf"
        garbage.write_bytes(b"%PDF-1.4 truncated")
        for label, value in [("missing-file", str(folder / "absent.pdf")), ("not-a-pdf", str(garbage))]:
            cases.append(Case(metric, f"{use.task[:8]}:{label}", value, expected, use.options, (use.task,)))
    return cases


@generates("compare_archive")
def pdf_archives(uses: list[Use], folder: Path) -> list[Case]:
    """tar.gz archives of PDFs, in the sub-folder the task's ``file_path`` names; one folder per case (the
    reference unpacks beside the archive)."""
    cases: list[Case] = []
    for n, use in enumerate(uses):
        inner = str(use.options.get("file_path", ""))
        for label, kw in {**VARIANTS, "file-missing": {}}.items():
            src = folder / str(n) / label / "src"
            (src / inner).mkdir(parents=True, exist_ok=True)
            _pdf(src / inner / "a.pdf", LINES)
            if label != "file-missing":
                _pdf(src / inner / "b.pdf", kw.get("lines", LINES), pages=kw.get("pages", 1),
                     offset=kw.get("offset", 0), colour=kw.get("colour", (1, 0, 0)))
        gold = _tar(folder / str(n) / "gold.tar.gz", folder / str(n) / "same" / "src")
        for label in [*VARIANTS, "file-missing"]:
            path = _tar(folder / str(n) / f"{label}.tar.gz", folder / str(n) / label / "src")
            cases.append(Case("compare_archive", f"{use.task[:8]}:{label}", path, gold, use.options, (use.task,)))
    return cases


def _tar(path: Path, source: Path) -> str:
    with tarfile.open(path, "w:gz") as t:
        for f in sorted(source.iterdir()):
            t.add(f, arcname=f.name)
    return str(path)
