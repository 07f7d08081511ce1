"""SLA: the business calendar, SLA policies, each case's due times in working hours, the pause
while a case waits on the customer, and the scan that announces warnings and breaches.

A case's targets count working minutes from its opening, plus the working time it spent
waiting on the customer (``sla_paused_seconds``): the due times are recomputed from those two
whenever the policy, the priority, the category or a pause changes them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy import case as when
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.notifications.models import NotificationKind
from unicrm.core.graph.notifications.services import notify
from unicrm.core.jobs.queue import effect_once, enqueue
from unicrm.plugins.crm import events
from unicrm.plugins.crm.models import (
    BusinessHours,
    Case,
    CasePriority,
    CaseStatus,
    Holiday,
    SlaPolicy,
)
from unicrm.plugins.crm.services.calendar import DEFAULT_HOURS, BusinessCalendar, NoWorkingTime
from unicrm.plugins.crm.services.categories import normalize_category

MAX_TARGET_MINUTES = 365 * 24 * 60
ANY = "*"
DONE = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"


# ---- the business calendar ------------------------------------------------------------------


async def load_calendar(session: AsyncSession, zone: ZoneInfo) -> BusinessCalendar:
    """The installation's calendar: its working hours (Monday-Friday 09:00-18:00 until set)
    and holidays."""
    rows = (await session.scalars(select(BusinessHours))).all()
    hours: dict[int, tuple[tuple[time, time], ...]] = dict(DEFAULT_HOURS)
    if rows:
        hours = {}
        for row in sorted(rows, key=lambda r: (r.weekday, r.start_time)):
            hours[row.weekday] = (*hours.get(row.weekday, ()), (row.start_time, row.end_time))
    holidays = frozenset((await session.scalars(select(Holiday.day))).all())
    return BusinessCalendar(zone=zone, hours=hours, holidays=holidays)


@dataclass(frozen=True, slots=True)
class Interval:
    weekday: int
    start: time
    end: time


def _minutes(t: time, next_day: bool = False) -> int:
    return t.hour * 60 + t.minute + (24 * 60 if next_day else 0)


def check_hours(intervals: list[Interval]) -> None:
    """Weekdays 0-6, start and end differ, and no two intervals overlap (across midnight and
    from Sunday into Monday too)."""
    errors: list[FieldError] = []
    if not intervals:
        errors.append(FieldError("REQUIRED", "give at least one working interval", "hours"))
    spans: list[tuple[int, int, int]] = []
    week = 7 * 24 * 60
    for i, item in enumerate(intervals):
        if not 0 <= item.weekday <= 6:
            errors.append(
                FieldError("INVALID", "weekday runs from 0 (Monday) to 6", f"hours.{i}.weekday")
            )
            continue
        if item.start == item.end:
            errors.append(FieldError("INVALID", "start and end must differ", f"hours.{i}.end"))
            continue
        begin = item.weekday * 24 * 60 + _minutes(item.start)
        end = item.weekday * 24 * 60 + _minutes(item.end, next_day=item.end <= item.start)
        spans.append((begin, end, i))
        if end > week:  # Sunday night into Monday morning
            spans.append((begin - week, end - week, i))
    spans.sort()
    for (_, end, _), (begin, _, j) in pairwise(spans):
        if begin < end:
            errors.append(FieldError("OVERLAP", "working intervals overlap", f"hours.{j}"))
            break
    if errors:
        raise DomainError(*errors)


async def set_business_hours(session: AsyncSession, intervals: list[Interval]) -> None:
    """Replace the working hours of the week."""
    check_hours(intervals)
    await session.execute(delete(BusinessHours))
    for item in intervals:
        session.add(
            BusinessHours(
                id=uuid7(), weekday=item.weekday, start_time=item.start, end_time=item.end
            )
        )
    await session.flush()


async def add_holiday(session: AsyncSession, day: date, name: str) -> Holiday:
    label = (name or "").strip()
    if not label:
        raise DomainError.single("REQUIRED", "a holiday needs a name", "name")
    if len(label) > 200:
        raise DomainError.single("TOO_LONG", "at most 200 characters", "name")
    if await session.get(Holiday, day) is not None:
        raise DomainError.single("DUPLICATE", "that day is already a holiday", "day")
    row = Holiday(day=day, name=label)
    session.add(row)
    await session.flush()
    return row


async def remove_holiday(session: AsyncSession, day: date) -> None:
    row = await session.get(Holiday, day)
    if row is None:
        raise DomainError.single("NOT_FOUND", "that day is not a holiday", "day")
    await session.delete(row)


# ---- policies ---------------------------------------------------------------------------------


def scope_key(priority: CasePriority | None, category: str | None) -> str:
    return f"{priority.value if priority else ANY}|{category or ANY}"


@dataclass(frozen=True, slots=True)
class PolicyData:
    name: str
    priority: CasePriority | None
    category: str | None
    first_response_minutes: int
    resolution_minutes: int
    warn_before_minutes: int = 60


def _check_policy(data: PolicyData) -> str:
    errors: list[FieldError] = []
    name = (data.name or "").strip()
    if not name:
        errors.append(FieldError("REQUIRED", "a policy needs a name", "name"))
    elif len(name) > 200:
        errors.append(FieldError("TOO_LONG", "at most 200 characters", "name"))
    normalize_category(data.category, errors)
    for field_name in ("first_response_minutes", "resolution_minutes"):
        value = getattr(data, field_name)
        if not 0 < value <= MAX_TARGET_MINUTES:
            errors.append(
                FieldError(
                    "INVALID_TARGET",
                    f"a target is a positive number of working minutes (at most "
                    f"{MAX_TARGET_MINUTES})",
                    field_name,
                )
            )
    if data.warn_before_minutes < 0:
        errors.append(
            FieldError("INVALID_TARGET", "warn before cannot be negative", "warn_before_minutes")
        )
    if errors:
        raise DomainError(*errors)
    return name


async def set_policy(session: AsyncSession, data: PolicyData) -> SlaPolicy:
    """Create the policy of a priority/category pair, or change it; the open cases get their
    due times again in a job (``schedule_reapply``)."""
    name = _check_policy(data)
    category = normalize_category(data.category, [])
    key = scope_key(data.priority, category)
    policy = await session.scalar(
        select(SlaPolicy).where(SlaPolicy.scope_key == key).with_for_update()
    )
    if policy is None:
        policy = SlaPolicy(id=uuid7(), scope_key=key, priority=data.priority, category=category)
        session.add(policy)
    policy.name = name
    policy.first_response_minutes = data.first_response_minutes
    policy.resolution_minutes = data.resolution_minutes
    policy.warn_before_minutes = data.warn_before_minutes
    await session.flush()
    await schedule_reapply(session)
    return policy


async def delete_policy(session: AsyncSession, policy_id: uuid.UUID) -> None:
    policy = await session.get(SlaPolicy, policy_id)
    if policy is None:
        raise DomainError.single("NOT_FOUND", "no such SLA policy", "id")
    await session.delete(policy)
    await session.flush()
    await schedule_reapply(session)


def _keys(priority: CasePriority, category: str | None) -> list[str]:
    """The scope keys that may cover a case, most specific first."""
    keys = [scope_key(priority, category), scope_key(None, category)] if category else []
    return [*keys, scope_key(priority, None), scope_key(None, None)]


async def policy_for(
    session: AsyncSession, priority: CasePriority, category: str | None
) -> SlaPolicy | None:
    """The most specific policy: priority and category, category, priority, default."""
    keys = _keys(priority, category)
    found = {
        p.scope_key: p
        for p in await session.scalars(select(SlaPolicy).where(SlaPolicy.scope_key.in_(keys)))
    }
    return next((found[k] for k in keys if k in found), None)


# ---- a case's clock ---------------------------------------------------------------------------


def _at(calendar: BusinessCalendar, case: Case, minutes: float) -> datetime:
    return calendar.add(case.opened_at, minutes + case.sla_paused_seconds / 60)


def set_due_times(case: Case, policy: SlaPolicy | None, calendar: BusinessCalendar) -> None:
    """The case's due and warning times under ``policy`` (cleared without one). A warning
    already given is forgotten when its target moves."""
    if policy is None:
        case.sla_policy_id = None
        case.first_response_due_at = case.resolution_due_at = None
        case.first_response_warn_at = case.resolution_warn_at = None
        return
    warn = policy.warn_before_minutes
    try:
        first = _at(calendar, case, policy.first_response_minutes)
        resolution = _at(calendar, case, policy.resolution_minutes)
        first_warn = _at(calendar, case, max(policy.first_response_minutes - warn, 0))
        resolution_warn = _at(calendar, case, max(policy.resolution_minutes - warn, 0))
    except NoWorkingTime:
        raise DomainError.single(
            "NO_WORKING_TIME", "the business calendar has no working time ahead", None
        ) from None
    if first != case.first_response_due_at:
        case.first_response_warned_at = None
    if resolution != case.resolution_due_at:
        case.resolution_warned_at = None
    case.sla_policy_id = policy.id
    case.first_response_due_at, case.resolution_due_at = first, resolution
    case.first_response_warn_at, case.resolution_warn_at = first_warn, resolution_warn


async def apply(session: AsyncSession, case: Case, zone: ZoneInfo) -> None:
    """Give the case its policy and due times (after opening, or a priority/category change)."""
    policy = await policy_for(session, case.priority, case.category)
    set_due_times(case, policy, await load_calendar(session, zone))


async def on_status_change(
    session: AsyncSession, case: Case, previous: CaseStatus, now: datetime, zone: ZoneInfo
) -> None:
    """Stop the clock when the case starts waiting on the customer; when it stops waiting,
    add the working time it waited and push the due times back by as much."""
    if case.status is CaseStatus.PENDING_CUSTOMER and case.sla_paused_at is None:
        case.sla_paused_at = now
    elif previous is CaseStatus.PENDING_CUSTOMER and case.sla_paused_at is not None:
        calendar = await load_calendar(session, zone)
        waited = calendar.minutes_between(case.sla_paused_at, now)
        case.sla_paused_seconds += round(waited * 60)
        case.sla_paused_at = None
        if case.sla_policy_id is not None:
            policy = await session.get(SlaPolicy, case.sla_policy_id)
            set_due_times(case, policy, calendar)


REAPPLY_JOB = "crm.sla_reapply"
REAPPLY_BATCH = 1000


async def schedule_reapply(session: AsyncSession) -> None:
    """Recompute the open cases' due times after a policy or calendar change, in a durable
    job once the change commits (never inside the mutation: there may be many open cases)."""
    await enqueue(session, REAPPLY_JOB, {})


async def reapply_open_cases(
    session: AsyncSession,
    zone: ZoneInfo,
    after: uuid.UUID | None = None,
    limit: int = REAPPLY_BATCH,
) -> uuid.UUID | None:
    """Due times, under the current policies and calendar, of up to ``limit`` cases not yet
    resolved, in id order after ``after``; the last id done when more may follow."""
    calendar = await load_calendar(session, zone)
    policies = {p.scope_key: p for p in await session.scalars(select(SlaPolicy))}
    stmt = select(Case).where(Case.status.not_in(DONE)).order_by(Case.id).limit(limit)
    if after is not None:
        stmt = stmt.where(Case.id > after)
    rows = list(await session.scalars(stmt.with_for_update()))
    for case in rows:
        keys = _keys(case.priority, case.category)
        set_due_times(case, next((policies[k] for k in keys if k in policies), None), calendar)
    return rows[-1].id if len(rows) == limit else None


async def reapply_batch(session: AsyncSession, zone: ZoneInfo, payload: dict[str, Any]) -> None:
    """One batch of the recomputation; the next batch is a new job (each commits apart)."""
    after = payload.get("after")
    limit = int(payload.get("limit", REAPPLY_BATCH))
    last = await reapply_open_cases(
        session, zone, None if after is None else uuid.UUID(after), limit
    )
    if last is not None:
        await enqueue(session, REAPPLY_JOB, {"after": str(last), "limit": limit})


# ---- warnings and breaches --------------------------------------------------------------------


_COLUMNS = {
    FIRST_RESPONSE: (
        Case.first_response_warn_at,
        Case.first_response_due_at,
        Case.first_response_warned_at,
        Case.first_response_breached_at,
    ),
    RESOLUTION: (
        Case.resolution_warn_at,
        Case.resolution_due_at,
        Case.resolution_warned_at,
        Case.resolution_breached_at,
    ),
}


def _live(target: str) -> Any:
    """Cases whose ``target`` is still to be met and whose clock runs."""
    live = and_(Case.status.not_in(DONE), Case.sla_paused_at.is_(None))
    if target == FIRST_RESPONSE:
        live = and_(live, Case.first_response_at.is_(None))
    return live


async def _announce(
    session: AsyncSession, job_id: uuid.UUID, now: datetime, target: str, breach: bool, limit: int
) -> int:
    warn_at, due_at, warned_at, breached_at = _COLUMNS[target]
    moment, done = (due_at, breached_at) if breach else (warn_at, warned_at)
    rows = (
        await session.execute(
            select(Case.id, Case.customer_id, Case.team_id, Case.assignee_id, Case.subject, due_at)
            .where(_live(target), moment <= now, done.is_(None))
            .order_by(moment, Case.id)
            .limit(limit)
        )
    ).all()
    kind = "breached" if breach else "warning"
    sent = 0
    for row in rows:
        if not await effect_once(session, job_id, f"crm.sla:{row.id}:{target}:{kind}"):
            continue
        claimed = await session.execute(
            update(Case)
            .where(Case.id == row.id, done.is_(None), moment <= now, _live(target))
            .values({done.key: now})
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        payload = events.SlaAlert(
            case_id=to_global_id("Case", row.id),
            target=target,
            due_at=row[5].isoformat(),
            team_id=None if row.team_id is None else to_global_id("Team", row.team_id),
            assignee_id=None if row.assignee_id is None else to_global_id("User", row.assignee_id),
        )
        emit(
            session,
            events.SLA_BREACHED if breach else events.SLA_WARNING,
            payload,
            customer_id=row.customer_id,
        )
        if row.assignee_id is not None:
            label = target.replace("_", " ")
            notify(
                session,
                row.assignee_id,
                NotificationKind.SLA_WARNING,
                f"SLA {label} breached" if breach else f"SLA {label} due soon",
                body=row.subject,
                subject=to_global_id("Case", row.id),
            )
        sent += 1
    return sent


async def scan(session: AsyncSession, job_id: uuid.UUID, now: datetime, limit: int = 1000) -> int:
    """Announce, once each, the warnings and breaches due by ``now`` (at most ``limit`` of
    each kind per call); return how many were announced."""
    sent = 0
    for target in (FIRST_RESPONSE, RESOLUTION):
        sent += await _announce(session, job_id, now, target, False, limit)
        sent += await _announce(session, job_id, now, target, True, limit)
    return sent


@dataclass(frozen=True, slots=True)
class TeamBreaches:
    team_id: uuid.UUID | None
    first_response: int
    resolution: int


async def breaches_by_team(
    session: AsyncSession, since: datetime, until: datetime
) -> list[TeamBreaches]:
    """Breaches per queue announced in ``[since, until)``, most breaches first."""
    if until <= since:
        raise DomainError.single("INVALID", "until must be after since", "until")

    def counted(column: Any) -> Any:
        inside = (column >= since) & (column < until)
        return func.coalesce(func.sum(when((inside, 1), else_=0)), 0)

    first = counted(Case.first_response_breached_at).label("first")
    resolution = counted(Case.resolution_breached_at).label("resolution")
    rows = (
        await session.execute(
            select(Case.team_id, first, resolution)
            .where(
                (Case.first_response_breached_at.between(since, until))
                | (Case.resolution_breached_at.between(since, until))
            )
            .group_by(Case.team_id)
        )
    ).all()
    out = [TeamBreaches(r.team_id, int(r.first), int(r.resolution)) for r in rows]
    out = [b for b in out if b.first_response or b.resolution]
    return sorted(out, key=lambda b: (-(b.first_response + b.resolution), str(b.team_id)))
