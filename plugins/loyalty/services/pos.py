"""POS transactions: a sale earns points once, a refund takes back its share of them.

``(store, transaction id)`` is unique in ``loyalty_pos_transaction``. The row is inserted
first (``INSERT ... ON CONFLICT DO NOTHING``), so of two concurrent copies of a transaction
the second waits for the first to commit, finds the key taken, and earns nothing.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.contacts.services import normalize_phone
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.core.graph.stores.models import Store
from unicrm.plugins.loyalty.models import (
    Coupon,
    CouponOffer,
    EntryKind,
    Member,
    MissionProgress,
    NegativeBalancePolicy,
    PointsLot,
    PosTransaction,
    Program,
    TransactionKind,
)
from unicrm.plugins.loyalty.services import config, coupons, earn, ledger, missions, tiers
from unicrm.plugins.loyalty.services.members import (
    member_key,
    normalize_card_number,
    store_by_code,
)


class DuplicateTransaction(DomainError):
    """The transaction was already ingested; ``existing_id`` is the first one."""

    def __init__(self, existing_id: uuid.UUID) -> None:
        super().__init__(
            FieldError(
                "DUPLICATE_TRANSACTION", "this transaction was already ingested", "transaction_id"
            )
        )
        self.existing_id = existing_id


@dataclass
class SaleData:
    store_code: str
    transaction_id: str
    currency: str
    lines: list[earn.Line]
    card_number: str | None = None
    phone: str | None = None
    qr_value: str | None = None
    occurred_at: datetime | None = None
    coupon_code: str | None = None
    """A coupon the member presents: its value comes off the sale, points earn on the net."""


@dataclass
class RefundData:
    store_code: str
    transaction_id: str
    original_transaction_id: str
    amount: Decimal
    occurred_at: datetime | None = None


@dataclass
class Outcome:
    transaction: PosTransaction
    member: Member | None
    notes: list[str] = field(default_factory=list)
    balance: int | None = field(init=False)
    """The member's balance right after this transaction (a batch moves it on)."""

    def __post_init__(self) -> None:
        self.balance = None if self.member is None else self.member.points_balance


def _check_header(transaction_id: str, occurred_at: datetime, now: datetime) -> None:
    errors = []
    if not transaction_id.strip() or len(transaction_id) > 100:
        errors.append(
            FieldError("INVALID", "a transaction id is 1 to 100 characters", "transaction_id")
        )
    if occurred_at > now + timedelta(minutes=5):
        errors.append(FieldError("INVALID", "the transaction is in the future", "occurred_at"))
    if errors:
        raise DomainError(*errors)


async def _refuse_taken(session: AsyncSession, store_id: uuid.UUID, transaction_id: str) -> None:
    """Raise ``DuplicateTransaction`` if the key was ingested."""
    existing = await session.scalar(
        select(PosTransaction.id).where(
            PosTransaction.store_id == store_id, PosTransaction.transaction_id == transaction_id
        )
    )
    if existing is not None:
        raise DuplicateTransaction(existing)


async def _claim(session: AsyncSession, values: dict) -> PosTransaction:
    """Insert the transaction's key row, or raise ``DuplicateTransaction``."""
    if not await insert_or_skip(session, PosTransaction, values, ("store_id", "transaction_id")):
        await _refuse_taken(session, values["store_id"], values["transaction_id"])
        raise AssertionError("the key conflicted, yet no row holds it")
    row = PosTransaction(**values)
    make_transient_to_detached(row)  # the row as inserted, without reading it back
    session.add(row)
    return row


def _no_member() -> DomainError:
    return DomainError.single(
        "MEMBER_NOT_FOUND", "no member with this card or phone", "card_number"
    )


@dataclass
class _Priced:
    """A sale checked and computed, not yet written: its row's values and what it earns."""

    values: dict[str, Any]
    earned: earn.Earned
    day: date
    coupon: tuple[Coupon, CouponOffer] | None = None


async def _price(
    session: AsyncSession,
    data: SaleData,
    store: Store,
    member: Member,
    settings: config.ProgramConfig,
    zone: ZoneInfo,
    now: datetime,
) -> _Priced:
    """Everything that can refuse a sale, before anything of it is written."""
    ledger.check_active(member, "card_number")
    occurred_at = data.occurred_at or now
    day = occurred_at.astimezone(zone).date()
    currency = data.currency.upper()
    lines, coupon, note = data.lines, None, ""
    if data.coupon_code is not None:
        gross = sum((line.amount for line in lines), Decimal(0))
        skus = [line.sku for line in lines]
        coupon = await coupons.usable(session, data.coupon_code, member.id, gross, skus)
        off = coupons.discount(coupon[1], lines)
        lines = coupons.net_lines(lines, off)
        note = f"{earn.number(off)} {currency} off with coupon {coupon[0].code}; "
    earned = await earn.compute(session, member, settings, currency, lines, occurred_at, day)
    if earned.points > ledger.MAX_POINTS:
        raise DomainError.single(
            "INVALID_POINTS", f"a sale earns at most {ledger.MAX_POINTS:,} points", "lines"
        )
    earned = replace(earned, explanation=note + earned.explanation)
    values = {
        "id": uuid7(),
        "store_id": store.id,
        "transaction_id": data.transaction_id,
        "kind": TransactionKind.SALE,
        "member_id": member.id,
        "customer_id": member.customer_id,
        "original_id": None,
        "occurred_at": occurred_at,
        "currency": currency,
        "amount": sum((line.amount for line in lines), Decimal(0)),
        "refunded": Decimal(0),
        "points": earned.points,
        "posting_id": uuid7() if earned.points > 0 else None,
        "reversed_points": 0,
        "explanation": earned.explanation[:1000],
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "amount": str(line.amount),
                "category": line.category,
                "modifiers": line.modifiers,
            }
            for line in lines
        ],
        "created_at": now,
    }
    return _Priced(values, earned, day, coupon)


async def _apply(
    session: AsyncSession,
    data: SaleData,
    member: Member,
    settings: config.ProgramConfig,
    priced: _Priced,
    zone: ZoneInfo,
    progress: dict[tuple[uuid.UUID, uuid.UUID], MissionProgress] | None = None,
) -> list[str]:
    """The writes of a claimed sale: rule usage, spend, the earn posting, tiers, missions.
    Raises no ``DomainError`` (a batch would keep half a sale): it is turned into a bug."""
    values, earned = priced.values, priced.earned
    try:
        notes = []
        if priced.coupon is not None:
            used = coupons.mark_used(*priced.coupon, values["store_id"], data.transaction_id)
            notes.append(used.explanation)
        await earn.record_usage(session, earned, member.id, priced.day)
        member.spend += values["amount"]
        if values["posting_id"] is not None:
            await ledger.post(
                session,
                member,
                EntryKind.EARN,
                earned.points,
                reason="purchase",
                source="pos",
                source_ref=f"{data.store_code}:{data.transaction_id}",
                explanation=earned.explanation,
                zone=zone,
                program=settings.program,
                now=values["created_at"],
                posting_id=values["posting_id"],
            )
        notes += await tiers.after_earn(session, member, settings)
        return notes + await missions.after_sale(
            session, member, settings, data.lines, values["occurred_at"], priced.day, progress
        )
    except DomainError as exc:
        raise RuntimeError(f"a sale failed after its first write: {exc}") from exc


async def ingest_sale(session: AsyncSession, data: SaleData, zone: ZoneInfo) -> Outcome:
    """Earn the points of one sale for the member it names, once per (store, transaction).

    The member is locked first (with the programme's cached rules) and the points computed in
    memory; then the transaction's key row goes in with its final points, so a duplicate is
    refused before anything is written.
    """
    now = utcnow()
    _check_header(data.transaction_id, data.occurred_at or now, now)
    earn.check_lines(data.lines)
    store = await store_by_code(session, data.store_code, "store_code")
    found = await config.lock_sale_member(
        session, member_key(data.card_number, data.phone, data.qr_value)
    )
    if found is None:
        raise _no_member()
    member, settings = found
    if data.coupon_code is not None:  # a replay is a duplicate, not a used coupon
        await _refuse_taken(session, store.id, data.transaction_id)
    await earn.fill_categories(session, data.lines)
    priced = await _price(session, data, store, member, settings, zone, now)
    row = await _claim(session, priced.values)
    notes = await _apply(session, data, member, settings, priced, zone)
    await session.flush()
    return Outcome(row, member, notes)


def _keys(data: SaleData) -> tuple[str | None, str | None, str | None]:
    """The sale's card number, QR value or phone (normalised), the first one given."""
    if data.card_number is not None:
        return normalize_card_number(data.card_number), None, None
    if data.qr_value is not None:
        return None, data.qr_value, None
    if data.phone is not None:
        return None, None, normalize_phone(data.phone, field="phone")
    raise DomainError.single("REQUIRED", "give a card number, a phone or a QR value")


async def ingest_batch(
    session: AsyncSession, sales: list[SaleData], zone: ZoneInfo
) -> list[Outcome | DomainError]:
    """Ingest many sales in one transaction, each earning as ``ingest_sale`` would, with a
    handful of statements for the whole batch: the stores, the members (locked, in id order),
    the keys already ingested and the lines' categories are read once; the rows are written
    together at the end. A refused sale writes nothing, so no savepoints are needed.

    Raises ``IntegrityError`` when another transaction ingested one of the keys meanwhile
    under another member (the batch is then to be sent again: nothing was written).
    """
    now = utcnow()
    results: list[Outcome | DomainError | None] = [None] * len(sales)
    keys: dict[int, tuple[str | None, str | None, str | None]] = {}
    for i, data in enumerate(sales):
        try:
            _check_header(data.transaction_id, data.occurred_at or now, now)
            earn.check_lines(data.lines)
            keys[i] = _keys(data)
        except DomainError as exc:
            results[i] = exc
    if not keys:
        return [r for r in results if r is not None]
    stores = {
        s.code: s
        for s in await session.scalars(
            select(Store).where(Store.code.in_({sales[i].store_code for i in keys}))
        )
        if s.active
    }
    cards, qrs, phones = ({k[n] for k in keys.values() if k[n]} for n in range(3))
    found = (
        await session.execute(
            select(Member, Program.rules_version)
            .join(Program, Program.id == Member.program_id)
            .where(
                or_(
                    Member.card_number.in_(cards),
                    Member.qr_value.in_(qrs),
                    Member.phone.in_(phones),
                )
            )
            .order_by(Member.id)
            .with_for_update(of=Member)
            .execution_options(populate_existing=True)
        )
    ).all()
    by_key: dict[tuple[int, str], Member] = {}
    versions: dict[uuid.UUID, int] = {}
    for member, version in sorted(found, key=lambda f: f[0].enrolled_at, reverse=True):
        for n, value in enumerate((member.card_number, member.qr_value, member.phone)):
            if value is not None:
                by_key[n, value] = member  # the earliest enrolled last: it wins a phone
        versions[member.program_id] = version
    settings = {pid: await config.program_config(session, pid, v) for pid, v in versions.items()}
    taken = {
        (store_id, txn): row_id
        for store_id, txn, row_id in await session.execute(
            select(PosTransaction.store_id, PosTransaction.transaction_id, PosTransaction.id).where(
                PosTransaction.transaction_id.in_({sales[i].transaction_id for i in keys})
            )
        )
    }
    await earn.fill_categories(session, [line for i in keys for line in sales[i].lines])
    progress = await missions.held_progress(
        session, [m.id for m, _ in found if settings[m.program_id].missions]
    )
    with session.no_autoflush:
        for i, key in keys.items():
            data = sales[i]
            try:
                store = stores.get(data.store_code)
                if store is None:
                    raise DomainError.single(
                        "STORE_NOT_FOUND", f"no active store {data.store_code!r}", "store_code"
                    )
                member = next(
                    (by_key[n, v] for n, v in enumerate(key) if v and (n, v) in by_key), None
                )
                if member is None:
                    raise _no_member()
                first = taken.get((store.id, data.transaction_id))
                if first is not None:
                    raise DuplicateTransaction(first)
                program = settings[member.program_id]
                priced = await _price(session, data, store, member, program, zone, now)
                row = PosTransaction(**priced.values)
                session.add(row)
                taken[store.id, data.transaction_id] = row.id
                notes = await _apply(session, data, member, program, priced, zone, progress)
                results[i] = Outcome(row, member, notes)
            except DomainError as exc:
                results[i] = exc
    await session.flush()
    return [r for r in results if r is not None]


async def ingest_refund(session: AsyncSession, data: RefundData, zone: ZoneInfo) -> Outcome:
    """Take back the points of a refunded share of a sale, in proportion to the amount."""
    now = utcnow()
    occurred_at = data.occurred_at or now
    _check_header(data.transaction_id, occurred_at, now)
    if data.amount <= 0:
        raise DomainError.single("INVALID", "a refund amount is positive", "amount")
    store = await store_by_code(session, data.store_code, "store_code")
    original = await session.scalar(
        select(PosTransaction)
        .where(
            PosTransaction.store_id == store.id,
            PosTransaction.transaction_id == data.original_transaction_id,
            PosTransaction.kind == TransactionKind.SALE,
        )
        .with_for_update()
    )
    if original is None:
        raise DomainError.single(
            "ORIGINAL_NOT_FOUND", "no such sale at this store", "original_transaction_id"
        )
    row = await _claim(
        session,
        {
            "id": uuid7(),
            "store_id": store.id,
            "transaction_id": data.transaction_id,
            "kind": TransactionKind.REFUND,
            "member_id": original.member_id,
            "customer_id": original.customer_id,
            "original_id": original.id,
            "occurred_at": occurred_at,
            "currency": original.currency,
            "amount": data.amount,
            "refunded": Decimal(0),
            "points": 0,
            "reversed_points": 0,
            "explanation": "",
            "lines": [],
            "created_at": now,
        },
    )
    if original.refunded + data.amount > original.amount:
        left = original.amount - original.refunded
        raise DomainError.single(
            "REFUND_EXCEEDS_ORIGINAL",
            f"at most {earn.number(left)} {original.currency} of this sale is left to refund",
            "amount",
        )
    refunded = original.refunded + data.amount
    target = (
        math.floor(Decimal(original.points) * refunded / original.amount) if original.amount else 0
    )
    due = target - original.reversed_points
    original.refunded, original.reversed_points = refunded, target
    member = (
        None
        if original.member_id is None
        else await ledger.lock_member(session, original.member_id)
    )
    if member is not None:
        member.spend -= data.amount
    text = f"refund of {earn.number(data.amount)} {original.currency}"
    if member is None or due <= 0:
        row.explanation = f"{text}: no points to take back"
        await session.flush()
        return Outcome(row, member)
    program = await session.get_one(Program, member.program_id)
    policy = program.negative_balance_policy
    available = max(member.points_balance, 0)
    if due > available and policy is NegativeBalancePolicy.REJECT:
        raise DomainError.single(
            "INSUFFICIENT_POINTS",
            f"the refund takes back {due} points and the member has {available}",
            "amount",
        )
    taken = min(due, available) if policy is NegativeBalancePolicy.FLOOR_AT_ZERO else due
    explanation = f"-{due:,} points: {text} of {earn.number(original.amount)}"
    if taken < due:
        explanation += f" ({due - taken:,} points already spent, not taken back)"
    row.points, row.explanation = -taken, explanation[:1000]
    if taken > 0:
        first_lot = await session.scalar(
            select(PointsLot.id).where(PointsLot.posting_id == original.posting_id)
        )
        posting = await ledger.post(
            session,
            member,
            EntryKind.REVERSE,
            -taken,
            reason="refund",
            source="pos",
            source_ref=f"{store.code}:{data.transaction_id}",
            explanation=explanation,
            zone=zone,
            program=program,
            first_lot=first_lot,
            allow_negative=policy is NegativeBalancePolicy.ALLOW_NEGATIVE,
            now=now,
        )
        row.posting_id = posting.id
    await session.flush()
    return Outcome(row, member)
