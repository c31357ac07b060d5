"""Make the input decks of the slides (LibreOffice Impress) tasks and their expected (gold) files.

Run from anywhere: ``python tasks/core/slides/assets/make_assets.py``.  Needs python-pptx.

The input decks are written with python-pptx from its default template
(4:3, Calibri), like a deck made in PowerPoint.  Output is deterministic: the
core properties (author, dates, revision) are pinned and every zip member gets
a fixed time stamp, so running the script again rewrites byte-identical files.

Gold decks cannot be written by python-pptx alone.  ``compare_pptx_files``
compares fonts, sizes, colours, bullets and backgrounds, and LibreOffice
writes all of them explicitly when it saves a .pptx, so the gold must be what
*LibreOffice* writes for the edited deck.  ``--gold`` writes each edited deck
with python-pptx into a temporary folder (the input with the task's edit
applied: ``GOLD_DECKS`` below) and converts it with the LibreOffice of the
tasks' own image::

    python tasks/core/slides/assets/make_assets.py --gold

which runs ``soffice --headless --convert-to pptx`` (and ``pdf`` for the
export task) in the ``deskbench/office`` image, network off.  The gold files
carry LibreOffice's own time stamps, which no metric reads.  A deck saved
from the Impress window after the edit and the gold converted headless go
through the same import and export filters, so they agree in everything the
metric examines.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pptx import Presentation
from pptx.presentation import Presentation as PptxDeck

from harness.tasks.assets import rezip_with_fixed_time

HERE = Path(__file__).resolve().parent
STAMP = dt.datetime(2025, 1, 6, 9, 0, 0)
IMAGE = "deskbench/office:latest"

TITLE_LAYOUT, CONTENT_LAYOUT = 0, 1

# A deck: a title slide (title, subtitle) then content slides (title, bullet lines).
Deck = tuple[tuple[str, str], list[tuple[str, list[str]]]]


def _build(deck: Deck, notes: dict[int, str] | None = None) -> PptxDeck:
    """A python-pptx deck; ``notes`` maps a 1-based slide number to its speaker notes."""
    prs = Presentation()
    props = prs.core_properties
    props.author = "deskbench"
    props.last_modified_by = "deskbench"
    props.created = STAMP
    props.modified = STAMP
    props.revision = 1
    props.title = ""
    (title, subtitle), slides = deck
    first = prs.slides.add_slide(prs.slide_layouts[TITLE_LAYOUT])
    first.shapes.title.text = title
    first.placeholders[1].text = subtitle
    for heading, lines in slides:
        slide = prs.slides.add_slide(prs.slide_layouts[CONTENT_LAYOUT])
        slide.shapes.title.text = heading
        frame = slide.placeholders[1].text_frame
        frame.text = lines[0]
        for line in lines[1:]:
            frame.add_paragraph().text = line
    for number, text in (notes or {}).items():
        prs.slides[number - 1].notes_slide.notes_text_frame.text = text
    return prs


def _save(prs: PptxDeck, name: str) -> None:
    _save_to(prs, HERE / name)


def _save_to(prs: PptxDeck, path: Path) -> None:
    buffer = io.BytesIO()
    prs.save(buffer)
    path.write_bytes(rezip_with_fixed_time(buffer.getvalue()))


def _replace(deck: Deck, old: str, new: str) -> Deck:
    (title, subtitle), slides = deck
    return ((title.replace(old, new), subtitle.replace(old, new)),
            [(h.replace(old, new), [line.replace(old, new) for line in lines]) for h, lines in slides])


# --- rename-product (Find & Replace over every slide) ---------------------------------------------

HELIOS: Deck = (
    ("Helios 2.0", "Partner briefing, spring 2025"),
    [
        ("Why Helios?", ["Solar yield forecasts for every rooftop",
                         "Helios learns from local weather stations",
                         "Set-up takes less than ten minutes"]),
        ("What partners get", ["A branded Helios dashboard for their customers",
                               "Monthly reports on installed capacity",
                               "Priority support by phone and e-mail"]),
        ("Pricing", ["Helios Basic: 9 EUR per site and month",
                     "Helios Pro: 19 EUR per site and month",
                     "Free 30-day trial for new partners"]),
        ("Next steps", ["Sign the partner agreement",
                        "Order your Helios demo kit",
                        "Book the onboarding call"]),
    ],
)


def rename_product() -> None:
    _save(_build(HELIOS), "partner_briefing.pptx")


# --- fix-slide-title (edit one title) ---------------------------------------------------------------

def _offsite(budget_title: str) -> Deck:
    return (
        ("Team offsite 2025", "Lakeside Lodge, 12-14 June"),
        [
            ("Goals", ["Agree on the roadmap for the second half", "Meet the two new team members",
                       "Have some fun together"]),
            (budget_title, ["Lodge and meals: 6,800 EUR", "Train tickets: 1,450 EUR",
                            "Activities: 900 EUR"]),
            ("Schedule", ["Thursday: arrival and dinner", "Friday: workshops", "Saturday: hike and departure"]),
            ("Packing list", ["Laptop and charger", "Rain jacket", "Walking shoes"]),
        ],
    )


def fix_slide_title() -> None:
    _save(_build(_offsite("Budjet")), "offsite_plan.pptx")


# --- delete-backup-slide ----------------------------------------------------------------------------

QUARTERLY_SLIDES = [
    ("Highlights", ["Revenue grew 8% on the previous quarter", "Two new enterprise customers",
                    "Support backlog cut by a third"]),
    ("Revenue by region", ["North: 2.4 M EUR", "South: 1.9 M EUR", "Export: 1.1 M EUR"]),
    ("Hiring", ["Four engineers joined in March", "Two open positions in sales"]),
    ("BACKUP - old price list (do not present)", ["Starter: 49 EUR", "Business: 99 EUR",
                                                  "Enterprise: on request"]),
    ("Outlook", ["Launch of the mobile app in May", "Target: 5.8 M EUR revenue in Q2"]),
]
QUARTERLY_TITLE = ("Quarterly update Q1 2025", "Management team meeting")


def delete_backup_slide() -> None:
    _save(_build((QUARTERLY_TITLE, QUARTERLY_SLIDES)), "quarterly_update.pptx")


# --- add-closing-slide (checked by a script over the saved deck, no gold) ------------------------------

ONBOARDING: Deck = (
    ("Welcome to Nordlicht Software", "Onboarding for new colleagues"),
    [
        ("Your first week", ["Collect your laptop from IT on Monday", "Lunch with your buddy on Tuesday",
                             "Security training on Wednesday"]),
        ("Tools we use", ["Chat: Mattermost", "Code: our GitLab server", "Tickets: Redmine"]),
        ("Who to ask", ["IT questions: the help desk, room 1.04", "HR questions: Marta Lind",
                        "Everything else: your buddy"]),
    ],
)


def add_closing_slide() -> None:
    _save(_build(ONBOARDING), "onboarding.pptx")


# --- speaker-notes -----------------------------------------------------------------------------------

TALK: Deck = (
    ("From paper to app", "How the city library went digital"),
    [
        ("Where we started", ["120,000 index cards", "Loans recorded by hand", "Three-week waiting lists"]),
        ("What we built", ["Online catalogue with reservations", "Self-service loan stations",
                           "Reminder e-mails before the due date"]),
        ("Results after one year", ["Loans up 23%", "Waiting lists down to four days",
                                    "Staff time freed for reading clubs"]),
    ],
)
TALK_NOTE = "Mention that the index cards now hang in the cafe as decoration."


def speaker_notes() -> None:
    _save(_build(TALK), "library_talk.pptx")


# --- portrait-orientation (checked on the slide size, no gold) -----------------------------------------

POSTER: Deck = (
    ("Summer reading challenge", "Read five books between June and August"),
    [
        ("How it works", ["Sign up at the front desk", "Collect a stamp for every book",
                          "Five stamps win a tote bag"]),
    ],
)


def portrait_orientation() -> None:
    _save(_build(POSTER), "reading_challenge.pptx")


# --- export-pdf ---------------------------------------------------------------------------------------

KICKOFF: Deck = (
    ("Sales kickoff 2025", "Barcelona, 20 January"),
    [
        ("Last year in numbers", ["Bookings: 14.2 M EUR", "New logos: 38", "Net retention: 112%"]),
        ("This year's focus", ["Mid-market accounts in Iberia", "Partner-led deals", "Shorter sales cycles"]),
        ("Awards", ["Rookie of the year: Ines Duarte", "Deal of the year: Harbour Logistics"]),
    ],
)


def export_pdf() -> None:
    _save(_build(KICKOFF), "sales_kickoff.pptx")


# --- live-subtitles (infeasible) ---------------------------------------------------------------------

TOUR: Deck = (
    ("Old town walking tour", "A guided talk for visitors"),
    [
        ("Stops", ["Cathedral square", "The old harbour", "Market hall", "City walls"]),
        ("Practical notes", ["The tour takes about 90 minutes", "Comfortable shoes recommended"]),
    ],
)


def live_subtitles() -> None:
    _save(_build(TOUR), "walking_tour.pptx")


# --- gold files (need Docker and the office image) --------------------------------------------------

# Each gold deck: the input deck with the task's edit applied (and speaker notes by slide number).
GOLD_DECKS: dict[str, tuple[Deck, dict[int, str]]] = {
    "partner_briefing": (_replace(HELIOS, "Helios", "Solano"), {}),
    "offsite_plan": (_offsite("Budget"), {}),
    "quarterly_update": ((QUARTERLY_TITLE, [s for s in QUARTERLY_SLIDES if not s[0].startswith("BACKUP")]), {}),
    "library_talk": (TALK, {2: TALK_NOTE}),
}
GOLD_PDF = ["sales_kickoff"]


def _soffice(tmp: Path, fmt: str, names: list[str]) -> None:
    subprocess.run(["chmod", "0777", str(tmp)], check=True)
    subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "-e", "SAL_USE_VCLPLUGIN=svp", "-v", f"{tmp}:/work",
         "-w", "/work", IMAGE, "soffice", "--headless", "--convert-to", fmt, "--outdir", "/work/out",
         *[f"/work/{n}" for n in names]], check=True)


def gold() -> None:
    """Each edited deck of ``GOLD_DECKS`` saved by LibreOffice as ``<name>_gold.pptx``; the PDF gold likewise."""
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for deck, (content, notes) in GOLD_DECKS.items():
            _save_to(_build(content, notes), tmp / f"{deck}_gold.pptx")
        _soffice(tmp, "pptx", [f"{deck}_gold.pptx" for deck in GOLD_DECKS])
        for deck in GOLD_DECKS:
            shutil.copy(tmp / "out" / f"{deck}_gold.pptx", HERE / f"{deck}_gold.pptx")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for deck in GOLD_PDF:
            shutil.copy(HERE / f"{deck}.pptx", tmp / f"{deck}.pptx")
        _soffice(tmp, "pdf", [f"{deck}.pptx" for deck in GOLD_PDF])
        for deck in GOLD_PDF:
            shutil.copy(tmp / "out" / f"{deck}.pdf", HERE / f"{deck}_gold.pdf")


if __name__ == "__main__":
    if "--gold" in sys.argv[1:]:
        gold()
        print("wrote", ", ".join(sorted(p.name for p in HERE.iterdir() if "_gold." in p.name)))
    else:
        for make in (rename_product, fix_slide_title, delete_backup_slide, add_closing_slide, speaker_notes,
                     portrait_orientation, export_pdf, live_subtitles):
            make()
        print("wrote", ", ".join(sorted(p.name for p in HERE.iterdir() if p.suffix == ".pptx")))
