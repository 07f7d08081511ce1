"""The five-field cron parser and slots in a time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from unicrm.core.jobs.cron import Cron, CronError

BANGKOK = ZoneInfo("Asia/Bangkok")
NEW_YORK = ZoneInfo("America/New_York")


def test_fields_accept_lists_ranges_steps_and_names():
    cron = Cron.parse("*/15 9-17/4 1,15 jan-mar mon-fri")

    assert cron.minutes == {0, 15, 30, 45}
    assert cron.hours == {9, 13, 17}
    assert cron.days == {1, 15}
    assert cron.months == {1, 2, 3}
    assert cron.weekdays == {1, 2, 3, 4, 5}


def test_sunday_is_zero_or_seven_and_a_bare_start_with_a_step_runs_to_the_end():
    assert Cron.parse("0 0 * * 7").weekdays == {0}
    assert Cron.parse("0 0 * * SUN,sat").weekdays == {0, 6}
    assert Cron.parse("50/5 * * * *").minutes == {50, 55}


@pytest.mark.parametrize(
    ("alias", "expression"),
    [("@hourly", "0 * * * *"), ("@daily", "0 0 * * *"), ("@weekly", "0 0 * * 0")],
)
def test_aliases_mean_their_expressions(alias, expression):
    named, plain = Cron.parse(alias), Cron.parse(expression)

    assert (named.minutes, named.hours, named.weekdays) == (
        plain.minutes,
        plain.hours,
        plain.weekdays,
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "needs 5 fields"),
        ("60 * * * *", "minute: 60 is outside 0-59"),
        ("* 24 * * *", "hour: 24 is outside 0-23"),
        ("* * 0 * *", "day of month: 0 is outside 1-31"),
        ("* * * 13 *", "month: 13 is outside 1-12"),
        ("* * * * 8", "day of week: 8 is outside 0-7"),
        ("*/0 * * * *", "step '0' must be a positive number"),
        ("5-1 * * * *", "range '5-1' runs backwards"),
        ("x * * * *", "minute: 'x' is not a number"),
        ("* * * foo *", "month: 'foo' is not a number"),
        ("", "needs 5 fields"),
    ],
)
def test_a_malformed_expression_says_which_field_is_wrong(expression, message):
    with pytest.raises(CronError, match=message.replace("*", r"\*")):
        Cron.parse(expression)


def test_both_day_fields_restricted_match_either_day():
    cron = Cron.parse("0 9 1 * mon")

    assert cron.matches(datetime(2026, 6, 1, 9, 0))  # the 1st, a Monday anyway
    assert cron.matches(datetime(2026, 6, 8, 9, 0))  # a Monday
    assert cron.matches(datetime(2026, 7, 1, 9, 0))  # the 1st, a Wednesday
    assert not cron.matches(datetime(2026, 7, 2, 9, 0))


def test_one_day_field_restricted_must_match():
    cron = Cron.parse("0 9 * * mon")

    assert cron.matches(datetime(2026, 6, 8, 9, 0))
    assert not cron.matches(datetime(2026, 7, 1, 9, 0))


def test_the_latest_slot_is_read_in_the_business_time_zone():
    cron = Cron.parse("0 2 * * *")  # 02:00 in Bangkok is 19:00 UTC the day before
    at = datetime(2026, 11, 23, 18, 59, tzinfo=UTC)  # 01:59 on the 24th in Bangkok

    slot = cron.latest(at, BANGKOK)

    assert slot == datetime(2026, 11, 23, 2, 0, tzinfo=BANGKOK)
    assert slot.isoformat() == "2026-11-23T02:00:00+07:00"
    assert cron.latest(datetime(2026, 11, 23, 19, 0, tzinfo=UTC), BANGKOK) == datetime(
        2026, 11, 24, 2, 0, tzinfo=BANGKOK
    )


def test_the_slot_at_exactly_now_is_due():
    at = datetime(2026, 11, 23, 3, 30, tzinfo=BANGKOK)

    assert Cron.parse("30 3 * * *").latest(at, BANGKOK) == at


def test_a_birthday_on_the_29th_of_february_looks_back_to_the_last_leap_year():
    at = datetime(2026, 11, 23, tzinfo=UTC)

    assert Cron.parse("0 8 29 2 *").latest(at, BANGKOK) == datetime(
        2024, 2, 29, 8, 0, tzinfo=BANGKOK
    )


def test_a_skipped_daylight_saving_hour_still_yields_a_slot_before_now():
    cron = Cron.parse("30 2 * * *")  # 2026-03-08 02:30 does not exist in New York
    at = datetime(2026, 3, 8, 3, 10, tzinfo=NEW_YORK)  # 07:10 UTC

    slot = cron.latest(at, NEW_YORK)

    assert slot is not None
    assert slot.astimezone(UTC) <= at.astimezone(UTC)


def test_an_impossible_date_has_no_slot():
    assert Cron.parse("0 0 31 2 *").latest(datetime(2026, 1, 1, tzinfo=UTC), BANGKOK) is None


def test_latest_needs_an_aware_time():
    with pytest.raises(ValueError, match="aware"):
        Cron.parse("* * * * *").latest(datetime(2026, 1, 1), BANGKOK)
