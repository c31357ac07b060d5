"""Dates named relative to today ("next Monday", "10th next month"), for the ``rule_relativeTime`` getter."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
ORDINAL = re.compile(r"^(\d+)(st|nd|rd|th) (this|next) month$")
NTH_WEEKDAY_LATER = re.compile(r"^(first|second|third|fourth) (\w+) (\w+) months? later$")
COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "first": 1, "second": 2, "third": 3,
          "fourth": 4}


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def resolve(phrase: str, today: dt.date) -> dt.date:
    """The date ``phrase`` names, counted from ``today``; ValueError for a phrase it does not know."""
    p = phrase.strip().lower()
    if p == "today" or p == "this month":
        return today
    if p == "tomorrow":
        return today + dt.timedelta(days=1)
    words = p.split()
    if len(words) == 2 and words[0] in ("this", "next") and words[1] in WEEKDAYS:
        if words[0] == "this":  # the first such day on or after today
            return today + dt.timedelta(days=(WEEKDAYS[words[1]] - today.weekday()) % 7)
        next_monday = today + dt.timedelta(days=7 - today.weekday())  # "next": in the following Mon-Sun week
        return next_monday + dt.timedelta(days=WEEKDAYS[words[1]])
    m = ORDINAL.match(p)
    if m:
        base = _add_months(today.replace(day=1), 1 if m.group(3) == "next" else 0)
        return base.replace(day=int(m.group(1)))
    m = NTH_WEEKDAY_LATER.match(p)
    if m and m.group(2) in WEEKDAYS and m.group(3) in COUNTS:
        base = _add_months(today.replace(day=1), COUNTS[m.group(3)])
        first = base + dt.timedelta(days=(WEEKDAYS[m.group(2)] - base.weekday()) % 7)
        return first + dt.timedelta(weeks=COUNTS[m.group(1)] - 1)
    raise ValueError(f"unknown relative date {phrase!r}")


def format_date(template: str, day: dt.date) -> str:
    fields = {"DoW": day.strftime("%a"), "Month": day.strftime("%b"), "MonthFull": day.strftime("%B"),
              "month": day.strftime("%B").lower(), "Month0D": f"{day.month:02d}", "MonthD": str(day.month),
              "Day0D": f"{day.day:02d}", "DayD": str(day.day), "Year": str(day.year)}
    return re.sub(r"\{(\w+)\}", lambda m: fields.get(m.group(1), m.group(0)), template)


def fill_relative_dates(relative: dict[str, str], expected: Any, today: dt.date | None = None) -> Any:
    """Fill each expected string whose key has a relative date; other values are returned unchanged."""
    today = today or dt.date.today()
    if not isinstance(expected, dict):
        raise ValueError("'expected' must be an object")
    dates = {k: resolve(v, today) for k, v in relative.items()}
    return {k: format_date(v, dates[k]) if k in dates and isinstance(v, str) else v for k, v in expected.items()}
