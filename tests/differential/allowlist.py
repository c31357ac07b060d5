"""Disagreements that remain under ``osworld`` semantics, each with the reason deskbench does not copy it.

Keys are case keys (``metric/task-prefix:label``) or ``fnmatch`` patterns of
them.  The parity test and the benchmark fail on any disagreement that no
entry explains.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

ALLOWED: dict[str, str] = {
    "compare_table/8e116af7:libreoffice-saved": (
        "OSWorld's read_cell_value returns the XML element itself (a dict, from xmltodict) for a string cell "
        "written with xml:space=\"preserve\" (a value with outer blanks, as openpyxl writes the gold here), so "
        "its sheet_fuzzy compares \"{'@...space': 'preserve', ...}\" with the text; deskbench compares the text."
    ),
}


def explanation(key: str) -> str | None:
    """Why the case ``key`` may disagree, or None when nothing explains it."""
    for pattern, reason in ALLOWED.items():
        if fnmatchcase(key, pattern):
            return reason
    return None
