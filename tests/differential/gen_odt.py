"""Cases for ``check_highlighted_words``: OpenDocument text files written with odfpy (the library the
reference reads them with), a gold without highlighting against results that keep, change or drop it."""

from __future__ import annotations

from pathlib import Path

from odf.opendocument import OpenDocumentText
from odf.style import Style, TextProperties
from odf.text import P, Span

from tests.differential.cases import NO_EXPECTED, Case, generates
from tests.differential.uses import Use

LINES = ("Hello, this is Anna from the recruiting team.", "Do you have a few minutes to talk about the role?")


def _odt(path: Path, lines: tuple[str, ...] = LINES, colour: str | None = None, use_style: bool = True) -> str:
    """An .odt of ``lines``; with ``colour``, an automatic style with that background on a word of line 1."""
    doc = OpenDocumentText()
    style = None
    if colour is not None:
        style = Style(name="T1", family="text")
        style.addElement(TextProperties(backgroundcolor=colour))
        doc.automaticstyles.addElement(style)
    for n, line in enumerate(lines):
        paragraph = P()
        head, _, tail = line.partition(" ")
        if n == 0 and style is not None and use_style:
            paragraph.addElement(Span(stylename=style, text=head))
        else:
            paragraph.addText(head)
        paragraph.addText(" " + tail)
        doc.text.addElement(paragraph)
    doc.save(str(path))
    return str(path)


@generates("check_highlighted_words")
def highlighted_words(uses: list[Use], folder: Path) -> list[Case]:
    cases: list[Case] = []
    for n, use in enumerate(uses):
        gold = _odt(folder / f"{n}-gold.odt")
        results = {
            "unhighlighted": _odt(folder / f"{n}-plain.odt"),
            "still-yellow": _odt(folder / f"{n}-yellow.odt", colour="#ffff00"),
            "green-highlight": _odt(folder / f"{n}-green.odt", colour="#00ff00"),
            "yellow-style-unused": _odt(folder / f"{n}-unused.odt", colour="#ffff00", use_style=False),
            "text-changed": _odt(folder / f"{n}-changed.odt", (LINES[0], "Goodbye.")),
            "missing-file": str(folder / f"{n}-absent.odt"),
        }
        for label, result in results.items():
            cases.append(Case("check_highlighted_words", f"{use.task[:8]}:{label}", result,
                              gold if use.has_expected else NO_EXPECTED, use.options, (use.task,)))
    return cases
