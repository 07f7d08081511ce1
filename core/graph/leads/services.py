"""Leads: create, upsert for integrators, update, assign, convert and disqualify."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.rows import visible
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.contacts.models import CustomerAddress, CustomerEmail, CustomerPhone
from unicrm.core.graph.contacts.services import (
    add_email,
    add_phone,
    normalize_email,
    normalize_phone,
)
from unicrm.core.graph.customers.models import Customer, CustomerKind, LifecycleStage
from unicrm.core.graph.customers.services import CustomerData, create_customer, get_customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.leads import lifecycle
from unicrm.core.graph.leads.models import (
    Lead,
    LeadSource,
    LeadStatus,
    LeadTemperature,
    LeadTemperatureChange,
    LifecycleChange,
)
from unicrm.core.graph.notifications.models import NotificationKind
from unicrm.core.graph.notifications.services import notify
from unicrm.core.graph.teams.models import TeamMember
from unicrm.core.graph.teams.services import team_for_province
from unicrm.core.graph.timeline.models import TimelineEntry
from unicrm.core.graph.timeline.services import add_entry
from unicrm.core.graph.users.models import User

UNSET: Any = object()
MAX_EXTERNAL_SOURCE = 64
MAX_EXTERNAL_ID = 200
MAX_REASON = 500

_CUSTOMER_DEPARTMENT = (
    select(Customer.department_id).where(Customer.id == Lead.customer_id).scalar_subquery()
)


def visible_to(ctx: Any) -> ColumnElement[bool] | None:
    """The leads the request's actor may see: their ``core.lead`` row scope; a lead belongs
    to its owner and to its customer's department."""
    return visible(ctx, "core.lead", owner=Lead.owner_id, department=_CUSTOMER_DEPARTMENT)


@dataclass(frozen=True, slots=True)
class LeadFilter:
    status: LeadStatus | None = None
    temperature: LeadTemperature | None = None
    source: LeadSource | None = None
    owner_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None


def filtered(stmt: Select[Any], f: LeadFilter) -> Select[Any]:
    if f.status is not None:
        stmt = stmt.where(Lead.status == f.status)
    if f.temperature is not None:
        stmt = stmt.where(Lead.temperature == f.temperature)
    if f.source is not None:
        stmt = stmt.where(Lead.source == f.source)
    if f.owner_id is not None:
        stmt = stmt.where(Lead.owner_id == f.owner_id)
    if f.team_id is not None:
        members = select(TeamMember.user_id).where(TeamMember.team_id == f.team_id)
        stmt = stmt.where(Lead.owner_id.in_(members))
    return stmt


def _actor_name(session: AsyncSession) -> str:
    return getattr(session.info.get("actor"), "name", None) or lifecycle.SYSTEM


def _actor_user(session: AsyncSession) -> uuid.UUID | None:
    return getattr(session.info.get("actor"), "user_id", None)


def _external(source: str | None, external_id: str | None) -> tuple[str | None, str | None]:
    """The integrator's key, trimmed; both parts or neither."""
    source = (source or "").strip() or None
    external_id = (external_id or "").strip() or None
    errors: list[FieldError] = []
    if (source is None) != (external_id is None):
        field = "external_source" if source is None else "external_id"
        errors.append(FieldError("REQUIRED", "give both external source and external id", field))
    if source is not None and len(source) > MAX_EXTERNAL_SOURCE:
        errors.append(FieldError("TOO_LONG", "external source is too long", "external_source"))
    if external_id is not None and len(external_id) > MAX_EXTERNAL_ID:
        errors.append(FieldError("TOO_LONG", "external id is too long", "external_id"))
    if errors:
        raise DomainError(*errors)
    return source, external_id


async def _owner(session: AsyncSession, owner_id: uuid.UUID | None) -> uuid.UUID | None:
    if owner_id is not None:
        owner = await session.get(User, owner_id)
        if owner is None or not owner.is_active:
            raise DomainError.single("NOT_FOUND", "no active user with that id", "owner_id")
    return owner_id


async def get_lead(session: AsyncSession, lead_id: uuid.UUID, *, for_update: bool = False) -> Lead:
    stmt = select(Lead).where(Lead.id == lead_id)
    if for_update:
        stmt = stmt.with_for_update()
    lead = await session.scalar(stmt)
    if lead is None:
        raise DomainError.single("NOT_FOUND", "no such lead", "id")
    return lead


async def open_lead_of(session: AsyncSession, customer_id: uuid.UUID) -> Lead | None:
    return await session.scalar(
        select(Lead).where(Lead.customer_id == customer_id, Lead.status == LeadStatus.OPEN)
    )


def _record_temperature(
    session: AsyncSession, lead: Lead, previous: LeadTemperature | None
) -> None:
    session.add(
        LeadTemperatureChange(
            id=uuid7(),
            lead_id=lead.id,
            from_temperature=previous,
            to_temperature=lead.temperature,
            changed_by=_actor_name(session),
            changed_at=utcnow(),
        )
    )


def _notify_owner(session: AsyncSession, lead: Lead, customer: Customer) -> None:
    """Tell a lead's new owner, unless they assigned it to themselves."""
    if lead.owner_id is None or lead.owner_id == _actor_user(session):
        return
    notify(
        session,
        lead.owner_id,
        NotificationKind.ASSIGNMENT,
        f"A {lead.temperature.value} lead was assigned to you",
        body=f"{customer.display_name} ({lead.source.value.replace('_', ' ')})",
        subject=to_global_id("Lead", lead.id),
    )


async def route(
    session: AsyncSession, customer: Customer, province: str | None = None
) -> uuid.UUID | None:
    """The owner of a lead nobody was named for: the manager of the team covering the
    province given, else the province of the customer's primary address (a team naming the
    province wins over one covering its region, in the customer's department when it has
    one). None when no team covers it or the team has no manager."""
    if not (province or "").strip():
        province = await session.scalar(
            select(CustomerAddress.province)
            .where(CustomerAddress.customer_id == customer.id)
            .order_by(CustomerAddress.is_primary.desc(), CustomerAddress.id)
            .limit(1)
        )
    if not province:
        return None
    team = await team_for_province(session, province, customer.department_id)
    if team is None or team.manager_id is None:
        return None
    manager = await session.get(User, team.manager_id)
    return manager.id if manager is not None and manager.is_active else None


@dataclass(frozen=True, slots=True)
class LeadData:
    customer_id: uuid.UUID
    source: LeadSource
    temperature: LeadTemperature = LeadTemperature.COLD
    owner_id: uuid.UUID | None = None
    external_source: str | None = None
    external_id: str | None = None
    province: str | None = None
    """Where the lead is, for routing when no owner is given."""


async def create_lead(session: AsyncSession, data: LeadData) -> Lead:
    """Open a lead for a customer who has none open; the customer becomes at least a lead.

    The customer row is locked first, so two requests opening a lead for one customer queue
    up and the second gets OPEN_LEAD_EXISTS (the partial unique index is the backstop).
    """
    source, external_id = _external(data.external_source, data.external_id)
    owner_id = await _owner(session, data.owner_id)
    try:
        customer = await get_customer(session, data.customer_id, for_update=True)
    except DomainError:
        raise DomainError.single("NOT_FOUND", "no such customer", "customer_id") from None
    if await open_lead_of(session, customer.id) is not None:
        raise DomainError.single(
            "OPEN_LEAD_EXISTS", "the customer already has an open lead", "customer_id"
        )
    if source is not None and await _by_external(session, source, external_id) is not None:
        raise DomainError.single(
            "DUPLICATE", "a lead with this external source and id exists", "external_id"
        )
    if owner_id is None:
        owner_id = await route(session, customer, data.province)
    lead = Lead(
        id=uuid7(),
        customer_id=customer.id,
        status=LeadStatus.OPEN,
        temperature=data.temperature,
        source=data.source,
        owner_id=owner_id,
        external_source=source,
        external_id=external_id,
    )
    session.add(lead)
    await session.flush()
    _record_temperature(session, lead, None)
    lifecycle.advance(session, customer, LifecycleStage.LEAD, "lead created")
    emit(
        session,
        "lead.created",
        {
            "lead_id": str(lead.id),
            "source": lead.source.value,
            "temperature": lead.temperature.value,
            "owner_id": None if owner_id is None else str(owner_id),
        },
        customer_id=customer.id,
    )
    add_entry(
        session,
        customer.id,
        "core.lead_created",
        f"Lead opened ({lead.source.value.replace('_', ' ')})",
        data={"source": lead.source.value, "temperature": lead.temperature.value},
        ref_type="Lead",
        ref_id=lead.id,
    )
    _notify_owner(session, lead, customer)
    await session.flush()
    return lead


async def _open_for_change(session: AsyncSession, lead_id: uuid.UUID) -> Lead:
    lead = await get_lead(session, lead_id, for_update=True)
    if lead.status is not LeadStatus.OPEN:
        raise DomainError.single(
            "LEAD_CLOSED", f"the lead is {lead.status.value}; only open leads change", "id"
        )
    return lead


def _set_temperature(session: AsyncSession, lead: Lead, temperature: LeadTemperature) -> bool:
    if lead.temperature is temperature:
        return False
    previous = lead.temperature
    lead.temperature = temperature
    _record_temperature(session, lead, previous)
    add_entry(
        session,
        lead.customer_id,
        "core.lead_temperature_changed",
        f"Lead {previous.value} → {temperature.value}",
        data={"from": previous.value, "to": temperature.value},
        ref_type="Lead",
        ref_id=lead.id,
    )
    return True


async def update_lead(
    session: AsyncSession,
    lead_id: uuid.UUID,
    *,
    temperature: LeadTemperature | None = UNSET,
    source: LeadSource | None = UNSET,
) -> Lead:
    """Change an open lead's temperature (kept in its history) or source."""
    lead = await _open_for_change(session, lead_id)
    errors = [
        FieldError("REQUIRED", f"{name} cannot be cleared", name)
        for name, value in (("temperature", temperature), ("source", source))
        if value is None
    ]
    if errors:
        raise DomainError(*errors)
    if temperature is not UNSET:
        _set_temperature(session, lead, temperature)
    if source is not UNSET:
        lead.source = source
    await session.flush()
    return lead


async def assign_lead(session: AsyncSession, lead_id: uuid.UUID, owner_id: uuid.UUID) -> Lead:
    """Give an open lead to an owner, who is notified (unless they took it themselves)."""
    lead = await _open_for_change(session, lead_id)
    await _owner(session, owner_id)
    if lead.owner_id == owner_id:
        return lead
    lead.owner_id = owner_id
    customer = await session.get_one(Customer, lead.customer_id)
    _notify_owner(session, lead, customer)
    emit(
        session,
        "lead.assigned",
        {"lead_id": str(lead.id), "owner_id": str(owner_id)},
        customer_id=lead.customer_id,
    )
    await session.flush()
    return lead


def _closed_check(lead: Lead) -> None:
    if lead.status is LeadStatus.CONVERTED:
        raise DomainError.single("ALREADY_CONVERTED", "the lead is already converted", "id")
    if lead.status is LeadStatus.DISQUALIFIED:
        raise DomainError.single("ALREADY_DISQUALIFIED", "the lead is disqualified", "id")


async def summary(session: AsyncSession, lead: Lead) -> dict[str, Any]:
    """What ``lead.converted`` tells the sales side about the lead's history."""
    stages = (
        await session.scalars(
            select(LifecycleChange)
            .where(LifecycleChange.customer_id == lead.customer_id)
            .order_by(LifecycleChange.changed_at, LifecycleChange.id)
        )
    ).all()
    temperatures = (
        await session.scalars(
            select(LeadTemperatureChange)
            .where(LeadTemperatureChange.lead_id == lead.id)
            .order_by(LeadTemperatureChange.changed_at, LeadTemperatureChange.id)
        )
    ).all()
    entries, touches = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(TimelineEntry.occurred_at >= lead.created_at),
            ).where(TimelineEntry.customer_id == lead.customer_id)
        )
    ).one()
    return {
        "lead_id": str(lead.id),
        "temperature": lead.temperature.value,
        "source": lead.source.value,
        "owner_id": None if lead.owner_id is None else str(lead.owner_id),
        "external_source": lead.external_source,
        "external_id": lead.external_id,
        "created_at": lead.created_at.isoformat(),
        "converted_at": lead.converted_at.isoformat() if lead.converted_at else None,
        "stage_history": [
            {
                "from_stage": None if s.from_stage is None else s.from_stage.value,
                "to_stage": s.to_stage.value,
                "changed_by": s.changed_by,
                "changed_at": s.changed_at.isoformat(),
            }
            for s in stages
        ],
        "temperature_history": [
            {
                "from_temperature": None
                if t.from_temperature is None
                else t.from_temperature.value,
                "to_temperature": t.to_temperature.value,
                "changed_by": t.changed_by,
                "changed_at": t.changed_at.isoformat(),
            }
            for t in temperatures
        ],
        "timeline_entries": entries,
        "touches": touches,
    }


async def convert_lead(session: AsyncSession, lead_id: uuid.UUID) -> Lead:
    """Mark an open lead converted, move its customer to opportunity (never back from
    customer) and emit ``lead.converted`` with the lead's history; SFA opens the deal."""
    lead = await get_lead(session, lead_id, for_update=True)
    _closed_check(lead)
    customer = await session.get_one(Customer, lead.customer_id, with_for_update=True)
    lead.status = LeadStatus.CONVERTED
    lead.converted_at = utcnow()
    lead.converted_by = _actor_name(session)
    lifecycle.advance(session, customer, LifecycleStage.OPPORTUNITY, "lead converted")
    add_entry(
        session,
        customer.id,
        "core.lead_converted",
        "Lead converted to an opportunity",
        data={"temperature": lead.temperature.value, "source": lead.source.value},
        ref_type="Lead",
        ref_id=lead.id,
    )
    await session.flush()
    emit(session, "lead.converted", await summary(session, lead), customer_id=customer.id)
    return lead


async def disqualify_lead(session: AsyncSession, lead_id: uuid.UUID, reason: str | None) -> Lead:
    """Close an open lead as disqualified; a reason is required."""
    why = " ".join((reason or "").split())
    if not why:
        raise DomainError.single("REQUIRED", "say why the lead is disqualified", "reason")
    if len(why) > MAX_REASON:
        raise DomainError.single(
            "TOO_LONG", f"a reason has at most {MAX_REASON} characters", "reason"
        )
    lead = await get_lead(session, lead_id, for_update=True)
    _closed_check(lead)
    lead.status = LeadStatus.DISQUALIFIED
    lead.disqualified_at = utcnow()
    lead.disqualified_reason = why
    emit(
        session,
        "lead.disqualified",
        {"lead_id": str(lead.id), "reason": why},
        customer_id=lead.customer_id,
    )
    add_entry(
        session,
        lead.customer_id,
        "core.lead_disqualified",
        "Lead disqualified",
        summary=why,
        ref_type="Lead",
        ref_id=lead.id,
    )
    await session.flush()
    return lead


class DedupePolicy(StrEnum):
    """What an upsert does when the lead or its person is already known."""

    UPDATE_EXISTING = "update_existing"
    SKIP_EXISTING = "skip_existing"
    REJECT_DUPLICATE = "reject_duplicate"


class UpsertOutcome(StrEnum):
    CREATED = "created"
    LEAD_OPENED = "lead_opened"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class MatchedBy(StrEnum):
    EXTERNAL_ID = "external_id"
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class LeadUpsertData:
    source: LeadSource
    external_source: str | None = None
    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    temperature: LeadTemperature | None = None
    owner_id: uuid.UUID | None = None
    province: str | None = None
    policy: DedupePolicy = DedupePolicy.UPDATE_EXISTING


@dataclass(frozen=True, slots=True)
class UpsertResult:
    lead: Lead
    customer: Customer
    outcome: UpsertOutcome
    matched_by: MatchedBy | None


async def _by_external(session: AsyncSession, source: str, external_id: str | None) -> Lead | None:
    return await session.scalar(
        select(Lead).where(Lead.external_source == source, Lead.external_id == external_id)
    )


async def _by_contact(
    session: AsyncSession, model: type[CustomerEmail] | type[CustomerPhone], value: Any
) -> Customer | None:
    """The customer holding a contact value: one with an open lead first, else the oldest
    (deterministic, so every push of the same person lands on the same customer)."""
    has_open = (
        select(Lead.id)
        .where(Lead.customer_id == Customer.id, Lead.status == LeadStatus.OPEN)
        .exists()
    )
    return await session.scalar(
        select(Customer)
        .join(model, model.customer_id == Customer.id)
        .where(value)
        .order_by(has_open.desc(), Customer.created_at, Customer.id)
        .limit(1)
        .with_for_update(of=Customer)
    )


async def _serialize(session: AsyncSession, keys: list[str]) -> None:
    """Make concurrent upserts of the same person wait for each other (PostgreSQL; SQLite's
    write transactions already are serial): one transaction-scoped advisory lock per key."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted({k for k in keys if k}):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key}
        )


def _clean_contacts(data: LeadUpsertData) -> tuple[str | None, str | None]:
    errors: list[FieldError] = []
    email = phone = None
    if (data.email or "").strip():
        try:
            email = normalize_email(data.email or "", field="email")
        except DomainError as error:
            errors += error.errors
    if (data.phone or "").strip():
        try:
            phone = normalize_phone(data.phone or "", field="phone")
        except DomainError as error:
            errors += error.errors
    if errors:
        raise DomainError(*errors)
    return email, phone


async def upsert_lead(session: AsyncSession, data: LeadUpsertData) -> UpsertResult:
    """Record a lead pushed by an integrator without ever creating a duplicate.

    Matching: the external (source, id) first, then the e-mail, then the phone (both
    normalized as contact points are). ``policy`` decides what happens to a match:
    UPDATE_EXISTING updates the open lead (temperature, owner, missing contact points, the
    external key) or opens a lead for a known person without one; SKIP_EXISTING changes
    nothing when a lead is open (opens one otherwise); REJECT_DUPLICATE answers DUPLICATE.
    Nothing matched creates the person, their contact points and the lead.
    """
    source, external_id = _external(data.external_source, data.external_id)
    email, phone = _clean_contacts(data)
    if source is None and email is None and phone is None:
        raise DomainError.single(
            "REQUIRED", "give an external id, an e-mail or a phone to match on", "external_id"
        )
    owner_id = await _owner(session, data.owner_id)
    await _serialize(
        session,
        [
            f"lead:external:{source}:{external_id}" if source else "",
            f"lead:email:{email}" if email else "",
            f"lead:phone:{phone}" if phone else "",
        ],
    )
    customer: Customer | None = None
    matched_by: MatchedBy | None = None
    lead = None if source is None else await _by_external(session, source, external_id)
    if lead is not None:
        customer = await session.get_one(Customer, lead.customer_id, with_for_update=True)
        matched_by = MatchedBy.EXTERNAL_ID
    if customer is None and email is not None:
        customer = await _by_contact(session, CustomerEmail, CustomerEmail.address == email)
        matched_by = MatchedBy.EMAIL if customer is not None else None
    if customer is None and phone is not None:
        customer = await _by_contact(session, CustomerPhone, CustomerPhone.number == phone)
        matched_by = MatchedBy.PHONE if customer is not None else None

    if customer is None:
        return await _create_person_and_lead(session, data, source, external_id, email, phone)
    if data.policy is DedupePolicy.REJECT_DUPLICATE:
        assert matched_by is not None  # set whenever a customer matched
        what = matched_by.value.replace("_", " ")
        raise DomainError.single(
            "DUPLICATE", f"a lead or person with this {what} exists", matched_by.value
        )
    if lead is None:
        lead = await open_lead_of(session, customer.id)
    if lead is None:
        lead = await create_lead(
            session,
            LeadData(
                customer_id=customer.id,
                source=data.source,
                temperature=data.temperature or LeadTemperature.COLD,
                owner_id=owner_id,
                external_source=source,
                external_id=external_id,
                province=data.province,
            ),
        )
        return UpsertResult(lead, customer, UpsertOutcome.LEAD_OPENED, matched_by)
    if data.policy is DedupePolicy.SKIP_EXISTING or lead.status is not LeadStatus.OPEN:
        return UpsertResult(lead, customer, UpsertOutcome.UNCHANGED, matched_by)
    changed = await _update_from_push(
        session, lead, customer, data, source, external_id, email, phone
    )
    outcome = UpsertOutcome.UPDATED if changed else UpsertOutcome.UNCHANGED
    return UpsertResult(lead, customer, outcome, matched_by)


async def _update_from_push(
    session: AsyncSession,
    lead: Lead,
    customer: Customer,
    data: LeadUpsertData,
    source: str | None,
    external_id: str | None,
    email: str | None,
    phone: str | None,
) -> bool:
    changed = False
    if data.temperature is not None:
        changed |= _set_temperature(session, lead, data.temperature)
    if data.owner_id is not None and data.owner_id != lead.owner_id:
        lead.owner_id = data.owner_id
        _notify_owner(session, lead, customer)
        changed = True
    if source is not None and lead.external_source is None:
        lead.external_source, lead.external_id = source, external_id
        changed = True
    if email is not None and not await _holds(
        session, CustomerEmail, customer.id, CustomerEmail.address == email
    ):
        await add_email(session, customer.id, email)
        changed = True
    if phone is not None and not await _holds(
        session, CustomerPhone, customer.id, CustomerPhone.number == phone
    ):
        await add_phone(session, customer.id, phone)
        changed = True
    await session.flush()
    return changed


async def _holds(session: AsyncSession, model: Any, customer_id: uuid.UUID, value: Any) -> bool:
    found = await session.scalar(select(model.id).where(model.customer_id == customer_id, value))
    return found is not None


async def _create_person_and_lead(
    session: AsyncSession,
    data: LeadUpsertData,
    source: str | None,
    external_id: str | None,
    email: str | None,
    phone: str | None,
) -> UpsertResult:
    if not ((data.first_name or "").strip() or (data.last_name or "").strip()):
        raise DomainError.single(
            "REQUIRED", "a new person needs a first or last name", "first_name"
        )
    customer = await create_customer(
        session,
        CustomerData(
            kind=CustomerKind.PERSON,
            first_name=data.first_name,
            last_name=data.last_name,
            owner_id=data.owner_id,
        ),
    )
    if email is not None:
        await add_email(session, customer.id, email, is_primary=True)
    if phone is not None:
        await add_phone(session, customer.id, phone, is_primary=True)
    lead = await create_lead(
        session,
        LeadData(
            customer_id=customer.id,
            source=data.source,
            temperature=data.temperature or LeadTemperature.COLD,
            owner_id=data.owner_id,
            external_source=source,
            external_id=external_id,
            province=data.province,
        ),
    )
    return UpsertResult(lead, customer, UpsertOutcome.CREATED, None)
