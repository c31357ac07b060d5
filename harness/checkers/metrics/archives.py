"""Archive metrics: unpack both archives and compare what is inside, member by member."""

from __future__ import annotations

import difflib
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html

from harness.checkers.metrics._common import expected_path, fail, option, result_path
from harness.checkers.metrics.pdf import pdf_text
from harness.checkers.registry import get_metric, metric

# compare_archive's ``file_type`` -> the metric that compares two members.
_MEMBER_METRICS = {"text": "compare_text_file", "pdf": "compare_pdfs", "docx": "compare_docx_files",
                   "ppt": "compare_pptx_files", "image": "compare_images", "csv": "compare_csv",
                   "table": "compare_table", "audio": "compare_audios", "video": "compare_videos"}


def _unpack(archive: str, into: Path) -> None:
    """Unpack a zip or tar archive, refusing members that would land outside ``into``."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                if not (into / name).resolve().is_relative_to(into.resolve()):
                    raise ValueError(f"unsafe member {name!r}")
            z.extractall(into)
        return
    with tarfile.open(archive) as t:
        t.extractall(into, filter="data")


def _listing(root: Path, sub: str) -> list[str]:
    folder = root / sub
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@metric("compare_archive")
def compare_archive(result: Any, expected: Any, file_path: str = "", file_type: str = "text",
                    **member_options: Any) -> float:
    """Mean member score when both archives hold the same file names (under ``file_path``), else 0.

    Members are compared with the metric for ``file_type`` (text, pdf, docx,
    ppt, image, csv, table); other options are passed on to it.
    """
    option("compare_archive", "file_path", file_path, str)
    if file_type not in _MEMBER_METRICS:
        raise fail("compare_archive", f"unknown file_type {file_type!r} (one of {sorted(_MEMBER_METRICS)})")
    compare: Callable[..., float] = get_metric(_MEMBER_METRICS[file_type])
    gold = expected_path("compare_archive", expected)
    path = result_path(result)
    if path is None:
        return 0.0
    with tempfile.TemporaryDirectory() as work:
        mine, theirs = Path(work, "result"), Path(work, "expected")
        try:
            _unpack(path, mine)
        except (OSError, ValueError, tarfile.TarError, zipfile.BadZipFile):
            return 0.0
        try:
            _unpack(gold, theirs)
        except (OSError, ValueError, tarfile.TarError, zipfile.BadZipFile) as exc:
            raise fail("compare_archive", f"cannot unpack the expected archive {gold}: {exc}") from None
        names, gold_names = _listing(mine, file_path), _listing(theirs, file_path)
        if not gold_names:
            raise fail("compare_archive", f"the expected archive has no files under {file_path or 'its root'!r}")
        if names != gold_names:
            return 0.0
        scores = [compare(str(mine / file_path / n), str(theirs / file_path / n), **member_options) for n in names]
    return sum(scores) / len(scores)


def _zip_member_equal(name: str, a: bytes, b: bytes, work: Path) -> bool:
    if not name.lower().endswith(".pdf"):
        return a == b
    left, right = work / "a.pdf", work / "b.pdf"
    left.write_bytes(a)
    right.write_bytes(b)
    try:
        return difflib.SequenceMatcher(None, pdf_text(str(left)), pdf_text(str(right))).ratio() >= 0.95
    except Exception:
        return False


@metric("compare_zip_files")
def compare_zip_files(result: Any, expected: Any) -> float:
    """1 when both zips list the same members with the same bytes (PDF members: >= 95% similar text)."""
    gold = expected_path("compare_zip_files", expected)
    path = result_path(result)
    if path is None or not zipfile.is_zipfile(path):
        return 0.0
    with zipfile.ZipFile(path) as mine, zipfile.ZipFile(gold) as theirs, tempfile.TemporaryDirectory() as work:
        if set(mine.namelist()) != set(theirs.namelist()):
            return 0.0
        return float(all(_zip_member_equal(n, mine.read(n), theirs.read(n), Path(work)) for n in mine.namelist()))


def _epub_parts(path: str) -> list[tuple[str, list[str]]]:
    """The parts of an epub worth comparing, as lines: the table of contents and package file without their
    generated identifiers, and each HTML page re-serialised so that line breaks in the source do not count."""
    parts = []
    with zipfile.ZipFile(path) as book:
        names = book.namelist()
        for member, dropped in (("toc.ncx", "navPoint"), ("content.opf", "dc:identifier")):
            if member in names:
                text = book.read(member).decode("utf-8", errors="replace")
                parts.append((member, [line for line in text.splitlines() if dropped not in line]))
        for member in names:
            if member.endswith(".html"):
                raw = book.read(member).decode("utf-8", errors="replace").replace("\n", "").replace("\r", "")
                page = lxml.html.tostring(lxml.html.fromstring(raw.encode()), pretty_print=True, encoding="unicode")
                parts.append((member, page.splitlines()))
    return sorted(parts)


@metric("compare_epub")
def compare_epub(result: Any, expected: Any) -> float:
    """Mean line similarity of an epub's table of contents, package file and pages against the gold epub."""
    gold = expected_path("compare_epub", expected)
    path = result_path(result)
    if path is None:
        return 0.0
    try:
        mine = _epub_parts(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0.0
    theirs = _epub_parts(gold)
    if not mine:
        return 0.0
    total = sum(difflib.SequenceMatcher(a=a[1], b=b[1]).ratio() for a, b in zip(mine, theirs, strict=False))
    return total / len(mine)

