"""Weekly opening hours: validation, and the open intervals they give over a time range.

Hours are a list of ``{"day": 0-6, "opens": "HH:MM", "closes": "HH:MM"}`` with Monday as 0.
An interval whose ``closes`` is at or before its ``opens`` runs past midnight into the next
day (``18:00`` to ``02:00``); ``24:00`` closes at midnight. A day with no interval is closed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from unicrm.core.errors import DomainError, FieldError

DAY = 1440
WEEK = 7 * DAY
MAX_INTERVALS = 28
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")


@dataclass(frozen=True, slots=True)
class Interval:
    day: int
    opens: str
    closes: str

    @property
    def start(self) -> int:
        """Minutes after the start of the day it opens."""
        return _minutes(self.opens)

    @property
    def length(self) -> int:
        end = _minutes(self.closes)
        return end - self.start if end > self.start else end + DAY - self.start

    @property
    def overnight(self) -> bool:
        return self.start + self.length > DAY

    def as_json(self) -> dict[str, Any]:
        return {"day": self.day, "opens": self.opens, "closes": self.closes}


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def parse(stored: Sequence[dict[str, Any]]) -> list[Interval]:
    return [Interval(int(i["day"]), i["opens"], i["closes"]) for i in stored]


def check(intervals: Sequence[Interval], field: str) -> list[Interval]:
    """The intervals sorted by week time, or a ``DomainError`` naming each bad one.

    Rejected: a day outside 0-6, a time not ``HH:MM``, an ``opens`` of ``24:00``, and two
    intervals that overlap (an overnight interval overlaps the next morning's, Sunday night
    runs into Monday).
    """
    errors: list[FieldError] = []
    if len(intervals) > MAX_INTERVALS:
        raise DomainError.single("INVALID", f"at most {MAX_INTERVALS} intervals", field)
    for i, interval in enumerate(intervals):
        at = f"{field}.{i}"
        if not 0 <= interval.day <= 6:
            errors.append(FieldError("INVALID", "day must be 0 (Monday) to 6", f"{at}.day"))
        if not _CLOCK.fullmatch(interval.opens) or interval.opens == "24:00":
            errors.append(
                FieldError("INVALID", "opens must be HH:MM, 00:00 to 23:59", f"{at}.opens")
            )
        if not _CLOCK.fullmatch(interval.closes):
            errors.append(
                FieldError("INVALID", "closes must be HH:MM, 00:00 to 24:00", f"{at}.closes")
            )
    if errors:
        raise DomainError(*errors)
    ordered = sorted(intervals, key=lambda i: (i.day, i.start))
    spans = [(i.day * DAY + i.start, i.day * DAY + i.start + i.length) for i in ordered]
    for n, (_, end) in enumerate(spans):
        following = spans[(n + 1) % len(spans)][0] + (WEEK if n + 1 == len(spans) else 0)
        if len(spans) > 1 and end > following:
            errors.append(
                FieldError(
                    "OVERLAP",
                    "opening intervals overlap (an overnight interval runs into the next day)",
                    field,
                )
            )
            break
    if errors:
        raise DomainError(*errors)
    return ordered


def open_between(
    intervals: Sequence[Interval], zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The open periods (UTC) that overlap ``[start, end)``, whole and in time order.

    Local wall-clock times are read in ``zone``; the day before ``start`` is included so that
    an overnight interval begun then is found.
    """
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    periods: list[tuple[datetime, datetime]] = []
    day: date = first
    while day <= last:
        for interval in intervals:
            if interval.day != day.weekday():
                continue
            opens = datetime.combine(day, time(), zone) + timedelta(minutes=interval.start)
            closes = opens + timedelta(minutes=interval.length)
            if closes > start and opens < end:
                periods.append((opens.astimezone(start.tzinfo), closes.astimezone(start.tzinfo)))
        day += timedelta(days=1)
    return sorted(periods)
