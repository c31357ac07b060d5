"""One rule for every versioned record the store reads: older versions load, a newer one is refused by name.

A record written by a newer deskbench may hold fields or values this one
does not know; reading it as if it were known would show a wrong table or a
confusing validation error, so the reader stops with one line that says
which file, which record and what to do.
"""

from __future__ import annotations

from typing import Any

from harness.errors import DeskbenchError


class NewerRecordError(DeskbenchError):
    """A record was written by a newer deskbench than the one reading it."""


def check_version(raw: Any, field: str, supported: int, what: str) -> None:
    """Raise NewerRecordError when the JSON object ``raw`` says ``field`` > ``supported`` (absent: version 1)."""
    if not isinstance(raw, dict):
        return
    found = raw.get(field, 1)
    if isinstance(found, int) and not isinstance(found, bool) and found > supported:
        raise NewerRecordError(f"{what} has {field} {found}, newer than this deskbench reads (up to {supported}); "
                               "upgrade deskbench to read it")
