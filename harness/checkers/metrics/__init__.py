"""The built-in metrics, one module per family; importing this package registers them all.

A metric is ``fn(result, expected, **options) -> float in [0, 1]`` (see
``harness.checkers.registry``).  ``None`` for a result means the desktop did
not hold what the task asked for and scores 0; unusable options or expected
data raise ``CheckerError``.
"""

from harness.checkers.metrics import (  # noqa: F401  (imported to register their metrics)
    archives,
    audio_video,
    browser,
    code,
    config,
    docs,
    images,
    mail,
    media,
    ocr,
    pdf,
    sheets,
    slides,
    system,
)
from harness.checkers.metrics.basic import check_include_exclude, compare_text_file, exact_match

__all__ = ["check_include_exclude", "compare_text_file", "exact_match"]
