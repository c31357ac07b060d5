"""PDF and archive metrics on small real files: hand-written text PDFs, Pillow image PDFs, zip and tar archives."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from harness.checkers.metrics.archives import compare_archive, compare_epub, compare_zip_files
from harness.checkers.metrics.pdf import check_pdf_pages, compare_pdf_images, compare_pdfs, pdf_text
from harness.errors import CheckerError


def text_pdf(path: Path, pages: list[str]) -> str:
    """A minimal valid PDF: one Helvetica text line per page, with a correct cross-reference table."""
    count = len(pages)
    objects = ["<< /Type /Catalog /Pages 2 0 R >>",
               "<< /Type /Pages /Kids [" + " ".join(f"{4 + 2 * i} 0 R" for i in range(count)) + f"] /Count {count} >>",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, text in enumerate(pages):
        stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * i} 0 R "
                       "/Resources << /Font << /F1 3 0 R >> >> >>")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(out)
    return str(path)


def image_pdf(path: Path, colours: list[str]) -> str:
    pages = []
    for colour in colours:
        image = Image.new("RGB", (64, 64), "white")
        ImageDraw.Draw(image).rectangle((8, 8, 40, 40), fill=colour)
        pages.append(image)
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:])
    return str(path)


def test_pdf_text_reads_hand_written_pdf(tmp_path: Path) -> None:
    assert pdf_text(text_pdf(tmp_path / "a.pdf", ["Hello PDF", "Page two"])) == "Hello PDF\nPage two"  # as PyMuPDF


def test_compare_pdfs(tmp_path: Path) -> None:
    gold = text_pdf(tmp_path / "gold.pdf", ["Invoice 243729 total 10 EUR"])
    assert compare_pdfs(text_pdf(tmp_path / "same.pdf", ["Invoice 243729 total 10 EUR"]), gold) == 1.0
    near = compare_pdfs(text_pdf(tmp_path / "near.pdf", ["Invoice 243729 total 12 EUR"]), gold)
    assert 0.8 < near < 1.0
    assert compare_pdfs(None, gold) == 0.0
    (tmp_path / "junk.pdf").write_text("not a pdf")
    assert compare_pdfs(str(tmp_path / "junk.pdf"), gold) == 0.0
    with pytest.raises(CheckerError, match="compare_pdfs"):
        compare_pdfs(gold, str(tmp_path / "absent.pdf"))


def test_compare_pdfs_lists_average(tmp_path: Path) -> None:
    golds = [text_pdf(tmp_path / "g1.pdf", ["Alpha"]), text_pdf(tmp_path / "g2.pdf", ["Beta"])]
    mine = [text_pdf(tmp_path / "m1.pdf", ["Alpha"]), None]
    assert compare_pdfs(mine, golds) == pytest.approx(0.5)


def test_check_pdf_pages(tmp_path: Path) -> None:
    one = text_pdf(tmp_path / "one.pdf", ["x"])
    two = text_pdf(tmp_path / "two.pdf", ["x", "y"])
    rules = {"relation": "eq", "ref_value": 1}
    assert check_pdf_pages(one, rules) == 1.0
    assert check_pdf_pages(two, rules) == 0.0
    with pytest.raises(CheckerError, match="relation"):
        check_pdf_pages(one, {"relation": "about", "ref_value": 1})


def test_compare_pdf_images(tmp_path: Path) -> None:
    gold = image_pdf(tmp_path / "gold.pdf", ["red", "blue"])
    assert compare_pdf_images(image_pdf(tmp_path / "same.pdf", ["red", "blue"]), gold) == 1.0
    assert compare_pdf_images(image_pdf(tmp_path / "one.pdf", ["red"]), gold) == 0.0

    def shifted(path: Path) -> str:
        image = Image.new("RGB", (64, 64), "white")
        ImageDraw.Draw(image).ellipse((30, 30, 60, 60), fill="black")
        image.save(path, "PDF")
        return str(path)

    assert compare_pdf_images(shifted(tmp_path / "other.pdf"), image_pdf(tmp_path / "g1.pdf", ["red"])) == 0.0


def zip_of(path: Path, members: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return str(path)


def test_compare_archive_of_pdfs(tmp_path: Path) -> None:
    a = Path(text_pdf(tmp_path / "a.pdf", ["Lecture one"])).read_bytes()
    b = Path(text_pdf(tmp_path / "b.pdf", ["Lecture two"])).read_bytes()
    gold = zip_of(tmp_path / "gold.zip", {"slides/1.pdf": a, "slides/2.pdf": b})
    same = zip_of(tmp_path / "same.zip", {"slides/1.pdf": a, "slides/2.pdf": b})
    assert compare_archive(same, gold, file_path="slides", file_type="pdf") == 1.0
    renamed = zip_of(tmp_path / "renamed.zip", {"slides/1.pdf": a, "slides/3.pdf": b})
    assert compare_archive(renamed, gold, file_path="slides", file_type="pdf") == 0.0
    tar_path = tmp_path / "same.tar.gz"
    with tarfile.open(tar_path, "w:gz") as t:
        t.add(tmp_path / "a.pdf", arcname="slides/1.pdf")
        t.add(tmp_path / "a.pdf", arcname="slides/2.pdf")
    score = compare_archive(str(tar_path), gold, file_path="slides", file_type="pdf")
    assert 0.5 < score < 1.0
    with pytest.raises(CheckerError, match="unknown file_type"):
        compare_archive(same, gold, file_type="spreadsheet")


def test_compare_zip_files(tmp_path: Path) -> None:
    pdf = Path(text_pdf(tmp_path / "a.pdf", ["Report"])).read_bytes()
    gold = zip_of(tmp_path / "gold.zip", {"a.txt": b"hello", "r.pdf": pdf})
    assert compare_zip_files(zip_of(tmp_path / "same.zip", {"a.txt": b"hello", "r.pdf": pdf}), gold) == 1.0
    assert compare_zip_files(zip_of(tmp_path / "diff.zip", {"a.txt": b"hellO", "r.pdf": pdf}), gold) == 0.0
    assert compare_zip_files(zip_of(tmp_path / "less.zip", {"a.txt": b"hello"}), gold) == 0.0


def test_compare_epub(tmp_path: Path) -> None:
    def epub(path: Path, chapter: str) -> str:
        return zip_of(path, {"toc.ncx": b"<ncx>\n<navPoint id='1'/>\n</ncx>",
                             "content.opf": b"<package>\n<dc:identifier>uuid</dc:identifier>\n</package>",
                             "ch1.html": f"<html><body><p>{chapter}</p>\n<p>End</p></body></html>".encode()})

    gold = epub(tmp_path / "gold.epub", "Once upon a time")
    assert compare_epub(epub(tmp_path / "same.epub", "Once upon a time"), gold) == 1.0
    assert compare_epub(epub(tmp_path / "diff.epub", "Another story"), gold) < 1.0
