"""Helpers for suites' asset generators: byte-for-byte reproducible office files.

python-docx and python-pptx stamp each zip member with the current time, so a
regenerated asset would differ from the committed one even when its content is
the same. Suites rewrite the package with one fixed time stamp instead.
"""

from __future__ import annotations

import io
import zipfile

FIXED_ZIP_TIME = (2025, 1, 6, 9, 0, 0)


def rezip_with_fixed_time(data: bytes, stamp: tuple[int, int, int, int, int, int] = FIXED_ZIP_TIME) -> bytes:
    """The same zip package with every member's time stamp and mode fixed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
