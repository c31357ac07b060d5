"""Make the input documents of the document (LibreOffice Writer) tasks and their expected (gold) files.

Run from anywhere: ``python tasks/core/document/assets/make_assets.py``.  Needs python-docx.

The .docx files are written with python-docx; the gold .odt of save-as-odt is a
minimal OpenDocument text package written by hand (``compare_docx_files`` reads
only the ``text:p`` paragraphs of its ``content.xml``).  Output is
deterministic: python-docx's core properties (author, dates, revision) are
pinned and every zip member gets a fixed time stamp, so running the script
again rewrites byte-identical files.

The gold PDF of export-pdf cannot be made with python-docx: it is the input
converted by the LibreOffice of the task's own image (the text a correct
export yields, page breaks included).  ``--pdf`` regenerates it with Docker::

    python tasks/core/document/assets/make_assets.py --pdf

which runs ``soffice --headless --convert-to pdf`` in the ``deskbench/office``
image.  ``compare_pdfs`` compares extracted text only, so the PDF's own time
stamps do not matter.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.text import WD_BREAK
from docx.shared import Pt

from harness.tasks.assets import FIXED_ZIP_TIME, rezip_with_fixed_time

HERE = Path(__file__).resolve().parent
STAMP = dt.datetime(2025, 1, 6, 9, 0, 0)
ZIP_TIME = FIXED_ZIP_TIME


def _new() -> Document:
    doc = Document()
    props = doc.core_properties
    props.author = "deskbench"
    props.last_modified_by = "deskbench"
    props.created = STAMP
    props.modified = STAMP
    props.revision = 1
    return doc


def _save(doc: Document, name: str) -> None:
    buffer = io.BytesIO()
    doc.save(buffer)
    (HERE / name).write_bytes(rezip_with_fixed_time(buffer.getvalue()))


def _paragraphs(doc: Document, texts: list[str]) -> None:
    for text in texts:
        doc.add_paragraph(text)


# --- replace-product-name ------------------------------------------------------------------------

LAUNCH_MEMO = [
    "Internal memo: Skylark launch plan",
    "To: Sales, Support and Marketing teams",
    "Skylark, our new route-planning app for delivery drivers, goes on sale on 14 April. "
    "This memo sums up what each team has to prepare before the launch.",
    "Sales: the Skylark price list is final. Quote the annual plan first; the monthly plan "
    "is for customers with fewer than five vehicles.",
    "Support: the Skylark help centre opens one week before launch. Please read the new "
    "troubleshooting articles and report gaps to the documentation team.",
    "Marketing: the launch video, the press release and the Skylark landing page must be "
    "approved by 7 April.",
    "Questions about Skylark go to the launch channel.",
]


def replace_product_name() -> None:
    doc = _new()
    _paragraphs(doc, LAUNCH_MEMO)
    _save(doc, "launch_memo.docx")
    gold = _new()
    _paragraphs(gold, [p.replace("Skylark", "Kestrel") for p in LAUNCH_MEMO])
    _save(gold, "launch_memo_gold.docx")


# --- double-line-spacing -------------------------------------------------------------------------

ESSAY = [
    "Why cities should plant more street trees",
    "Street trees are one of the cheapest ways a city can make itself more pleasant to live in. "
    "They give shade in summer, slow down rain water before it reaches the drains, and make "
    "streets feel calmer for people on foot.",
    "The costs are modest. A young tree, its planting and three years of watering cost less than "
    "repaving a few metres of pavement, and a healthy tree keeps giving for decades.",
    "Critics point to falling leaves, roots that lift paving stones and the work of pruning. "
    "Choosing the right species for each street and giving roots enough soil solve most of these "
    "problems.",
    "In short, planting more street trees is a small investment with a large and lasting return, "
    "and every neighbourhood deserves its share of them.",
]


def double_spacing() -> None:
    doc = _new()
    _paragraphs(doc, ESSAY)
    _save(doc, "essay.docx")
    gold = _new()
    for text in ESSAY:
        gold.add_paragraph(text).paragraph_format.line_spacing = 2.0
    _save(gold, "essay_gold.docx")


# --- page-numbers --------------------------------------------------------------------------------

def page_numbers() -> None:
    """A three-page report (explicit page breaks) without header or footer."""
    doc = _new()
    sections = [
        ("Quarterly operations report, Q1 2025", [
            "This report summarises the warehouse, transport and customer service figures for the "
            "first quarter and lists the actions agreed for the second quarter.",
        ]),
        ("Warehouse", [
            "Order volume grew by eleven percent compared with the previous quarter. Picking errors "
            "fell from 0.9 to 0.6 percent after the new scanner workflow was introduced in February.",
            "Storage use reached 87 percent in March; the overflow area will be rented again in May.",
        ]),
        ("Transport and customer service", [
            "On-time delivery stayed at 96 percent. Two carriers missed their targets and have been "
            "asked for an improvement plan.",
            "The service desk answered 4,210 calls, with a median waiting time of 48 seconds.",
        ]),
    ]
    for index, (title, body) in enumerate(sections):
        if index:
            doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        title_paragraph = doc.add_paragraph()
        title_paragraph.add_run(title).bold = True
        _paragraphs(doc, body)
    _save(doc, "quarterly_report.docx")


# --- insert-price-table --------------------------------------------------------------------------

PRICE_TEXT = [
    "Cafeteria price update",
    "From 1 March the following prices apply:",
    "All prices include VAT. Staff discount cards remain valid.",
]
PRICE_ROWS = [("Item", "Price"), ("Coffee", "2.40"), ("Tea", "2.10"), ("Croissant", "1.90"), ("Bagel", "2.75")]


def price_table() -> None:
    doc = _new()
    _paragraphs(doc, PRICE_TEXT)
    _save(doc, "price_update.docx")
    gold = _new()
    _paragraphs(gold, PRICE_TEXT[:2])
    table = gold.add_table(rows=len(PRICE_ROWS), cols=2)
    for row, values in zip(table.rows, PRICE_ROWS, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    _paragraphs(gold, PRICE_TEXT[2:])
    _save(gold, "price_update_gold.docx")


# --- export-pdf ----------------------------------------------------------------------------------

MINUTES = [
    "Minutes of the residents' association meeting, 3 February 2025",
    "Present: M. Okafor (chair), L. Berg, S. Haddad, T. Novak, J. Moreau.",
    "1. The minutes of the December meeting were approved without changes.",
    "2. Bicycle storage: the association will ask the landlord for a quote for a second shed. "
    "S. Haddad collects the signatures of interested residents.",
    "3. Garden day: the spring garden day is planned for Saturday 12 April. Tools are available "
    "from the caretaker.",
    "4. Any other business: none.",
    "The next meeting is on 7 April 2025 at 19:30 in the community room.",
]


def export_pdf() -> None:
    doc = _new()
    _paragraphs(doc, MINUTES)
    _save(doc, "minutes.docx")


def export_pdf_gold() -> None:
    """minutes_gold.pdf: minutes.docx converted by the office image's LibreOffice (needs Docker)."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(HERE / "minutes.docx", Path(tmp) / "minutes.docx")
        subprocess.run(["chmod", "0777", tmp], check=True)
        subprocess.run(
            ["docker", "run", "--rm", "--network", "none", "-e", "SAL_USE_VCLPLUGIN=svp", "-v", f"{tmp}:/work", "-w", "/work",
             "deskbench/office:latest", "soffice", "--headless", "--convert-to", "pdf", "--outdir", "/work",
             "/work/minutes.docx"], check=True)
        shutil.copy(Path(tmp) / "minutes.pdf", HERE / "minutes_gold.pdf")


# --- save-as-odt ---------------------------------------------------------------------------------

CONTRACT = [
    "Service agreement",
    "This agreement is made between Harbour Lane Bakery (the customer) and Tidy Desk Cleaning "
    "(the contractor).",
    "1. The contractor cleans the customer's shop and kitchen every weekday between 18:00 and 20:00.",
    "2. The customer pays 1,150 euros per month, invoiced at the start of each month and payable "
    "within 14 days.",
    "3. Either party may end this agreement with one month's written notice.",
    "Signed in Rotterdam on 2 January 2025.",
]

_ODT_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
    "<office:body><office:text>{paragraphs}</office:text></office:body></office:document-content>"
)
_ODT_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _write_odt(name: str, paragraphs: list[str]) -> None:
    content = _ODT_CONTENT.format(paragraphs="".join(f"<text:p>{_escape(p)}</text:p>" for p in paragraphs))
    members = [("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED),
               ("content.xml", content, zipfile.ZIP_DEFLATED),
               ("META-INF/manifest.xml", _ODT_MANIFEST, zipfile.ZIP_DEFLATED)]
    with zipfile.ZipFile(HERE / name, "w") as archive:
        for member, data, method in members:
            info = zipfile.ZipInfo(member, ZIP_TIME)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


def save_as_odt() -> None:
    doc = _new()
    _paragraphs(doc, CONTRACT)
    _save(doc, "contract.docx")
    _write_odt("contract_gold.odt", CONTRACT)


# --- heading-styles ------------------------------------------------------------------------------

HANDBOOK = [
    ("Introduction", "This handbook explains the everyday rules of working at Brookfield Studio. "
                     "Read it in your first week and ask your team lead about anything unclear."),
    ("Working hours", "Core hours are 10:00 to 15:00. Outside core hours you can plan your own day, "
                      "as long as you work 38 hours a week on average."),
    ("Leave", "Full-time staff have 26 days of paid leave per year. Request leave in the HR portal at "
              "least two weeks in advance."),
    ("Expenses", "Keep every receipt. Expenses are reimbursed with the next salary when they are "
                 "submitted before the 20th of the month."),
]


def heading_styles() -> None:
    """Section titles that only *look* like headings: bold 14 pt runs in Normal paragraphs."""
    doc = _new()
    for title, body in HANDBOOK:
        run = doc.add_paragraph().add_run(title)
        run.bold = True
        run.font.size = Pt(14)
        doc.add_paragraph(body)
    _save(doc, "handbook.docx")
    gold = _new()
    for title, body in HANDBOOK:
        gold.add_paragraph(title, style="Heading 1")
        gold.add_paragraph(body)
    _save(gold, "handbook_gold.docx")


# --- restore-onedrive-version (infeasible) -------------------------------------------------------

def proposal() -> None:
    doc = _new()
    _paragraphs(doc, [
        "Project proposal: shared tool library",
        "We propose to set up a tool library in the basement storage room, where residents can borrow "
        "drills, ladders and garden tools instead of buying them.",
        "Budget: 2,400 euros for shelving, a lock system and a first set of tools.",
    ])
    _save(doc, "proposal.docx")


if __name__ == "__main__":
    if "--pdf" in sys.argv[1:]:
        export_pdf_gold()
        print("wrote minutes_gold.pdf")
    else:
        for make in (replace_product_name, double_spacing, page_numbers, price_table, export_pdf, save_as_odt,
                     heading_styles, proposal):
            make()
        print("wrote", ", ".join(sorted(p.name for p in HERE.iterdir() if p.suffix in (".docx", ".odt"))))
