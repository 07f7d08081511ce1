"""Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in a
time zone.

The syntax is Vixie cron's: ``*``, numbers, ranges ``a-b``, steps ``*/n`` and ``a-b/n``,
lists ``a,b``, month and weekday names (``jan``, ``mon``), Sunday as 0 or 7, and the aliases
``@hourly @daily @midnight @weekly @monthly @yearly @annually``. When both day fields are
restricted a day matches either of them (``0 9 1 * mon`` is the 1st and every Monday).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
SEARCH_DAYS = 366 * 28
"""How far back a slot is searched: 28 years holds every weekday/Feb-29 combination."""


class CronError(ValueError):
    """A cron expression that cannot be parsed; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    names_from: int = 0


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, MONTHS, 1),
    _Field("day of week", 0, 7, WEEKDAYS, 0),
)


def _number(raw: str, spec: _Field) -> int:
    lowered = raw.lower()
    if lowered in spec.names:
        return spec.names.index(lowered) + spec.names_from
    if not raw.isdigit():
        raise CronError(f"{spec.name}: {raw!r} is not a number")
    value = int(raw)
    if not spec.low <= value <= spec.high:
        raise CronError(f"{spec.name}: {value} is outside {spec.low}-{spec.high}")
    return value


def _parse_field(text: str, spec: _Field) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{spec.name}: step {step_text!r} must be a positive number")
            step = int(step_text)
        if base == "*":
            low, high = spec.low, spec.high
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _number(first, spec), _number(last, spec)
            if low > high:
                raise CronError(f"{spec.name}: range {base!r} runs backwards")
        else:
            low = _number(base, spec)
            high = spec.high if slash else low
        values.update(range(low, high + 1, step))
    return frozenset(values)


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed expression: the allowed values of each field."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday … 6 = Saturday
    day_restricted: bool
    weekday_restricted: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        text = ALIASES.get(expression.strip().lower(), expression)
        parts = text.split()
        if len(parts) != 5:
            raise CronError(
                f"{expression!r} needs 5 fields (minute hour day-of-month month day-of-week)"
            )
        fields = [_parse_field(p, spec) for p, spec in zip(parts, _FIELDS, strict=True)]
        return cls(
            expression=expression,
            minutes=fields[0],
            hours=fields[1],
            days=fields[2],
            months=fields[3],
            weekdays=frozenset(d % 7 for d in fields[4]),
            day_restricted=not parts[2].startswith("*"),
            weekday_restricted=not parts[4].startswith("*"),
        )

    def matches_day(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_day = day.day in self.days
        by_weekday = (day.isoweekday() % 7) in self.weekdays
        if self.day_restricted and self.weekday_restricted:
            return by_day or by_weekday
        return by_day and by_weekday

    def matches(self, moment: datetime) -> bool:
        """Whether the wall-clock minute of ``moment`` is a slot."""
        return (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and self.matches_day(moment.date())
        )

    def latest(self, at: datetime, zone: ZoneInfo) -> datetime | None:
        """The latest slot at or before ``at`` (aware), as an aware time in ``zone``.

        A wall-clock time skipped by a daylight-saving change counts at the zone's reading of
        it (``fold=0``); a repeated one counts once, at its first occurrence.
        """
        if at.tzinfo is None:
            raise ValueError("latest() needs an aware datetime")
        local = at.astimezone(zone).replace(tzinfo=None)
        hours = sorted(self.hours, reverse=True)
        minutes = sorted(self.minutes, reverse=True)
        for back in range(SEARCH_DAYS):
            day = local.date() - timedelta(days=back)
            if not self.matches_day(day):
                continue
            for hour in hours:
                for minute in minutes:
                    wall = datetime(day.year, day.month, day.day, hour, minute)
                    if wall > local:
                        continue
                    slot = wall.replace(tzinfo=zone)
                    if slot.astimezone(UTC) <= at:
                        return slot
        return None
