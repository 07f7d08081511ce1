"""Activities with customers: calls, meetings (in person or online), visits with a check-in
location, e-mails, and tasks with a due time and a reminder.

An activity belongs to the customer: it is read through the customer's row scope, so the
rep who takes over a customer sees every call and visit of the rep before. Each activity is
written on the customer's timeline. A task's reminder is a durable job due at ``remind_at``
that notifies the task's owner once, unless the task is done by then.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.rows import visible
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.notifications.models import NotificationKind
from unicrm.core.graph.notifications.services import notify
from unicrm.core.graph.timeline.services import add_entry
from unicrm.core.graph.users.models import User
from unicrm.core.jobs.contracts import JobRun
from unicrm.core.jobs.queue import enqueue
from unicrm.plugins.sfa.models import Activity, ActivityKind, Deal

REMINDER_JOB = "sfa.task_reminder"
MAX_SUBJECT = 300
MAX_NOTES = 4000
MAX_DURATION_MINUTES = 24 * 60
SYSTEM = "system"
_LABELS = {
    ActivityKind.CALL: "Call",
    ActivityKind.MEETING: "Meeting",
    ActivityKind.VISIT: "Visit",
    ActivityKind.EMAIL: "E-mail",
    ActivityKind.TASK: "Task",
}

_CUSTOMER_OWNER = select(Customer.owner_id).where(Customer.id == Activity.customer_id)
_CUSTOMER_DEPARTMENT = select(Customer.department_id).where(Customer.id == Activity.customer_id)


def visible_to(ctx: Any, action: str = "read") -> ColumnElement[bool] | None:
    """The activities the actor may see: those of the customers their ``sfa.activity`` scope
    holds (by the customer's owner and department, not by who logged the activity)."""
    return visible(
        ctx,
        "sfa.activity",
        owner=_CUSTOMER_OWNER.scalar_subquery(),
        department=_CUSTOMER_DEPARTMENT.scalar_subquery(),
        action=action,
    )


def customers_visible_to(ctx: Any, action: str = "write") -> ColumnElement[bool] | None:
    """The customers the actor may log activities with: their ``sfa.activity`` scope over
    the customer's owner and department."""
    return visible(
        ctx,
        "sfa.activity",
        owner=Customer.owner_id,
        department=Customer.department_id,
        action=action,
    )


@dataclass(frozen=True, slots=True)
class CheckIn:
    latitude: float
    longitude: float
    label: str | None = None


@dataclass
class ActivityData:
    customer_id: uuid.UUID
    kind: ActivityKind
    subject: str
    deal_id: uuid.UUID | None = None
    notes: str | None = None
    owner_id: uuid.UUID | None = None
    occurred_at: datetime | None = None
    duration_minutes: int | None = None
    video_url: str | None = None
    check_in: CheckIn | None = None
    due_at: datetime | None = None
    remind_at: datetime | None = None


def _text(value: str | None, field: str, limit: int) -> str | None:
    cleaned = (value or "").strip() or None
    if cleaned is not None and len(cleaned) > limit:
        raise DomainError.single("TOO_LONG", f"at most {limit} characters", field)
    return cleaned


def _video_url(value: str | None) -> str | None:
    url = _text(value, "video_url", 500)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise DomainError.single("INVALID_URL", "a video-call link is an https URL", "video_url")
    return url


def _kind_errors(data: ActivityData, now: datetime) -> list[FieldError]:
    """What does not fit the kind: links only on meetings, check-ins only on visits, a due
    time (and an optional reminder before it, in the future) only on tasks."""
    errors: list[FieldError] = []

    def only(kind: ActivityKind, field: str, given: bool) -> None:
        if given and data.kind is not kind:
            errors.append(FieldError("NOT_FOR_KIND", f"only a {kind.value} has {field}", field))

    only(ActivityKind.MEETING, "video_url", data.video_url is not None)
    only(ActivityKind.VISIT, "check_in", data.check_in is not None)
    only(ActivityKind.TASK, "due_at", data.due_at is not None)
    only(ActivityKind.TASK, "remind_at", data.remind_at is not None)
    if data.kind is ActivityKind.TASK and data.due_at is None:
        errors.append(FieldError("REQUIRED", "a task needs a due time", "due_at"))
    if data.remind_at is not None and data.kind is ActivityKind.TASK:
        if data.remind_at <= now:
            errors.append(FieldError("INVALID_TIME", "a reminder is in the future", "remind_at"))
        elif data.due_at is not None and data.remind_at > data.due_at:
            errors.append(
                FieldError("INVALID_TIME", "a reminder comes before the due time", "remind_at")
            )
    if data.check_in is not None:
        if not -90 <= data.check_in.latitude <= 90:
            errors.append(
                FieldError("INVALID_LOCATION", "latitude is -90 to 90", "check_in.latitude")
            )
        if not -180 <= data.check_in.longitude <= 180:
            errors.append(
                FieldError("INVALID_LOCATION", "longitude is -180 to 180", "check_in.longitude")
            )
    if data.duration_minutes is not None and not 0 < data.duration_minutes <= MAX_DURATION_MINUTES:
        errors.append(
            FieldError(
                "INVALID", f"a duration is 1 to {MAX_DURATION_MINUTES} minutes", "duration_minutes"
            )
        )
    return errors


async def log_activity(
    session: AsyncSession,
    data: ActivityData,
    customer_scope: ColumnElement[bool] | None = None,
) -> Activity:
    """Record an activity with a customer (and one of the customer's deals), put it on the
    customer's timeline, and schedule a task's reminder. ``customer_scope`` limits the
    customers the caller may log with (an unknown one and a hidden one are both NOT_FOUND)."""
    now = utcnow()
    subject = _text(data.subject, "subject", MAX_SUBJECT)
    if subject is None:
        raise DomainError.single("REQUIRED", "an activity needs a subject", "subject")
    notes = _text(data.notes, "notes", MAX_NOTES)
    video_url = _video_url(data.video_url)
    location = None if data.check_in is None else _text(data.check_in.label, "check_in.label", 300)
    errors = _kind_errors(data, now)
    if errors:
        raise DomainError(*errors)
    stmt = select(Customer).where(Customer.id == data.customer_id)
    customer = await session.scalar(stmt if customer_scope is None else stmt.where(customer_scope))
    if customer is None:
        raise DomainError.single("NOT_FOUND", "no such customer", "customer_id")
    if data.deal_id is not None:
        deal = await session.get(Deal, data.deal_id)
        if deal is None:
            raise DomainError.single("NOT_FOUND", "no such deal", "deal_id")
        if customer.id not in (deal.customer_id, deal.company_id):
            raise DomainError.single(
                "DEAL_OF_ANOTHER_CUSTOMER", "the deal is with another customer", "deal_id"
            )
    if data.owner_id is not None and await session.get(User, data.owner_id) is None:
        raise DomainError.single("NOT_FOUND", "no such user", "owner_id")
    actor = session.info.get("actor")
    activity = Activity(
        customer_id=customer.id,
        deal_id=data.deal_id,
        kind=data.kind,
        subject=subject,
        notes=notes,
        owner_id=data.owner_id,
        created_by=getattr(actor, "name", None) or SYSTEM,
        occurred_at=data.occurred_at or now,
        duration_minutes=data.duration_minutes,
        video_url=video_url,
        latitude=None if data.check_in is None else data.check_in.latitude,
        longitude=None if data.check_in is None else data.check_in.longitude,
        location=location,
        due_at=data.due_at,
        remind_at=data.remind_at,
        created_at=now,
    )
    session.add(activity)
    await session.flush()
    add_entry(
        session,
        customer.id,
        f"sfa.{data.kind.value}",
        f"{_LABELS[data.kind]}: {subject}",
        summary=notes[:500] if notes else None,
        data={"deal_id": None if data.deal_id is None else str(data.deal_id)},
        occurred_at=activity.occurred_at,
        ref_type="Activity",
        ref_id=activity.id,
    )
    if activity.remind_at is not None:
        await enqueue(
            session,
            REMINDER_JOB,
            {"activity_id": str(activity.id)},
            run_at=activity.remind_at,
            unique_key=f"{REMINDER_JOB}:{activity.id}",
        )
    return activity


async def complete_task(
    session: AsyncSession, activity_id: uuid.UUID, scope: ColumnElement[bool] | None = None
) -> Activity:
    stmt = select(Activity).where(Activity.id == activity_id)
    activity = await session.scalar(stmt if scope is None else stmt.where(scope))
    if activity is None:
        raise DomainError.single("NOT_FOUND", "no such activity", "id")
    if activity.kind is not ActivityKind.TASK:
        raise DomainError.single("NOT_FOR_KIND", "only a task is completed", "id")
    if activity.completed_at is None:
        activity.completed_at = utcnow()
        await session.flush()
    return activity


async def remind(job: JobRun, session: AsyncSession) -> None:
    """The reminder job: notify the task's owner once, unless it is done or gone."""
    activity = await session.get(
        Activity, uuid.UUID(str(job.payload["activity_id"])), with_for_update=True
    )
    if activity is None or activity.reminded_at is not None or activity.completed_at is not None:
        return
    activity.reminded_at = utcnow()
    if activity.owner_id is not None:
        due = "" if activity.due_at is None else f" (due {activity.due_at:%Y-%m-%d %H:%M} UTC)"
        notify(
            session,
            activity.owner_id,
            NotificationKind.REMINDER,
            f"Task reminder: {activity.subject}{due}",
            body=activity.notes,
            subject=to_global_id("Customer", activity.customer_id),
        )
    await session.flush()
