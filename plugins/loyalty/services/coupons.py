"""Coupons: offers, issuance to members (one by one or a whole segment) and use at the POS.

A coupon's code is random (10 characters of an alphabet without look-alikes: about 50 bits),
so codes cannot be guessed from one another. Using a coupon locks its row, so two tills
presenting the same code at once use it once.
"""

from __future__ import annotations

import secrets
import uuid
from calendar import isleap
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, extract, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import MONEY_QUANTUM, utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.core.segments.models import SegmentMember
from unicrm.plugins.loyalty.models import (
    BirthdayIssue,
    Coupon,
    CouponKind,
    CouponOffer,
    Member,
    MemberStatus,
    Program,
)
from unicrm.plugins.loyalty.services.earn import Line, number
from unicrm.plugins.loyalty.services.members import store_by_code

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_ISSUE = 10_000


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(10))


@dataclass
class OfferData:
    program_code: str
    code: str
    name: str
    kind: CouponKind
    value: Decimal | None = None
    sku: str | None = None
    min_spend: Decimal | None = None
    valid_days: int | None = None
    valid_until: datetime | None = None
    birthday: BirthdayIssue = BirthdayIssue.NONE


async def create_offer(session: AsyncSession, data: OfferData) -> CouponOffer:
    errors = []
    if not data.code or len(data.code) > 32:
        errors.append(FieldError("INVALID", "a code is 1 to 32 characters", "code"))
    if not data.name.strip() or len(data.name) > 200:
        errors.append(FieldError("INVALID", "a name is 1 to 200 characters", "name"))
    if data.kind in (CouponKind.AMOUNT, CouponKind.PERCENT) and (
        data.value is None or data.value <= 0
    ):
        errors.append(FieldError("REQUIRED", "an amount or percent coupon has a value", "value"))
    if data.kind is CouponKind.PERCENT and data.value is not None and data.value > 100:
        errors.append(FieldError("INVALID", "a percentage is at most 100", "value"))
    if data.kind is CouponKind.FREE_ITEM and not data.sku:
        errors.append(FieldError("REQUIRED", "a free item coupon names its SKU", "sku"))
    if data.min_spend is not None and data.min_spend < 0:
        errors.append(FieldError("INVALID", "a minimum spend is not negative", "min_spend"))
    if data.valid_days is not None and not 1 <= data.valid_days <= 3660:
        errors.append(FieldError("INVALID", "valid 1 to 3660 days", "valid_days"))
    if errors:
        raise DomainError(*errors)
    program_id = await session.scalar(select(Program.id).where(Program.code == data.program_code))
    if program_id is None:
        raise DomainError.single("PROGRAM_NOT_FOUND", "no such program", "program_code")
    if await session.scalar(
        select(CouponOffer.id).where(
            CouponOffer.program_id == program_id, CouponOffer.code == data.code
        )
    ):
        raise DomainError.single("DUPLICATE", f"an offer {data.code!r} exists", "code")
    offer = CouponOffer(
        id=uuid7(),
        program_id=program_id,
        code=data.code,
        name=data.name.strip(),
        kind=data.kind,
        value=data.value,
        sku=data.sku,
        min_spend=data.min_spend,
        valid_days=data.valid_days,
        valid_until=data.valid_until,
        birthday=data.birthday,
        active=True,
    )
    session.add(offer)
    await session.flush()
    return offer


async def offer_by_code(session: AsyncSession, program_code: str, code: str) -> CouponOffer:
    offer = await session.scalar(
        select(CouponOffer)
        .join(Program, Program.id == CouponOffer.program_id)
        .where(Program.code == program_code, CouponOffer.code == code)
    )
    if offer is None or not offer.active:
        raise DomainError.single("OFFER_NOT_FOUND", "no such coupon offer", "offer_code")
    return offer


async def issue(
    session: AsyncSession,
    offer: CouponOffer,
    members: list[Member],
    issue_key: str,
    now: datetime | None = None,
) -> list[Coupon]:
    """Issue the offer to each active member once per ``issue_key``; return the new coupons
    (members who already hold one for the key get none)."""
    now = now or utcnow()
    ends = [
        t
        for t in (
            None if offer.valid_days is None else now + timedelta(days=offer.valid_days),
            offer.valid_until,
        )
        if t is not None
    ]
    issued = []
    for member in members:
        if member.status is not MemberStatus.ACTIVE or member.program_id != offer.program_id:
            continue
        values = {
            "id": uuid7(),
            "offer_id": offer.id,
            "member_id": member.id,
            "customer_id": member.customer_id,
            "code": new_code(),
            "issue_key": issue_key,
            "issued_at": now,
            "expires_at": min(ends) if ends else None,
        }
        if await insert_or_skip(session, Coupon, values, ("offer_id", "member_id", "issue_key")):
            issued.append(await session.get_one(Coupon, values["id"]))
    return issued


async def issue_to(
    session: AsyncSession,
    program_code: str,
    offer_code: str,
    member_ids: list[uuid.UUID],
    segment_id: uuid.UUID | None,
    issue_key: str,
) -> list[Coupon]:
    """Issue to the members named and/or every member of a segment (core segments: from MA
    or any saved audience)."""
    if not issue_key.strip() or len(issue_key) > 100:
        raise DomainError.single("INVALID", "an issue key is 1 to 100 characters", "issue_key")
    offer = await offer_by_code(session, program_code, offer_code)
    stmt = select(Member).where(Member.program_id == offer.program_id)
    if segment_id is not None:
        in_segment = select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment_id)
        stmt = stmt.where(Member.id.in_(member_ids) | Member.customer_id.in_(in_segment))
    else:
        stmt = stmt.where(Member.id.in_(member_ids))
    members = list((await session.scalars(stmt.order_by(Member.id).limit(MAX_ISSUE + 1))).all())
    if len(members) > MAX_ISSUE:
        raise DomainError.single("INVALID", f"at most {MAX_ISSUE} members per issue", "segment_id")
    return await issue(session, offer, members, issue_key)


@dataclass(frozen=True, slots=True)
class Used:
    coupon: Coupon
    offer: CouponOffer
    explanation: str


def benefit(offer: CouponOffer) -> str:
    match offer.kind:
        case CouponKind.AMOUNT:
            return f"{number(offer.value or Decimal(0))} off"
        case CouponKind.PERCENT:
            return f"{number(offer.value or Decimal(0))}% off"
        case CouponKind.FREE_ITEM:
            return f"a free {offer.sku}"
    return "free delivery"


async def usable(
    session: AsyncSession, code: str, member_id: uuid.UUID | None, spend: Decimal, skus: list[str]
) -> tuple[Coupon, CouponOffer]:
    """The coupon of ``code``, locked, with its offer, if ``member_id`` may use it now on a
    basket of ``spend`` holding ``skus``; a typed error otherwise. Nothing is written."""
    await session.flush()  # the refresh below must not undo a pending use (a POS batch)
    coupon = await session.scalar(
        select(Coupon)
        .where(Coupon.code == code.strip().upper())
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if coupon is None:
        raise DomainError.single("COUPON_NOT_FOUND", "no such coupon", "code")
    if member_id is not None and coupon.member_id != member_id:
        raise DomainError.single("COUPON_OF_ANOTHER_MEMBER", "the coupon is someone else's", "code")
    if coupon.used_at is not None:
        raise DomainError.single("COUPON_USED", "the coupon was already used", "code")
    if coupon.expires_at is not None and utcnow() >= coupon.expires_at:
        raise DomainError.single("COUPON_EXPIRED", "the coupon has expired", "code")
    offer = await session.get_one(CouponOffer, coupon.offer_id)
    if offer.min_spend is not None and spend < offer.min_spend:
        raise DomainError.single(
            "CONDITIONS_NOT_MET", f"the coupon needs a spend of {number(offer.min_spend)}", "spend"
        )
    if offer.kind is not CouponKind.FREE_ITEM and offer.sku is not None and offer.sku not in skus:
        raise DomainError.single(
            "CONDITIONS_NOT_MET", f"the coupon needs {offer.sku} in the basket", "skus"
        )
    return coupon, offer


def mark_used(coupon: Coupon, offer: CouponOffer, store_id: uuid.UUID, transaction_id: str) -> Used:
    coupon.used_at, coupon.used_store_id = utcnow(), store_id
    coupon.used_transaction_id = transaction_id[:100]
    return Used(coupon, offer, f"Coupon {coupon.code}: {benefit(offer)} ({offer.name})")


def discount(offer: CouponOffer, lines: list[Line]) -> Decimal:
    """What the coupon takes off the basket: an amount (at most the basket), a percentage, the
    unit price of the free item; free delivery takes nothing off the goods."""
    total = sum((line.amount for line in lines), Decimal(0))
    value = offer.value or Decimal(0)
    match offer.kind:
        case CouponKind.AMOUNT:
            return min(value, total)
        case CouponKind.PERCENT:
            return min((total * value / 100).quantize(MONEY_QUANTUM), total)
        case CouponKind.FREE_ITEM:
            line = next((li for li in lines if li.sku == offer.sku), None)
            return (
                Decimal(0)
                if line is None
                else (line.amount / line.quantity).quantize(MONEY_QUANTUM)
            )
    return Decimal(0)


def net_lines(lines: list[Line], off: Decimal) -> list[Line]:
    """The lines with ``off`` spread over them in proportion to their amounts."""
    total = sum((line.amount for line in lines), Decimal(0))
    if not off or not total:
        return lines
    share = (total - off) / total
    return [replace(line, amount=(line.amount * share).quantize(MONEY_QUANTUM)) for line in lines]


async def use(
    session: AsyncSession,
    code: str,
    member_id: uuid.UUID | None,
    store_code: str,
    transaction_id: str,
    spend: Decimal,
    skus: list[str],
) -> Used:
    """Use a coupon at a store's POS for the member presenting it (``member_id``)."""
    store = await store_by_code(session, store_code, "store_code")
    coupon, offer = await usable(session, code, member_id, spend, skus)
    used = mark_used(coupon, offer, store.id, transaction_id)
    await session.flush()
    return used


def _birthday_today(today: date) -> ColumnElement[bool]:
    """Customers whose birthday is ``today``; in a year without 29 February, those born on
    it celebrate on the 28th."""
    month = extract("month", Customer.birth_date)
    day = extract("day", Customer.birth_date)
    on_day = (month == today.month) & (day == today.day)
    if today.month == 2 and today.day == 28 and not isleap(today.year):
        return on_day | ((month == 2) & (day == 29))
    return on_day


async def issue_birthday_coupons(session: AsyncSession, today: date) -> int:
    """Issue every birthday offer to the members it is due for ``today`` (a business date):
    ``DAY`` offers on the birthday, ``MONTH`` offers on any day of the birth month. The issue
    key ``birthday:<year>`` gives each member one coupon of an offer per year, however often
    the job runs."""
    offers = (
        await session.scalars(
            select(CouponOffer).where(
                CouponOffer.active.is_(True), CouponOffer.birthday != BirthdayIssue.NONE
            )
        )
    ).all()
    count = 0
    for offer in offers:
        due = (
            _birthday_today(today)
            if offer.birthday is BirthdayIssue.DAY
            else extract("month", Customer.birth_date) == today.month
        )
        members = (
            await session.scalars(
                select(Member)
                .join(Customer, Customer.id == Member.customer_id)
                .where(
                    Member.program_id == offer.program_id,
                    Member.status == MemberStatus.ACTIVE,
                    due,
                )
                .order_by(Member.id)
            )
        ).all()
        count += len(await issue(session, offer, list(members), f"birthday:{today.year}"))
    return count
