"""Cases: opening, the status machine, assignment to a queue and an agent, the conversation
(customer messages, public replies, internal notes) and attachment metadata.

Every change runs in the caller's transaction; a ``DomainError`` leaves nothing written.
Merge, export and erasure live in ``services/privacy.py``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.rows import visible
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.assets.models import Asset
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.customers.services import get_customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.notifications.models import NotificationKind
from unicrm.core.graph.notifications.services import notify
from unicrm.core.graph.orders.models import Order
from unicrm.core.graph.products.models import Product
from unicrm.core.graph.teams.models import Team, TeamMember
from unicrm.core.graph.timeline.services import add_entry
from unicrm.core.graph.users.models import User
from unicrm.plugins.crm import events
from unicrm.plugins.crm.models import (
    Case,
    CaseAttachment,
    CaseChannel,
    CaseMessage,
    CaseMessageKind,
    CasePriority,
    CaseStatus,
    CaseStatusChange,
)
from unicrm.plugins.crm.services import outbound, sla, surveys
from unicrm.plugins.crm.services.categories import normalize_category

UNSET: Any = object()
MAX_SUBJECT = 300
MAX_DESCRIPTION = 10_000
MAX_BODY = 20_000
MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*")
WEB_ADDRESS = re.compile(r"(?:https?://|mid:)\S+")
"""Where the file is: an http(s) address, or ``mid:`` for a part of a received e-mail."""

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset(
        {
            CaseStatus.OPEN,
            CaseStatus.PENDING_CUSTOMER,
            CaseStatus.PENDING_INTERNAL,
            CaseStatus.RESOLVED,
        }
    ),
    CaseStatus.OPEN: frozenset(
        {CaseStatus.PENDING_CUSTOMER, CaseStatus.PENDING_INTERNAL, CaseStatus.RESOLVED}
    ),
    CaseStatus.PENDING_CUSTOMER: frozenset(
        {CaseStatus.OPEN, CaseStatus.PENDING_INTERNAL, CaseStatus.RESOLVED}
    ),
    CaseStatus.PENDING_INTERNAL: frozenset(
        {CaseStatus.OPEN, CaseStatus.PENDING_CUSTOMER, CaseStatus.RESOLVED}
    ),
    CaseStatus.RESOLVED: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.OPEN}),
}
"""Where each status may go. Closing needs a resolution first; a resolved case reopens any
time, a closed one only within ``crm.reopen_days`` of closing."""

_CUSTOMER_DEPARTMENT = (
    select(Customer.department_id).where(Customer.id == Case.customer_id).scalar_subquery()
)


def visible_to(ctx: Any, action: str = "read") -> ColumnElement[bool] | None:
    """The cases the request's actor may see (or change, with ``action="write"``): their
    ``crm.case`` row scope. A case belongs to its assignee, to its queue (``team`` scope: the
    queues of the actor's teams and the cases of teammates) and to its customer's department.
    """
    return visible(
        ctx,
        "crm.case",
        owner=Case.assignee_id,
        department=_CUSTOMER_DEPARTMENT,
        action=action,
        team=Case.team_id,
    )


@dataclass(frozen=True, slots=True)
class CaseFilter:
    status: CaseStatus | None = None
    priority: CasePriority | None = None
    team_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    category: str | None = None
    open_only: bool = False


def cases_stmt(f: CaseFilter | None = None) -> Select[Any]:
    stmt = select(Case)
    if f is None:
        return stmt
    if f.status is not None:
        stmt = stmt.where(Case.status == f.status)
    if f.priority is not None:
        stmt = stmt.where(Case.priority == f.priority)
    if f.team_id is not None:
        stmt = stmt.where(Case.team_id == f.team_id)
    if f.assignee_id is not None:
        stmt = stmt.where(Case.assignee_id == f.assignee_id)
    if f.category is not None:
        stmt = stmt.where(Case.category == f.category)
    if f.open_only:
        stmt = stmt.where(Case.status.not_in((CaseStatus.RESOLVED, CaseStatus.CLOSED)))
    return stmt


@dataclass(frozen=True, slots=True)
class AttachmentData:
    filename: str
    content_type: str
    size_bytes: int
    url: str


@dataclass(frozen=True, slots=True)
class CaseData:
    customer_id: uuid.UUID
    subject: str
    channel: CaseChannel
    priority: CasePriority = CasePriority.NORMAL
    description: str | None = None
    category: str | None = None
    team_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    asset_id: uuid.UUID | None = None
    serial_number: str | None = None
    order_id: uuid.UUID | None = None
    attachments: list[AttachmentData] = field(default_factory=list)


def _actor(session: AsyncSession) -> Any:
    return session.info.get("actor")


def actor_name(session: AsyncSession) -> str | None:
    return getattr(_actor(session), "name", None)


def _actor_user(session: AsyncSession) -> uuid.UUID | None:
    return getattr(_actor(session), "user_id", None)


def _subject(value: str, errors: list[FieldError]) -> str:
    subject = (value or "").strip()
    if not subject:
        errors.append(FieldError("REQUIRED", "a case needs a subject", "subject"))
    elif len(subject) > MAX_SUBJECT:
        errors.append(FieldError("TOO_LONG", f"at most {MAX_SUBJECT} characters", "subject"))
    return subject


def _description(value: str | None, errors: list[FieldError]) -> str | None:
    text = (value or "").strip() or None
    if text is not None and len(text) > MAX_DESCRIPTION:
        errors.append(
            FieldError("TOO_LONG", f"at most {MAX_DESCRIPTION} characters", "description")
        )
    return text


def _attachments(items: list[AttachmentData], errors: list[FieldError]) -> list[AttachmentData]:
    if len(items) > MAX_ATTACHMENTS:
        errors.append(
            FieldError("TOO_MANY", f"at most {MAX_ATTACHMENTS} attachments", "attachments")
        )
        return []
    clean = []
    for i, item in enumerate(items):
        where = f"attachments.{i}"
        name = item.filename.strip()
        content_type = item.content_type.strip().lower()
        url = item.url.strip()
        if not name or len(name) > 255 or "/" in name or "\\" in name:
            errors.append(
                FieldError("INVALID", "a file name of 1 to 255 characters", f"{where}.filename")
            )
        if not CONTENT_TYPE.fullmatch(content_type) or len(content_type) > 100:
            errors.append(
                FieldError("INVALID", "a media type such as image/png", f"{where}.content_type")
            )
        if not 0 < item.size_bytes <= MAX_ATTACHMENT_BYTES:
            errors.append(
                FieldError(
                    "INVALID",
                    f"size from 1 byte to {MAX_ATTACHMENT_BYTES} bytes",
                    f"{where}.size_bytes",
                )
            )
        if not WEB_ADDRESS.fullmatch(url) or len(url) > 1000:
            errors.append(
                FieldError("INVALID", "an http(s) (or mid:) address of the file", f"{where}.url")
            )
        clean.append(AttachmentData(name, content_type, item.size_bytes, url))
    return clean


async def _user(session: AsyncSession, user_id: uuid.UUID, field_name: str) -> User:
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise DomainError.single("NOT_FOUND", "no active user with that id", field_name)
    return user


async def _team(session: AsyncSession, team_id: uuid.UUID) -> Team:
    team = await session.get(Team, team_id)
    if team is None:
        raise DomainError.single("NOT_FOUND", "no such team", "team_id")
    return team


async def _is_in_team(session: AsyncSession, user_id: uuid.UUID, team: Team) -> bool:
    if team.manager_id == user_id:
        return True
    member = await session.get(TeamMember, (team.id, user_id))
    return member is not None


async def primary_team_of(session: AsyncSession, user_id: uuid.UUID | None) -> uuid.UUID | None:
    if user_id is None:
        return None
    return await session.scalar(
        select(TeamMember.team_id).where(TeamMember.user_id == user_id, TeamMember.is_primary)
    )


async def check_queue(
    session: AsyncSession,
    team_id: uuid.UUID | None,
    assignee_id: uuid.UUID | None,
    assignee_field: str = "assignee_id",
) -> None:
    """An assignee must work in the case's queue (be a member or its manager)."""
    if assignee_id is not None:
        await _user(session, assignee_id, assignee_field)
    if team_id is not None:
        team = await _team(session, team_id)
        if assignee_id is not None and not await _is_in_team(session, assignee_id, team):
            raise DomainError.single(
                "NOT_IN_TEAM", "the assignee is not a member of the case's queue", assignee_field
            )


async def _check_links(
    session: AsyncSession,
    customer_id: uuid.UUID,
    product_id: uuid.UUID | None,
    asset_id: uuid.UUID | None,
    serial_number: str | None,
    order_id: uuid.UUID | None,
) -> tuple[uuid.UUID | None, str | None]:
    """The product and serial number of the case, checked against the customer's assets and
    orders; an asset gives both when they are not given."""
    if asset_id is not None:
        asset = await session.get(Asset, asset_id)
        if asset is None or asset.customer_id != customer_id:
            raise DomainError.single(
                "NOT_FOUND", "the customer owns no asset with that id", "asset_id"
            )
        if product_id is not None and product_id != asset.product_id:
            raise DomainError.single("MISMATCH", "the asset is of another product", "product_id")
        if serial_number is not None and serial_number != asset.serial_number:
            raise DomainError.single(
                "MISMATCH", "the asset has another serial number", "serial_number"
            )
        product_id, serial_number = asset.product_id, asset.serial_number
    if product_id is not None and await session.get(Product, product_id) is None:
        raise DomainError.single("NOT_FOUND", "no such product", "product_id")
    if order_id is not None:
        order = await session.get(Order, order_id)
        if order is None or order.customer_id != customer_id:
            raise DomainError.single(
                "NOT_FOUND", "the customer has no order with that id", "order_id"
            )
    return product_id, serial_number


async def get_case(
    session: AsyncSession,
    case_id: uuid.UUID,
    scope: ColumnElement[bool] | None = None,
    *,
    for_update: bool = True,
    field_name: str = "id",
) -> Case:
    """The case, locked for the change; NOT_FOUND also when it is outside ``scope``."""
    stmt = select(Case).where(Case.id == case_id)
    if scope is not None:
        stmt = stmt.where(scope)
    if for_update:
        stmt = stmt.with_for_update()
    case = await session.scalar(stmt)
    if case is None:
        raise DomainError.single("NOT_FOUND", "no such case", field_name)
    return case


async def _in_scope(session: AsyncSession, case: Case, scope: ColumnElement[bool] | None) -> None:
    """Refuse a change that would put the case outside what the actor may change."""
    if scope is None:
        return
    await session.flush()
    if await session.scalar(select(Case.id).where(Case.id == case.id, scope)) is None:
        raise DomainError.single(
            "OUT_OF_SCOPE", "the case would be outside the queues you may work", "team_id"
        )


def _add_attachments(
    session: AsyncSession,
    case_id: uuid.UUID,
    message_id: uuid.UUID | None,
    items: list[AttachmentData],
) -> None:
    for item in items:
        session.add(
            CaseAttachment(
                id=uuid7(),
                case_id=case_id,
                message_id=message_id,
                filename=item.filename,
                content_type=item.content_type,
                size_bytes=item.size_bytes,
                url=item.url,
                created_at=utcnow(),
            )
        )


def _notify_assignee(session: AsyncSession, case: Case, title: str) -> None:
    if case.assignee_id is None or case.assignee_id == _actor_user(session):
        return
    notify(
        session,
        case.assignee_id,
        NotificationKind.ASSIGNMENT,
        title,
        body=case.subject,
        subject=to_global_id("Case", case.id),
    )


def _record_status(
    session: AsyncSession, case: Case, previous: CaseStatus | None, at: datetime
) -> None:
    session.add(
        CaseStatusChange(
            id=uuid7(),
            case_id=case.id,
            from_status=previous,
            to_status=case.status,
            changed_by=actor_name(session),
            changed_at=at,
        )
    )


async def open_case(
    session: AsyncSession,
    data: CaseData,
    zone: ZoneInfo,
    scope: ColumnElement[bool] | None = None,
) -> Case:
    """Open a case for a customer. Without a queue it goes to the opening agent's primary
    team; the assignee is notified; ``crm.case_opened`` is emitted and the timeline says so."""
    errors: list[FieldError] = []
    subject = _subject(data.subject, errors)
    description = _description(data.description, errors)
    category = normalize_category(data.category, errors)
    attachments = _attachments(data.attachments, errors)
    serial = (data.serial_number or "").strip() or None
    if serial is not None and len(serial) > 100:
        errors.append(FieldError("TOO_LONG", "at most 100 characters", "serial_number"))
    if errors:
        raise DomainError(*errors)
    customer = await get_customer(session, data.customer_id)
    team_id = data.team_id or await primary_team_of(session, _actor_user(session))
    await check_queue(session, team_id, data.assignee_id)
    product_id, serial = await _check_links(
        session, customer.id, data.product_id, data.asset_id, serial, data.order_id
    )
    now = utcnow()
    case = Case(
        id=uuid7(),
        customer_id=customer.id,
        subject=subject,
        description=description,
        status=CaseStatus.NEW,
        priority=data.priority,
        channel=data.channel,
        category=category,
        team_id=team_id,
        assignee_id=data.assignee_id,
        product_id=product_id,
        asset_id=data.asset_id,
        serial_number=serial,
        order_id=data.order_id,
        opened_at=now,
        updated_at=now,
        reopen_count=0,
        sla_paused_seconds=0,
    )
    await sla.apply(session, case, zone)
    session.add(case)
    await session.flush()
    await _in_scope(session, case, scope)
    _record_status(session, case, None, now)
    _add_attachments(session, case.id, None, attachments)
    emit(
        session,
        events.CASE_OPENED,
        events.CaseOpened(
            case_id=to_global_id("Case", case.id),
            channel=case.channel.value,
            priority=case.priority.value,
            category=case.category,
            team_id=None if team_id is None else to_global_id("Team", team_id),
            assignee_id=None
            if case.assignee_id is None
            else to_global_id("User", case.assignee_id),
        ),
        customer_id=customer.id,
    )
    add_entry(
        session,
        customer.id,
        "crm.case_opened",
        f"Case opened: {subject}",
        summary=description,
        data={"channel": case.channel.value, "priority": case.priority.value},
        occurred_at=now,
        ref_type="Case",
        ref_id=case.id,
    )
    _notify_assignee(session, case, f"A {case.priority.value} case was assigned to you")
    return case


@dataclass(frozen=True, slots=True)
class CaseChanges:
    subject: Any = UNSET
    description: Any = UNSET
    category: Any = UNSET
    priority: Any = UNSET
    product_id: Any = UNSET
    asset_id: Any = UNSET
    serial_number: Any = UNSET
    order_id: Any = UNSET


async def update_case(
    session: AsyncSession,
    case_id: uuid.UUID,
    changes: CaseChanges,
    zone: ZoneInfo,
    scope: ColumnElement[bool] | None = None,
) -> Case:
    """Change what a case is about. A closed case is read-only."""
    case = await get_case(session, case_id, scope)
    if case.status is CaseStatus.CLOSED:
        raise DomainError.single("CASE_CLOSED", "a closed case cannot change; reopen it", "id")
    errors: list[FieldError] = []
    if changes.subject is not UNSET:
        case.subject = _subject(changes.subject, errors)
    if changes.description is not UNSET:
        case.description = _description(changes.description, errors)
    if changes.category is not UNSET:
        case.category = normalize_category(changes.category, errors)
    if changes.priority is not UNSET:
        if changes.priority is None:
            errors.append(FieldError("REQUIRED", "a case always has a priority", "priority"))
        else:
            case.priority = changes.priority
    if errors:
        raise DomainError(*errors)
    links = (changes.product_id, changes.asset_id, changes.serial_number, changes.order_id)
    if any(v is not UNSET for v in links):

        def given(value: Any, current: Any) -> Any:
            return current if value is UNSET else value

        serial = given(changes.serial_number, case.serial_number)
        serial = (serial or "").strip() or None
        asset_id = given(changes.asset_id, case.asset_id)
        order_id = given(changes.order_id, case.order_id)
        product_id, serial = await _check_links(
            session,
            case.customer_id,
            given(changes.product_id, case.product_id),
            asset_id,
            serial,
            order_id,
        )
        case.product_id, case.asset_id, case.serial_number, case.order_id = (
            product_id,
            asset_id,
            serial,
            order_id,
        )
    if changes.priority is not UNSET or changes.category is not UNSET:
        await sla.apply(session, case, zone)
    case.updated_at = utcnow()
    return case


async def assign_case(
    session: AsyncSession,
    case_id: uuid.UUID,
    team_id: uuid.UUID | None,
    assignee_id: uuid.UUID | None,
    scope: ColumnElement[bool] | None = None,
) -> Case:
    """Put a case in a queue and/or give it to an agent of that queue (None clears the
    assignee). The new assignee is notified; ``crm.case_assigned`` is emitted."""
    case = await get_case(session, case_id, scope)
    if case.status is CaseStatus.CLOSED:
        raise DomainError.single("CASE_CLOSED", "a closed case cannot be assigned", "id")
    team = case.team_id if team_id is None else team_id
    await check_queue(session, team, assignee_id)
    changed = (team, assignee_id) != (case.team_id, case.assignee_id)
    case.team_id, case.assignee_id = team, assignee_id
    case.updated_at = utcnow()
    await _in_scope(session, case, scope)
    if changed:
        emit(
            session,
            events.CASE_ASSIGNED,
            events.CaseAssigned(
                case_id=to_global_id("Case", case.id),
                team_id=None if team is None else to_global_id("Team", team),
                assignee_id=None if assignee_id is None else to_global_id("User", assignee_id),
            ),
            customer_id=case.customer_id,
        )
        _notify_assignee(session, case, "A case was assigned to you")
    return case


async def move(
    session: AsyncSession, case: Case, to: CaseStatus, at: datetime, zone: ZoneInfo
) -> None:
    """Put the case in ``to`` (already allowed), with its history, event, timeline entry and
    SLA clock (paused while pending customer)."""
    previous = case.status
    case.status = to
    case.updated_at = at
    if to is CaseStatus.RESOLVED:
        case.resolved_at = at
        survey = await surveys.survey_after_resolution(session, case)
        if survey is not None:
            await outbound.send_survey(session, case, survey)
    elif to is CaseStatus.CLOSED:
        case.closed_at = at
    elif previous in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        case.resolved_at = case.closed_at = None
        case.reopen_count += 1
    _record_status(session, case, previous, at)
    await sla.on_status_change(session, case, previous, at, zone)
    emit(
        session,
        events.CASE_STATUS_CHANGED,
        events.CaseStatusChanged(
            case_id=to_global_id("Case", case.id), from_status=previous.value, to_status=to.value
        ),
        customer_id=case.customer_id,
    )
    add_entry(
        session,
        case.customer_id,
        "crm.case_status_changed",
        f"Case {to.value.replace('_', ' ')}: {case.subject}",
        data={"from": previous.value, "to": to.value},
        occurred_at=at,
        ref_type="Case",
        ref_id=case.id,
    )


def check_transition(
    case: Case, to: CaseStatus, reopen_days: int, now: datetime, field_name: str = "status"
) -> None:
    if to is case.status or to not in TRANSITIONS[case.status]:
        raise DomainError.single(
            "INVALID_TRANSITION",
            f"a {case.status.value} case cannot become {to.value}",
            field_name,
        )
    if case.status is CaseStatus.CLOSED and (
        case.closed_at is None or now - case.closed_at > timedelta(days=reopen_days)
    ):
        raise DomainError.single(
            "REOPEN_WINDOW_PASSED",
            f"a case can be reopened only within {reopen_days} days of closing",
            field_name,
        )


async def change_status(
    session: AsyncSession,
    case_id: uuid.UUID,
    to: CaseStatus,
    reopen_days: int,
    zone: ZoneInfo,
    scope: ColumnElement[bool] | None = None,
) -> Case:
    """Move a case along its status machine (``TRANSITIONS``)."""
    case = await get_case(session, case_id, scope)
    now = utcnow()
    check_transition(case, to, reopen_days, now)
    await move(session, case, to, now, zone)
    return case


async def add_message(
    session: AsyncSession,
    case_id: uuid.UUID,
    kind: CaseMessageKind,
    body: str,
    *,
    attachments: list[AttachmentData] | None = None,
    then_status: CaseStatus | None = None,
    author_name: str | None = None,
    reopen_days: int,
    zone: ZoneInfo,
    scope: ColumnElement[bool] | None = None,
) -> CaseMessage:
    """Add to a case's conversation. A closed case takes no message (CASE_CLOSED).

    A public reply is e-mailed to the customer (services/outbound.py), is the first response
    when none came before, and opens a new case; a
    customer message puts a case waiting on the customer (or resolved) back to open.
    ``then_status`` moves the case afterwards (a reply asking a question: pending customer).
    """
    case = await get_case(session, case_id, scope, field_name="case_id")
    if case.status is CaseStatus.CLOSED:
        raise DomainError.single(
            "CASE_CLOSED", "the case is closed; reopen it before writing to it", "case_id"
        )
    errors: list[FieldError] = []
    text = (body or "").strip()
    if not text:
        errors.append(FieldError("REQUIRED", "a message needs a body", "body"))
    elif len(text) > MAX_BODY:
        errors.append(FieldError("TOO_LONG", f"at most {MAX_BODY} characters", "body"))
    files = _attachments(attachments or [], errors)
    if errors:
        raise DomainError(*errors)
    now = utcnow()
    actor = _actor(session)
    message = CaseMessage(
        id=uuid7(),
        case_id=case.id,
        kind=kind,
        body=text,
        author_id=None if kind is CaseMessageKind.CUSTOMER else _actor_user(session),
        author_name=(author_name or getattr(actor, "name", None) or "")[:200] or None,
        created_at=now,
    )
    session.add(message)
    await session.flush()
    _add_attachments(session, case.id, message.id, files)
    if kind is CaseMessageKind.REPLY:
        await outbound.send_reply(session, case, message)
    automatic: CaseStatus | None = None
    if kind is CaseMessageKind.REPLY:
        if case.first_response_at is None:
            case.first_response_at = now
        if case.status is CaseStatus.NEW:
            automatic = CaseStatus.OPEN
    elif kind is CaseMessageKind.CUSTOMER and case.status in (
        CaseStatus.PENDING_CUSTOMER,
        CaseStatus.RESOLVED,
    ):
        automatic = CaseStatus.OPEN
    if automatic is not None and automatic is not then_status:
        await move(session, case, automatic, now, zone)
    if then_status is not None and then_status is not case.status:
        check_transition(case, then_status, reopen_days, now, "then_status")
        await move(session, case, then_status, now, zone)
    case.updated_at = now
    return message
