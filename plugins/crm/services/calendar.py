"""Working-hours arithmetic over a business calendar, in the business time zone.

A calendar has working intervals per weekday (Monday is 0) and holidays. An interval whose
end is not after its start runs overnight into the next day (22:00-06:00); an interval
belongs to the day it starts on, so a holiday cancels the intervals starting that day. All
arithmetic is done on aware datetimes; the answers are in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3 * 366
"""How far ``add`` searches for working time before giving up (a calendar of holidays only)."""

DEFAULT_HOURS: dict[int, tuple[tuple[time, time], ...]] = {
    day: ((time(9, 0), time(18, 0)),) for day in range(5)
}
"""Monday to Friday, 09:00 to 18:00: the calendar until working hours are set."""


class NoWorkingTime(ValueError):
    """The calendar has no working time within ``MAX_DAYS``."""


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    zone: ZoneInfo
    hours: dict[int, tuple[tuple[time, time], ...]] = field(
        default_factory=lambda: dict(DEFAULT_HOURS)
    )
    holidays: frozenset[date] = frozenset()

    def intervals_of(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals starting on ``day`` (none on a holiday), as UTC datetimes."""
        if day in self.holidays:
            return []
        out = []
        for start, end in self.hours.get(day.weekday(), ()):
            begin = datetime.combine(day, start, tzinfo=self.zone)
            finish_day = day if end > start else day + timedelta(days=1)
            finish = datetime.combine(finish_day, end, tzinfo=self.zone)
            out.append((begin.astimezone(UTC), finish.astimezone(UTC)))
        return sorted(out)

    def _intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals ending after ``moment``, in order, clipped to start at it."""
        day = moment.astimezone(self.zone).date() - timedelta(days=1)  # overnight shifts
        for offset in range(MAX_DAYS + 1):
            for begin, finish in self.intervals_of(day + timedelta(days=offset)):
                if finish > moment:
                    yield max(begin, moment), finish

    def add(self, moment: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` working minutes after ``moment`` (itself when 0)."""
        left = timedelta(minutes=minutes)
        if left <= timedelta(0):
            return moment.astimezone(UTC)
        for begin, finish in self._intervals_from(moment):
            span = finish - begin
            if span >= left:
                return begin + left
            left -= span
        raise NoWorkingTime("the business calendar has no working time ahead")

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Working minutes from ``start`` to ``end`` (0 when ``end`` is not after it)."""
        if end <= start:
            return 0.0
        total = timedelta(0)
        for begin, finish in self._intervals_from(start):
            if begin >= end:
                break
            total += min(finish, end) - begin
        return total.total_seconds() / 60
