"""Working-hours arithmetic: weekends, holidays, lunch breaks, overnight shifts, the time zone,
and the working time between two moments (what a pause adds)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from unicrm.core.errors import DomainError
from unicrm.plugins.crm.services.calendar import BusinessCalendar, NoWorkingTime
from unicrm.plugins.crm.services.sla import Interval, check_hours

BANGKOK = ZoneInfo("Asia/Bangkok")
OFFICE = BusinessCalendar(zone=BANGKOK)  # Monday-Friday 09:00-18:00


def bkk(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A wall-clock time in Bangkok, November 2026 (the 23rd is a Monday)."""
    return datetime(2026, month, day, hour, minute, tzinfo=BANGKOK)


def test_adding_within_one_working_day():
    assert OFFICE.add(bkk(23, 10), 60) == bkk(23, 11)
    assert OFFICE.add(bkk(23, 10), 0) == bkk(23, 10)


def test_before_opening_the_clock_starts_at_opening():
    assert OFFICE.add(bkk(23, 6), 30) == bkk(23, 9, 30)


def test_the_rest_carries_to_the_next_working_morning():
    assert OFFICE.add(bkk(23, 17), 120) == bkk(24, 10)


def test_friday_evening_carries_over_the_weekend():
    # Friday 27th, 17:30 + 1 hour: 30 minutes on Friday, 30 on Monday the 30th
    assert OFFICE.add(bkk(27, 17, 30), 60) == bkk(30, 9, 30)
    assert OFFICE.add(bkk(28, 12), 10) == bkk(30, 9, 10)  # opened on Saturday


def test_holidays_are_skipped():
    calendar = BusinessCalendar(zone=BANGKOK, holidays=frozenset({date(2026, 11, 24)}))
    assert calendar.add(bkk(23, 17), 120) == bkk(25, 10)


def test_a_lunch_break_is_not_working_time():
    calendar = BusinessCalendar(
        zone=BANGKOK, hours={0: ((time(8, 30), time(12, 0)), (time(13, 0), time(17, 30)))}
    )
    assert calendar.add(bkk(23, 11), 90) == bkk(23, 13, 30)
    assert calendar.minutes_between(bkk(23, 11), bkk(23, 14)) == 120


def test_overnight_shifts_run_past_midnight():
    night = BusinessCalendar(
        zone=BANGKOK, hours={d: ((time(22, 0), time(6, 0)),) for d in range(7)}
    )
    assert night.add(bkk(23, 23), 120) == bkk(24, 1)
    assert night.add(bkk(24, 2), 300) == bkk(24, 23)  # 4 hours to 06:00, then from 22:00
    assert night.add(bkk(24, 5), 30) == bkk(24, 5, 30)  # inside Monday night's shift
    assert night.minutes_between(bkk(23, 21), bkk(24, 7)) == 8 * 60


def test_the_arithmetic_is_in_the_business_time_zone():
    utc_moment = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 08:00 in Bangkok
    assert OFFICE.add(utc_moment, 60) == datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    assert OFFICE.add(utc_moment, 60).tzinfo == UTC


def test_working_minutes_between_two_moments():
    assert OFFICE.minutes_between(bkk(23, 17), bkk(24, 10)) == 120
    assert OFFICE.minutes_between(bkk(27, 17), bkk(30, 9, 30)) == 90  # over a weekend
    assert OFFICE.minutes_between(bkk(28, 9), bkk(29, 18)) == 0  # only the weekend
    assert OFFICE.minutes_between(bkk(24, 10), bkk(23, 10)) == 0


def test_adding_what_was_between_gives_the_end_back():
    start = bkk(26, 16, 45)
    for minutes in (1, 75, 540, 541, 2000, 9000):
        end = OFFICE.add(start, minutes)
        assert OFFICE.minutes_between(start, end) == minutes


def test_a_calendar_without_working_time_says_so():
    with pytest.raises(NoWorkingTime):
        BusinessCalendar(zone=BANGKOK, hours={}).add(bkk(23, 10), 1)


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([], [("hours", "REQUIRED")]),
        ([Interval(7, time(9), time(17))], [("hours.0.weekday", "INVALID")]),
        ([Interval(0, time(9), time(9))], [("hours.0.end", "INVALID")]),
        (
            [Interval(0, time(9), time(12)), Interval(0, time(11), time(14))],
            [("hours.1", "OVERLAP")],
        ),
        (
            [Interval(0, time(22), time(6)), Interval(1, time(5), time(9))],
            [("hours.1", "OVERLAP")],
        ),
        (
            [Interval(6, time(22), time(6)), Interval(0, time(5), time(9))],
            [("hours.1", "OVERLAP")],
        ),
    ],
)
def test_working_hours_that_cannot_be(intervals, expected):
    with pytest.raises(DomainError) as caught:
        check_hours(intervals)
    assert [(e.field, e.code) for e in caught.value.errors] == expected


def test_working_hours_that_touch_are_fine():
    check_hours(
        [
            Interval(0, time(9), time(12)),
            Interval(0, time(12), time(18)),
            Interval(6, time(22), time(6)),
            Interval(0, time(6), time(8)),
        ]
    )
