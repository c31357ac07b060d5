"""Text read from an image: ``compare_image_text`` (does the agent's screenshot show this text?).

The benchmark reads the image with a neural OCR model; deskbench uses
Debian's Tesseract (``tesseract-ocr``, installed on the host by
``scripts/ensure-tesseract.sh``), which needs no model download.  The words
Tesseract finds are joined with single spaces, as the benchmark joins its
OCR boxes, and the rule's text is looked for in that string.  Small images
(screenshots of a terminal) are enlarged first: Tesseract reads glyphs of
about 30 pixels best.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from harness.checkers.metrics._common import fail, option, result_path, rules_of
from harness.checkers.registry import metric
from harness.errors import CheckerError

OCR_TIMEOUT_S = 60.0
#: images narrower than this are scaled up (integer factor) before reading
MIN_WIDTH = 2000
MAX_PIXELS = 40_000_000  # an image larger than this is the agent's doing and scores 0


def tesseract() -> str:
    """The tesseract program; CheckerError naming the install script when it is absent (a host problem)."""
    found = shutil.which("tesseract")
    if found is None:
        raise CheckerError("OCR: tesseract is not installed on this host (scripts/ensure-tesseract.sh)")
    return found


def read_text(image: Image.Image) -> str:
    """The words Tesseract reads in ``image``, joined by single spaces."""
    return " ".join(read_lines(image).split())


def read_lines(image: Image.Image) -> str:
    """The text Tesseract reads in ``image``, line by line (each line ends in a newline)."""
    grey = image.convert("L")
    if grey.width < MIN_WIDTH:
        factor = max(1, min(4, MIN_WIDTH // max(1, grey.width)))
        grey = grey.resize((grey.width * factor, grey.height * factor), Image.Resampling.LANCZOS)
    with tempfile.TemporaryDirectory(prefix="deskbench-ocr-") as folder:
        source = Path(folder) / "image.png"
        grey.save(source)
        try:
            done = subprocess.run([tesseract(), str(source), "stdout", "-l", "eng"], capture_output=True,
                                  timeout=OCR_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise CheckerError(f"OCR: tesseract ran longer than {OCR_TIMEOUT_S:.0f} s") from None
    if done.returncode != 0:
        raise CheckerError(f"OCR: tesseract failed: {done.stderr.decode(errors='replace')[:300]}")
    lines = done.stdout.decode("utf-8", errors="replace").replace("\f", "").splitlines()
    return "".join(line.rstrip() + "\n" for line in lines if line.strip())


def _open_image(path: str) -> Image.Image | None:
    try:
        image = Image.open(path)
        if image.width * image.height > MAX_PIXELS:
            return None
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    return image


@metric("compare_image_text")
def compare_image_text(result: Any, expected: Any, ignore_case: bool = False) -> float:
    """1 when the text read from the agent's image contains ``rules.text`` (rule ``type: text``)."""
    option("compare_image_text", "ignore_case", ignore_case, bool)
    rules = rules_of("compare_image_text", expected, "type", "text")
    if rules["type"] != "text":
        raise fail("compare_image_text", f"rule type must be 'text', got {rules['type']!r}")
    wanted = rules["text"]
    if not isinstance(wanted, str):
        raise fail("compare_image_text", f"'text' must be a string, got {wanted!r}")
    path = result_path(result)
    image = None if path is None else _open_image(path)
    if image is None:
        return 0.0
    found = read_text(image)
    if ignore_case:
        found, wanted = found.lower(), wanted.lower()
    return float(wanted in found)
