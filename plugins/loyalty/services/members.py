"""Programs, enrolment and the life of a membership; how a merge combines two memberships."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.rows import ALL, DEPARTMENT
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.consents.models import (
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    ConsentStatus,
)
from unicrm.core.graph.consents.services import ConsentChange, record_consent
from unicrm.core.graph.contacts.models import CustomerPhone
from unicrm.core.graph.contacts.services import add_phone, normalize_phone
from unicrm.core.graph.customers.models import Customer, CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.stores.models import Store, StoreStaff
from unicrm.core.graph.timeline.services import add_entry
from unicrm.core.privacy.rows import Journal, drop_row, move_rows, set_column
from unicrm.plugins.loyalty.events import MemberEnrolled, MemberStatusChanged
from unicrm.plugins.loyalty.models import (
    CheckIn,
    Coupon,
    EnrollmentChannel,
    LedgerEntry,
    Member,
    MemberStatus,
    MemberType,
    MissionProgress,
    NegativeBalancePolicy,
    PointsLot,
    PosTransaction,
    Program,
    Redemption,
    RuleUsage,
    Tier,
)

PERMISSION = "loyalty.member"


def normalize_card_number(card_number: str) -> str:
    """Card numbers are printed in groups; look-ups ignore the spaces and dashes."""
    return "".join(ch for ch in card_number if ch not in " -")


def visible_members(ctx: Any, action: str = "read") -> ColumnElement[bool] | None:
    """Store staff (scope ``own`` or ``team`` of ``loyalty.member``) see the members enrolled
    at the stores they work at; ``department`` and ``all`` see every member."""
    access = getattr(ctx, "access", None)
    if access is None:
        return None
    scope = access.scope(PERMISSION, action)
    if scope in (ALL, DEPARTMENT):
        return None
    user_id = ctx.actor.user_id
    if scope is None or user_id is None:
        return false()
    return Member.store_id.in_(select(StoreStaff.store_id).where(StoreStaff.user_id == user_id))


def member_key(
    card_number: str | None, phone: str | None, qr_value: str | None
) -> ColumnElement[bool]:
    """What finds the member holding a card number, else a QR value, else a phone."""
    if card_number is not None:
        return Member.card_number == normalize_card_number(card_number)
    if qr_value is not None:
        return Member.qr_value == qr_value
    if phone is not None:
        return Member.phone == normalize_phone(phone, field="phone")
    raise DomainError.single("REQUIRED", "give a card number, a phone or a QR value")


async def find_member(
    session: AsyncSession,
    *,
    card_number: str | None = None,
    phone: str | None = None,
    qr_value: str | None = None,
    program_code: str | None = None,
    where: ColumnElement[bool] | None = None,
) -> Member | None:
    """The member holding a card number, a phone (E.164 or national) or a QR value."""
    stmt = select(Member)
    if card_number is not None:
        stmt = stmt.where(Member.card_number == normalize_card_number(card_number))
    elif qr_value is not None:
        stmt = stmt.where(Member.qr_value == qr_value)
    elif phone is not None:
        stmt = stmt.where(Member.phone == normalize_phone(phone, field="phone"))
    else:
        raise DomainError.single("REQUIRED", "give a card number, a phone or a QR value")
    if program_code is not None:
        stmt = stmt.join(Program, Program.id == Member.program_id).where(
            Program.code == program_code
        )
    if where is not None:
        stmt = stmt.where(where)
    return await session.scalar(stmt.order_by(Member.enrolled_at).limit(1))


@dataclass
class ProgramData:
    code: str
    name: str
    currency: str
    expiry_months: int | None = 12
    expiry_notice_days: int = 30
    negative_balance_policy: NegativeBalancePolicy = NegativeBalancePolicy.FLOOR_AT_ZERO
    member_types: list[tuple[str, str]] | None = None


def _code_errors(code: str, field: str) -> list[FieldError]:
    if not code or len(code) > 32 or not code.replace("_", "").replace("-", "").isalnum():
        return [FieldError("INVALID", "a code is 1 to 32 letters, digits, - or _", field)]
    return []


async def create_program(session: AsyncSession, data: ProgramData) -> Program:
    errors = _code_errors(data.code, "code")
    if not data.name.strip() or len(data.name) > 200:
        errors.append(FieldError("INVALID", "a name is 1 to 200 characters", "name"))
    if len(data.currency) != 3 or not data.currency.isalpha():
        errors.append(FieldError("INVALID", "a currency is an ISO 4217 code", "currency"))
    if data.expiry_months is not None and not 1 <= data.expiry_months <= 120:
        errors.append(FieldError("INVALID", "points expire after 1 to 120 months", "expiry_months"))
    if not 0 <= data.expiry_notice_days <= 365:
        errors.append(FieldError("INVALID", "notice 0 to 365 days ahead", "expiry_notice_days"))
    types = data.member_types or [("general", "General")]
    for i, (code, _name) in enumerate(types):
        errors += _code_errors(code, f"member_types.{i}.code")
    if len({code for code, _ in types}) != len(types):
        errors.append(FieldError("DUPLICATE", "member type codes repeat", "member_types"))
    if not errors and await session.scalar(select(Program.id).where(Program.code == data.code)):
        errors.append(FieldError("DUPLICATE", f"a program {data.code!r} exists", "code"))
    if errors:
        raise DomainError(*errors)
    program = Program(
        id=uuid7(),
        code=data.code,
        name=data.name.strip(),
        currency=data.currency.upper(),
        expiry_months=data.expiry_months,
        expiry_notice_days=data.expiry_notice_days,
        negative_balance_policy=data.negative_balance_policy,
        active=True,
        created_at=utcnow(),
    )
    session.add(program)
    await session.flush()
    for code, name in types:
        session.add(MemberType(id=uuid7(), program_id=program.id, code=code, name=name))
    await session.flush()
    return program


async def program_by_code(session: AsyncSession, code: str, field: str) -> Program:
    program = await session.scalar(select(Program).where(Program.code == code))
    if program is None or not program.active:
        raise DomainError.single("PROGRAM_NOT_FOUND", f"no active program {code!r}", field)
    return program


async def store_by_code(session: AsyncSession, code: str, field: str) -> Store:
    store = await session.scalar(select(Store).where(Store.code == code))
    if store is None or not store.active:
        raise DomainError.single("STORE_NOT_FOUND", f"no active store {code!r}", field)
    return store


@dataclass
class EnrollData:
    """A sign-up: the phone is the key; an existing customer with that phone (or the one
    named) becomes the member, otherwise a new customer is created from the names."""

    program_code: str
    phone: str
    channel: EnrollmentChannel
    marketing_consent: bool
    customer_id: uuid.UUID | None = None
    first_name: str | None = None
    last_name: str | None = None
    store_code: str | None = None
    member_type: str | None = None
    card_number: str | None = None
    consent_policy_version: str | None = None


async def _new_card_number(session: AsyncSession) -> str:
    while True:
        number = "8" + "".join(secrets.choice("0123456789") for _ in range(15))
        if await session.scalar(select(Member.id).where(Member.card_number == number)) is None:
            return number


async def _customer_for(session: AsyncSession, data: EnrollData, phone: str) -> uuid.UUID:
    if data.customer_id is not None:
        found = await session.scalar(select(Customer.id).where(Customer.id == data.customer_id))
        if found is None:
            raise DomainError.single("CUSTOMER_NOT_FOUND", "no such customer", "customer_id")
        return found
    existing = await session.scalar(
        select(CustomerPhone.customer_id)
        .where(CustomerPhone.number == phone)
        .order_by(CustomerPhone.created_at)
        .limit(1)
    )
    if existing is not None:
        return existing
    if not (data.first_name or "").strip():
        raise DomainError.single("REQUIRED", "a new customer needs a first name", "first_name")
    customer = await create_customer(
        session,
        CustomerData(
            kind=CustomerKind.PERSON, first_name=data.first_name, last_name=data.last_name
        ),
    )
    await add_phone(session, customer.id, phone, is_primary=True)
    return customer.id


async def enroll(session: AsyncSession, data: EnrollData) -> Member:
    """Enrol a customer; the answer to the marketing consent question is recorded as given."""
    phone = normalize_phone(data.phone, field="phone")
    if data.marketing_consent and not (data.consent_policy_version or "").strip():
        raise DomainError.single(
            "REQUIRED", "a consent names the privacy notice version shown", "consent_policy_version"
        )
    program = await program_by_code(session, data.program_code, "program_code")
    store = None
    if data.store_code is not None:
        store = await store_by_code(session, data.store_code, "store_code")
    elif data.channel is EnrollmentChannel.POS:
        raise DomainError.single("REQUIRED", "a POS enrolment names its store", "store_code")
    type_code = data.member_type or "general"
    member_type = await session.scalar(
        select(MemberType).where(MemberType.program_id == program.id, MemberType.code == type_code)
    )
    if member_type is None:
        raise DomainError.single(
            "MEMBER_TYPE_NOT_FOUND", f"no member type {type_code!r}", "member_type"
        )
    card = None if data.card_number is None else normalize_card_number(data.card_number)
    if card is not None and (not card.isdigit() or not 8 <= len(card) <= 32):
        raise DomainError.single("INVALID", "a card number is 8 to 32 digits", "card_number")
    if await session.scalar(
        select(Member.id).where(Member.program_id == program.id, Member.phone == phone)
    ):
        raise DomainError.single("ALREADY_MEMBER", "this phone number is a member", "phone")
    customer_id = await _customer_for(session, data, phone)
    if await session.scalar(
        select(Member.id).where(Member.program_id == program.id, Member.customer_id == customer_id)
    ):
        raise DomainError.single("ALREADY_MEMBER", "the customer is a member", "customer_id")
    if card is not None and await session.scalar(
        select(Member.id).where(Member.card_number == card)
    ):
        raise DomainError.single("DUPLICATE", "the card number is taken", "card_number")
    lowest = await session.scalar(
        select(Tier.code).where(Tier.program_id == program.id).order_by(Tier.rank).limit(1)
    )
    now = utcnow()
    member = Member(
        id=uuid7(),
        program_id=program.id,
        customer_id=customer_id,
        member_type_id=member_type.id,
        card_number=card or await _new_card_number(session),
        qr_value=secrets.token_urlsafe(24),
        phone=phone,
        tier=lowest or "base",
        tier_since=now,
        points_balance=0,
        status=MemberStatus.ACTIVE,
        channel=data.channel,
        store_id=None if store is None else store.id,
        enrolled_at=now,
    )
    session.add(member)
    await session.flush()
    source = {
        EnrollmentChannel.POS: ConsentSource.POS,
        EnrollmentChannel.SELF: ConsentSource.WEB_FORM,
    }.get(data.channel, ConsentSource.STAFF)
    await record_consent(
        session,
        customer_id,
        ConsentChange(
            purpose=ConsentPurpose.MARKETING,
            channel=ConsentChannel.SMS,
            status=ConsentStatus.GRANTED if data.marketing_consent else ConsentStatus.WITHDRAWN,
            source=source,
            policy_version=data.consent_policy_version,
            evidence={"loyalty_program": program.code, "member_id": str(member.id)},
        ),
    )
    emit(
        session,
        "loyalty.member_enrolled",
        MemberEnrolled(
            member_id=str(member.id),
            program=program.code,
            channel=data.channel.value,
            store_id=None if store is None else str(store.id),
        ),
        customer_id=customer_id,
    )
    add_entry(
        session,
        customer_id,
        "loyalty.member_enrolled",
        f"Joined {program.name}",
        summary=f"Card {member.card_number}, {data.channel.value} sign-up"
        + ("" if store is None else f" at {store.name}"),
        ref_type="LoyaltyMember",
        ref_id=member.id,
    )
    return member


ALLOWED_STATUS = {
    MemberStatus.ACTIVE: {MemberStatus.SUSPENDED, MemberStatus.CLOSED},
    MemberStatus.SUSPENDED: {MemberStatus.ACTIVE, MemberStatus.CLOSED},
    MemberStatus.CLOSED: set(),
}
"""A closed membership stays closed; suspension can be lifted."""


async def set_status(
    session: AsyncSession, member_id: uuid.UUID, status: MemberStatus, reason: str
) -> Member:
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError.single("REQUIRED", "say why the status changes", "reason")
    member = await session.scalar(select(Member).where(Member.id == member_id).with_for_update())
    if member is None:
        raise DomainError.single("MEMBER_NOT_FOUND", "no such loyalty member", "member_id")
    if status not in ALLOWED_STATUS[member.status]:
        raise DomainError.single(
            "INVALID_STATUS",
            f"a {member.status.value} membership cannot become {status.value}",
            "status",
        )
    member.status, member.status_reason = status, reason[:500]
    emit(
        session,
        "loyalty.member_status_changed",
        MemberStatusChanged(member_id=str(member.id), status=status.value, reason=reason),
        customer_id=member.customer_id,
    )
    await session.flush()
    return member


CUSTOMER_TABLES = (LedgerEntry, PosTransaction, Redemption, Coupon)
"""Loyalty tables besides members whose rows carry the customer id."""


async def merge_members(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID, journal: Journal | None
) -> None:
    """Move the source's memberships to the target.

    In a program where both are members the target keeps its card and takes over the
    source's entries, lots, transactions and redemptions with its balance; the source's card is
    deleted and the journal keeps the deleted row whole (column ``"*"``).
    """
    for model in CUSTOMER_TABLES:
        await move_rows(session, model, source_id, target_id, journal)
    sources = (
        await session.scalars(
            select(Member).where(Member.customer_id == source_id).with_for_update()
        )
    ).all()
    for source in sources:
        target = await session.scalar(
            select(Member)
            .where(Member.customer_id == target_id, Member.program_id == source.program_id)
            .with_for_update()
        )
        if target is None:
            set_column(source, "customer_id", target_id, journal)
            await session.flush()
            continue
        for model in (LedgerEntry, PointsLot, PosTransaction, Redemption, Coupon, CheckIn):
            await move_rows(session, model, source.id, target.id, journal, column="member_id")
        for counter in (RuleUsage, MissionProgress):  # per-member counters: the survivor's own
            await session.execute(counter.__table__.delete().where(counter.member_id == source.id))
        for counter in ("points_balance", "earned_points", "spend"):
            total = getattr(target, counter) + getattr(source, counter)
            set_column(target, counter, total, journal)
        await drop_row(session, source, journal)


async def current_member(ctx: Any, member_id: uuid.UUID) -> Member | None:
    """The member as stored now, if the actor of ``ctx`` may see them (their row scope)."""
    stmt = select(Member).where(Member.id == member_id).execution_options(populate_existing=True)
    scope = visible_members(ctx)
    async with ctx.db.session() as session:
        return await session.scalar(stmt if scope is None else stmt.where(scope))
