"""Which checker semantics score an episode: ``osworld`` (the reference's, quirks included) or ``strict``.

``osworld`` scores every case as OSWorld's published checkers do, so numbers
compare with published ones.  ``strict`` applies deskbench's corrections,
each a named ``Deviation`` listed here once; a metric asks
``corrects("<id>")`` at the one place where its behaviour differs.  The
semantics in force is set by ``evaluate`` from the checker context (a
context variable, so metric signatures stay OSWorld's).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, get_args

Semantics = Literal["osworld", "strict"]
SEMANTICS: tuple[str, ...] = get_args(Semantics)
DEFAULT: Semantics = "osworld"


@dataclass(frozen=True)
class Deviation:
    """One correction ``strict`` makes to the reference's behaviour."""

    id: str
    metric: str
    reason: str
    tasks: tuple[str, ...]
    test: str


DEVIATIONS: dict[str, Deviation] = {}


class ReferenceCrash(Exception):
    """Under ``osworld``: OSWorld's checker raises on this input, so a published run scored the task 0.

    ``evaluate`` scores it 0 and keeps the message as the metric's note: never a crash, never a silent 1.
    """


def _deviation(id: str, metric: str, reason: str, tasks: tuple[str, ...], test: str) -> None:
    DEVIATIONS[id] = Deviation(id, metric, reason, tasks, test)


_deviation("sheet-data-ignore-case", "compare_table",
           "a sheet_data rule's ignore_case is honoured (OSWorld's compare_table ignores it there, only sheet_print "
           "reads it), so a task that asks for case-insensitive data accepts a result differing in case only",
           ("3a93cae4-ad3e-403e-8c12-65303b271818",), "tests/test_checker_parity.py::test_strict_deviations")

_deviation("utc-zone-line", "is_utc_0",
           "the 'Time zone:' line is found wherever timedatectl prints it; OSWorld reads the fourth line, which is "
           "another line on a machine without a real-time clock (containers), so a correct UTC setting scores 0",
           ("b6781586-6346-41cd-935a-a6b1487918fc",), "tests/test_checker_parity.py::test_strict_deviations")

_deviation("page-break-without-rules", "contains_page_break",
           "the metric runs without rules (count any manual page break); OSWorld's function needs a rules argument "
           "that the task does not give, so OSWorld raises TypeError and the task can never score 1",
           ("ecc2413d-8a48-416e-a3a2-d30106ca36cb",), "tests/test_checker_parity.py::test_strict_deviations")

_deviation("green-background-axes", "check_green_background",
           "pixels are compared at the same (row, column); OSWorld indexes the arrays [x, y], which checks a "
           "transposed region and raises IndexError on any picture wider than tall",
           ("734d6579-c07d-47a8-9ae2-13339795476b",), "tests/test_checker_parity.py::test_strict_deviations")
_deviation("brightness-same-size", "check_brightness_decrease_and_structure_sim",
           "a result of another size than the original is not 'the same picture, darker'; OSWorld scales it to "
           "the original's size first and can accept a resized copy",
           ("7a4deb26-d57d-4ea9-9a73-630f66a7b568", "4c26e3f3-3a14-4d86-b44a-d3cedebbb487"),
           "tests/test_checker_parity.py::test_strict_deviations")

_deviation("thunderbird-folder-messages", "check_thunderbird_folder",
           "the mail folder's messages are compared with the gold folder's; OSWorld's parser skips every "
           "non-empty message (`if mail.strip(): continue`), so any two readable folder files score 1",
           ("78aed49a-a710-4321-a793-b611a7c5b56b", "a0b9dc9c-fc07-4a88-8c5d-5e3ecad91bcb"),
           "tests/test_checker_parity.py::test_strict_deviations")
_deviation("image-list-same-size", "compare_image_list",
           "an image of another size is not the gold image; OSWorld scales it to the gold's size (and mode) "
           "first, so a resized copy can pass as identical",
           ("46407397-a7d5-4c6b-92c6-dbe038b1457b", "82e3c869-49f6-4305-a7ce-f3e64a0618e7"),
           "tests/test_checker_parity.py::test_strict_deviations")


_current: ContextVar[Semantics] = ContextVar("deskbench_checker_semantics", default=DEFAULT)


def parse_semantics(value: str) -> Semantics:
    """The semantics named ``value``; ValueError naming the choices otherwise."""
    if value not in SEMANTICS:
        raise ValueError(f"checker semantics {value!r}: choose one of {', '.join(SEMANTICS)}")
    return value  # type: ignore[return-value]


def current() -> Semantics:
    return _current.get()


def corrects(deviation: str) -> bool:
    """True when the metric should apply deviation ``deviation`` (only under ``strict``)."""
    if deviation not in DEVIATIONS:
        raise KeyError(f"unknown checker deviation {deviation!r}")
    return _current.get() == "strict"


@contextmanager
def scoring_under(semantics: Semantics) -> Iterator[None]:
    """Score everything inside under ``semantics``."""
    token = _current.set(semantics)
    try:
        yield
    finally:
        _current.reset(token)


def _call_under(semantics: Semantics, fn: Callable[..., Any], result: Any, expected: Any, **options: Any) -> Any:
    with scoring_under(semantics):
        return fn(result, expected, **options)


def bound(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` carrying the semantics now in force: it holds in the metric server's process too (a picklable call)."""
    return functools.partial(_call_under, _current.get(), fn)
