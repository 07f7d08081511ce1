"""Deals: open, edit, move through the stages of their pipeline, and their contacts.

Every write of a deal goes through SQLAlchemy's version counter (``Deal.version``): a change
based on a version someone else has replaced meanwhile is a ``CONFLICT``, never a silent
overwrite. Clients send the version they saw (``expected_version``) so that a board showing
an old state cannot move a deal someone else has just moved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from unicrm.core.authz.rows import visible
from unicrm.core.config import get_settings
from unicrm.core.db.types import MONEY_QUANTUM, utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.customers.models import Customer, CustomerKind
from unicrm.core.graph.products.services import Price, money_errors
from unicrm.core.graph.teams.models import Team
from unicrm.core.graph.timeline.services import add_entry
from unicrm.core.graph.users.models import User
from unicrm.plugins.sfa.events import DealCreated, DealStageChanged
from unicrm.plugins.sfa.models import (
    ContactRole,
    Deal,
    DealContact,
    DealSource,
    Stage,
    StageChange,
    StageKind,
)
from unicrm.plugins.sfa.services import pipelines

UNSET: Any = object()
MAX_TITLE = 300
MAX_TEXT = 500
SYSTEM = "system"

_CUSTOMER_DEPARTMENT = (
    select(Customer.department_id).where(Customer.id == Deal.customer_id).scalar_subquery()
)


def visible_to(ctx: Any, action: str = "read") -> ColumnElement[bool] | None:
    """The deals the request's actor may see (or, with ``action="write"``, change): their
    ``sfa.deal`` row scope; a deal belongs to its owner and its customer's department."""
    return visible(
        ctx, "sfa.deal", owner=Deal.owner_id, department=_CUSTOMER_DEPARTMENT, action=action
    )


def deals_stmt(
    pipeline_id: uuid.UUID | None = None, stage_id: uuid.UUID | None = None
) -> Select[Any]:
    stmt = select(Deal)
    if pipeline_id is not None:
        stmt = stmt.where(Deal.pipeline_id == pipeline_id)
    if stage_id is not None:
        stmt = stmt.where(Deal.stage_id == stage_id)
    return stmt


def _actor(session: AsyncSession) -> tuple[str, uuid.UUID | None]:
    actor = session.info.get("actor")
    return (getattr(actor, "name", None) or SYSTEM, getattr(actor, "user_id", None))


def _text(value: str | None, name: str, limit: int = MAX_TEXT) -> str | None:
    cleaned = " ".join((value or "").split()) or None
    if cleaned is not None and len(cleaned) > limit:
        raise DomainError.single("TOO_LONG", f"at most {limit} characters", name)
    return cleaned


def _title(value: str | None) -> str:
    title = _text(value, "title", MAX_TITLE)
    if title is None:
        raise DomainError.single("REQUIRED", "a deal needs a title", "title")
    return title


def _amount(price: Price, name: str = "amount") -> Price:
    errors = money_errors(price, name)
    if errors:
        raise DomainError(*[FieldError("INVALID_AMOUNT", e.message, e.field) for e in errors])
    return Price(price.amount.quantize(MONEY_QUANTUM), price.currency)


async def get_deal(
    session: AsyncSession,
    deal_id: uuid.UUID,
    scope: ColumnElement[bool] | None = None,
    field: str = "id",
) -> Deal:
    """The deal, if the caller's scope holds it (else NOT_FOUND: no hint that it exists)."""
    stmt = select(Deal).where(Deal.id == deal_id)
    deal = await session.scalar(stmt if scope is None else stmt.where(scope))
    if deal is None:
        raise DomainError.single("NOT_FOUND", "no such deal", field)
    return deal


async def _customer(
    session: AsyncSession, customer_id: uuid.UUID, field: str, kind: CustomerKind | None = None
) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise DomainError.single("NOT_FOUND", "no such customer", field)
    if kind is not None and customer.kind is not kind:
        raise DomainError.single("WRONG_KIND", f"this customer is not a {kind.value}", field)
    return customer


async def _exists(session: AsyncSession, model: Any, pk: uuid.UUID, field: str, what: str) -> None:
    if await session.get(model, pk) is None:
        raise DomainError.single("NOT_FOUND", f"no such {what}", field)


def check_version(deal: Deal, expected: int | None) -> None:
    if expected is not None and expected != deal.version:
        raise DomainError.single(
            "CONFLICT",
            f"the deal changed meanwhile (version {deal.version}, not {expected}); reload it",
            "expected_version",
        )


async def flush_deal(session: AsyncSession) -> None:
    """Flush the deal's change; a concurrent writer that got there first is a CONFLICT."""
    try:
        await session.flush()
    except StaleDataError:
        raise DomainError.single(
            "CONFLICT", "the deal changed meanwhile; reload it", "expected_version"
        ) from None


@dataclass
class ContactSpec:
    customer_id: uuid.UUID
    role: ContactRole


@dataclass
class DealData:
    customer_id: uuid.UUID
    title: str
    amount: Price | None = None
    pipeline_id: uuid.UUID | None = None
    stage_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    source: DealSource = DealSource.MANUAL
    expected_close_date: date | None = None
    next_step: str | None = None
    contacts: list[ContactSpec] = field(default_factory=list)


async def _stage_for(
    session: AsyncSession, pipeline_id: uuid.UUID | None, stage_id: uuid.UUID | None
) -> Stage:
    if stage_id is not None:
        stage = await pipelines.get_stage(session, stage_id, "stage_id")
        if pipeline_id is not None and stage.pipeline_id != pipeline_id:
            raise DomainError.single(
                "STAGE_NOT_IN_PIPELINE", "the stage belongs to another pipeline", "stage_id"
            )
        if stage.archived_at is not None:
            raise DomainError.single("STAGE_ARCHIVED", "the stage is archived", "stage_id")
        if stage.kind is not StageKind.OPEN:
            raise DomainError.single(
                "STAGE_CLOSED", "a new deal starts in an open stage", "stage_id"
            )
        return stage
    if pipeline_id is None:
        pipeline_id = (await pipelines.default_pipeline(session)).id
    else:
        await pipelines.get_pipeline(session, pipeline_id, "pipeline_id")
    return await pipelines.first_open_stage(session, pipeline_id)


@dataclass(frozen=True, slots=True)
class TimelineNote:
    """What the customer's timeline says of an opened deal, when the caller knows better."""

    title: str
    summary: str | None = None
    data: dict[str, Any] | None = None


async def create_deal(
    session: AsyncSession, data: DealData, note: TimelineNote | None = None
) -> Deal:
    """Open a deal in its pipeline's first open stage (or the open stage given); its history
    starts with that stage, the customer's timeline shows it and ``deal.created`` is emitted."""
    title = _title(data.title)
    next_step = _text(data.next_step, "next_step")
    price = _amount(data.amount) if data.amount is not None else None
    customer = await _customer(session, data.customer_id, "customer_id")
    if data.company_id is not None:
        await _customer(session, data.company_id, "company_id", CustomerKind.COMPANY)
    if data.owner_id is not None:
        await _exists(session, User, data.owner_id, "owner_id", "user")
    if data.team_id is not None:
        await _exists(session, Team, data.team_id, "team_id", "team")
    stage = await _stage_for(session, data.pipeline_id, data.stage_id)
    now = utcnow()
    deal = Deal(
        customer_id=customer.id,
        company_id=data.company_id,
        title=title,
        pipeline_id=stage.pipeline_id,
        stage_id=stage.id,
        amount=Decimal(0) if price is None else price.amount,
        currency=get_settings().currency if price is None else price.currency,
        owner_id=data.owner_id,
        team_id=data.team_id,
        source=data.source,
        expected_close_date=data.expected_close_date,
        next_step=next_step,
        stage_entered_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(deal)
    await session.flush()
    for i, contact in enumerate(data.contacts):
        await _put_contact(session, deal, contact, f"contacts.{i}.customer_id")
    name, user_id = _actor(session)
    session.add(
        StageChange(
            deal_id=deal.id,
            from_stage_id=None,
            to_stage_id=stage.id,
            changed_by=name,
            user_id=user_id,
            changed_at=now,
        )
    )
    note = note or TimelineNote(f"Deal opened: {title}", summary=f"In {stage.name}")
    add_entry(
        session,
        customer.id,
        "sfa.deal_opened",
        note.title,
        summary=note.summary,
        data=note.data,
        ref_type="Deal",
        ref_id=deal.id,
    )
    emit(
        session,
        "deal.created",
        DealCreated(
            deal_id=str(deal.id),
            pipeline_id=str(stage.pipeline_id),
            stage_id=str(stage.id),
            owner_id=None if deal.owner_id is None else str(deal.owner_id),
            source=deal.source.value,
        ),
        customer_id=customer.id,
    )
    await session.flush()
    return deal


async def update_deal(
    session: AsyncSession,
    deal_id: uuid.UUID,
    *,
    scope: ColumnElement[bool] | None = None,
    expected_version: int | None = None,
    title: str | None = UNSET,
    amount: Price | None = UNSET,
    expected_close_date: date | None = UNSET,
    next_step: str | None = UNSET,
    company_id: uuid.UUID | None = UNSET,
    team_id: uuid.UUID | None = UNSET,
) -> Deal:
    """Change a deal's details (not its stage: see ``move_stage``). Fields left ``UNSET``
    stay; ``None`` clears the optional ones."""
    deal = await get_deal(session, deal_id, scope)
    check_version(deal, expected_version)
    if title is not UNSET:
        deal.title = _title(title)
    if amount is not UNSET:
        if amount is None:
            raise DomainError.single("REQUIRED", "a deal's amount cannot be cleared", "amount")
        price = _amount(amount)
        deal.amount, deal.currency = price.amount, price.currency
    if expected_close_date is not UNSET:
        deal.expected_close_date = expected_close_date
    if next_step is not UNSET:
        deal.next_step = _text(next_step, "next_step")
    if company_id is not UNSET:
        if company_id is not None:
            await _customer(session, company_id, "company_id", CustomerKind.COMPANY)
        deal.company_id = company_id
    if team_id is not UNSET:
        if team_id is not None:
            await _exists(session, Team, team_id, "team_id", "team")
        deal.team_id = team_id
    deal.updated_at = utcnow()
    await flush_deal(session)
    return deal


async def move_stage(
    session: AsyncSession,
    deal_id: uuid.UUID,
    stage_id: uuid.UUID,
    *,
    expected_version: int | None,
    lost_reason: str | None = None,
    scope: ColumnElement[bool] | None = None,
) -> Deal:
    """Move a deal to another stage of its pipeline, recording from, to, who, when and how
    long it stayed. A lost stage needs a reason; reopening a closed deal clears it."""
    reason = _text(lost_reason, "lost_reason")
    deal = await get_deal(session, deal_id, scope)
    check_version(deal, expected_version)
    target = await pipelines.get_stage(session, stage_id, "stage_id")
    if target.pipeline_id != deal.pipeline_id:
        raise DomainError.single(
            "STAGE_NOT_IN_PIPELINE", "the stage belongs to another pipeline", "stage_id"
        )
    if target.archived_at is not None:
        raise DomainError.single("STAGE_ARCHIVED", "the stage is archived", "stage_id")
    if target.kind is StageKind.LOST and reason is None:
        raise DomainError.single("LOST_REASON_REQUIRED", "say why the deal was lost", "lost_reason")
    if target.id == deal.stage_id:
        return deal
    source = await session.get_one(Stage, deal.stage_id)
    now = utcnow()
    name, user_id = _actor(session)
    seconds = max(0, int((now - deal.stage_entered_at).total_seconds()))
    session.add(
        StageChange(
            deal_id=deal.id,
            from_stage_id=source.id,
            to_stage_id=target.id,
            changed_by=name,
            user_id=user_id,
            changed_at=now,
            seconds_in_stage=seconds,
        )
    )
    deal.stage_id = target.id
    deal.stage_entered_at = now
    deal.updated_at = now
    deal.lost_reason = reason if target.kind is StageKind.LOST else None
    deal.closed_at = None if target.kind is StageKind.OPEN else now
    await flush_deal(session)
    outcome = {StageKind.WON: " (won)", StageKind.LOST: " (lost)"}.get(target.kind, "")
    add_entry(
        session,
        deal.customer_id,
        "sfa.deal_stage_changed",
        f"{deal.title}: {source.name} → {target.name}{outcome}",
        summary=reason,
        data={"from_stage": source.name, "to_stage": target.name, "kind": target.kind.value},
        ref_type="Deal",
        ref_id=deal.id,
    )
    emit(
        session,
        "deal.stage_changed",
        DealStageChanged(
            deal_id=str(deal.id),
            pipeline_id=str(deal.pipeline_id),
            from_stage_id=str(source.id),
            to_stage_id=str(target.id),
            kind=target.kind.value,
            owner_id=None if deal.owner_id is None else str(deal.owner_id),
            seconds_in_stage=seconds,
            lost_reason=deal.lost_reason,
        ),
        customer_id=deal.customer_id,
    )
    await session.flush()
    return deal


async def _put_contact(
    session: AsyncSession, deal: Deal, spec: ContactSpec, field: str
) -> DealContact:
    await _customer(session, spec.customer_id, field, CustomerKind.PERSON)
    contact = await session.scalar(
        select(DealContact).where(
            DealContact.deal_id == deal.id, DealContact.customer_id == spec.customer_id
        )
    )
    if contact is None:
        contact = DealContact(deal_id=deal.id, customer_id=spec.customer_id, role=spec.role)
        session.add(contact)
    else:
        contact.role = spec.role
    await session.flush()
    return contact


async def set_contact(
    session: AsyncSession,
    deal_id: uuid.UUID,
    spec: ContactSpec,
    scope: ColumnElement[bool] | None = None,
) -> Deal:
    """Add a person to the deal with a role, or change their role."""
    deal = await get_deal(session, deal_id, scope, "deal_id")
    await _put_contact(session, deal, spec, "customer_id")
    deal.updated_at = utcnow()
    await flush_deal(session)
    return deal


async def remove_contact(
    session: AsyncSession,
    deal_id: uuid.UUID,
    customer_id: uuid.UUID,
    scope: ColumnElement[bool] | None = None,
) -> Deal:
    deal = await get_deal(session, deal_id, scope, "deal_id")
    contact = await session.scalar(
        select(DealContact).where(
            DealContact.deal_id == deal.id, DealContact.customer_id == customer_id
        )
    )
    if contact is None:
        raise DomainError.single(
            "NOT_FOUND", "this person is not a contact of the deal", "customer_id"
        )
    await session.delete(contact)
    deal.updated_at = utcnow()
    await flush_deal(session)
    return deal
