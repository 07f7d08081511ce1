"""Technician hand-off: support escalates a case to a technician team; the visit is a core
booking of a technician's time inside the window the customer prefers; the technician reports
progress and the visit report; the customer hears of the appointment on the first channel the
contact policy allows.

The booking is made by core bookings (core/graph/bookings), which refuse a slot in the past
(IN_THE_PAST), outside the technician's hours, or already taken (SLOT_FULL).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.bookings.models import BookingKind, BookingStatus
from unicrm.core.graph.bookings.services import BookingData, create_booking
from unicrm.core.graph.bookings.services import change_status as change_booking
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.timeline.services import add_entry
from unicrm.plugins.crm import events
from unicrm.plugins.crm.models import (
    Case,
    CaseMessageKind,
    CaseStatus,
    TechnicianVisit,
    VisitStatus,
)
from unicrm.plugins.crm.services import cases, outbound

VISIT_TEMPLATE = "crm.visit_scheduled"
MAX_REPORT = 10_000

VISIT_NEXT: dict[VisitStatus, frozenset[VisitStatus]] = {
    VisitStatus.SCHEDULED: frozenset(
        {VisitStatus.EN_ROUTE, VisitStatus.IN_PROGRESS, VisitStatus.CANCELLED}
    ),
    VisitStatus.EN_ROUTE: frozenset({VisitStatus.IN_PROGRESS, VisitStatus.CANCELLED}),
    VisitStatus.IN_PROGRESS: frozenset({VisitStatus.DONE}),
    VisitStatus.DONE: frozenset(),
    VisitStatus.CANCELLED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class EscalationData:
    case_id: uuid.UUID
    team_id: uuid.UUID
    resource_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    preferred_from: datetime
    preferred_until: datetime
    technician_id: uuid.UUID | None = None
    note: str | None = None


def _check_window(data: EscalationData) -> None:
    if data.preferred_until <= data.preferred_from:
        raise DomainError.single(
            "INVALID", "the preferred window ends after it starts", "preferred_until"
        )
    if data.starts_at < data.preferred_from or data.ends_at > data.preferred_until:
        raise DomainError.single(
            "OUTSIDE_PREFERRED_WINDOW",
            "the appointment must lie within the time the customer prefers",
            "starts_at",
        )


async def _notify_customer(
    session: AsyncSession, visit: TechnicianVisit, case: Case, zone: ZoneInfo
) -> str | None:
    """Send the appointment notice (``crm.visit_scheduled``) on the first channel the
    contact policy allows now (a service message); the channel or None."""
    local_start = visit.starts_at.astimezone(zone)
    available = {
        "case_subject": case.subject,
        "date": local_start.strftime("%Y-%m-%d"),
        "starts_at": local_start.strftime("%H:%M"),
        "ends_at": visit.ends_at.astimezone(zone).strftime("%H:%M"),
    }
    return await outbound.send_on_first_allowed(
        session, case.customer_id, VISIT_TEMPLATE, f"crm.visit:{visit.id}", available
    )


async def escalate(
    session: AsyncSession,
    data: EscalationData,
    zone: ZoneInfo,
    reopen_days: int,
    scope: ColumnElement[bool] | None = None,
    *,
    now: datetime | None = None,
) -> TechnicianVisit:
    """Hand a case to a technician team with a booked visit: the case moves to that queue
    (and technician), waits as pending internal, and the customer is told of the visit."""
    now = now or utcnow()
    case = await cases.get_case(session, data.case_id, scope, field_name="case_id")
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise DomainError.single(
            "CASE_CLOSED", "a resolved or closed case is not handed off", "case_id"
        )
    _check_window(data)
    await cases.check_queue(session, data.team_id, data.technician_id, "technician_id")
    booking = await create_booking(
        session,
        BookingData(
            customer_id=case.customer_id,
            resource_id=data.resource_id,
            kind=BookingKind.TECHNICIAN_VISIT,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            notes=case.subject,
        ),
        now=now,
    )
    await change_booking(session, booking.id, BookingStatus.CONFIRMED, now=now)
    visit = TechnicianVisit(
        id=uuid7(),
        case_id=case.id,
        booking_id=booking.id,
        team_id=data.team_id,
        technician_id=data.technician_id,
        preferred_from=data.preferred_from,
        preferred_until=data.preferred_until,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        status=VisitStatus.SCHEDULED,
        created_at=now,
        updated_at=now,
    )
    session.add(visit)
    await session.flush()
    case.team_id, case.assignee_id = data.team_id, data.technician_id
    note = (data.note or "").strip()
    await cases.add_message(
        session,
        case.id,
        CaseMessageKind.NOTE,
        f"Handed off to technicians: visit {data.starts_at.astimezone(zone):%Y-%m-%d %H:%M}"
        + (f". {note}" if note else ""),
        then_status=None
        if case.status is CaseStatus.PENDING_INTERNAL
        else CaseStatus.PENDING_INTERNAL,
        reopen_days=reopen_days,
        zone=zone,
    )
    visit.customer_notified_by = await _notify_customer(session, visit, case, zone)
    emit(
        session,
        events.CASE_ESCALATED,
        events.CaseEscalated(
            case_id=to_global_id("Case", case.id),
            visit_id=to_global_id("TechnicianVisit", visit.id),
            booking_id=to_global_id("Booking", booking.id),
            team_id=to_global_id("Team", data.team_id),
            starts_at=data.starts_at.isoformat(),
            ends_at=data.ends_at.isoformat(),
        ),
        customer_id=case.customer_id,
    )
    add_entry(
        session,
        case.customer_id,
        "crm.technician_visit",
        f"Technician visit booked: {case.subject}",
        data={"starts_at": data.starts_at.isoformat(), "status": visit.status.value},
        occurred_at=now,
        ref_type="Case",
        ref_id=case.id,
    )
    return visit


async def update_visit(
    session: AsyncSession,
    visit_id: uuid.UUID,
    status: VisitStatus,
    report: str | None,
    zone: ZoneInfo,
    reopen_days: int,
    scope: ColumnElement[bool] | None = None,
) -> TechnicianVisit:
    """Move a visit along scheduled → en route → in progress → done (with a report), or
    cancel it (its booking is cancelled and gives the slot back). The case gets the report as
    an internal note, so the support agent sees the technician's progress."""
    visit = await session.scalar(
        select(TechnicianVisit).where(TechnicianVisit.id == visit_id).with_for_update()
    )
    if visit is None:
        raise DomainError.single("NOT_FOUND", "no such visit", "id")
    case = await cases.get_case(session, visit.case_id, scope)
    if status not in VISIT_NEXT[visit.status]:
        raise DomainError.single(
            "INVALID_TRANSITION",
            f"a {visit.status.value} visit cannot become {status.value}",
            "status",
        )
    text = (report or "").strip() or None
    if status is VisitStatus.DONE and text is None:
        raise DomainError.single("REQUIRED", "a finished visit needs its report", "report")
    if text is not None and len(text) > MAX_REPORT:
        raise DomainError.single("TOO_LONG", f"at most {MAX_REPORT} characters", "report")
    now = utcnow()
    visit.status = status
    visit.updated_at = now
    if text is not None:
        visit.report = text
    if status is VisitStatus.CANCELLED and visit.booking_id is not None:
        await change_booking(session, visit.booking_id, BookingStatus.CANCELLED, now=now)
    label = status.value.replace("_", " ")
    if case.status is not CaseStatus.CLOSED:
        await cases.add_message(
            session,
            case.id,
            CaseMessageKind.NOTE,
            f"Technician visit {label}" + (f": {text}" if text else ""),
            reopen_days=reopen_days,
            zone=zone,
        )
    emit(
        session,
        events.VISIT_STATUS_CHANGED,
        events.VisitStatusChanged(
            case_id=to_global_id("Case", case.id),
            visit_id=to_global_id("TechnicianVisit", visit.id),
            status=status.value,
        ),
        customer_id=case.customer_id,
    )
    return visit
