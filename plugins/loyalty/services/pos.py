"""POS transactions: a sale earns points once, a refund takes back its share of them.

``(store, transaction id)`` is unique in ``loyalty_pos_transaction``. The row is inserted
first (``INSERT ... ON CONFLICT DO NOTHING``), so of two concurrent copies of a transaction
the second waits for the first to commit, finds the key taken, and earns nothing.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.contacts.services import normalize_phone
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.plugins.loyalty.models import (
    EntryKind,
    Member,
    NegativeBalancePolicy,
    PointsLot,
    PosTransaction,
    Program,
    TransactionKind,
)
from unicrm.plugins.loyalty.services import config, earn, ledger, missions, tiers
from unicrm.plugins.loyalty.services.members import normalize_card_number, store_by_code


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


async def _claim(session: AsyncSession, values: dict) -> PosTransaction:
    """Insert the transaction's key row, or raise ``DuplicateTransaction``."""
    if not await insert_or_skip(session, PosTransaction, values, ("store_id", "transaction_id")):
        existing = await session.scalar(
            select(PosTransaction.id).where(
                PosTransaction.store_id == values["store_id"],
                PosTransaction.transaction_id == values["transaction_id"],
            )
        )
        assert existing is not None
        raise DuplicateTransaction(existing)
    row = PosTransaction(**values)
    make_transient_to_detached(row)  # the row as inserted, without reading it back
    session.add(row)
    return row


def _member_key(data: SaleData) -> ColumnElement[bool]:
    if data.card_number is not None:
        return Member.card_number == normalize_card_number(data.card_number)
    if data.qr_value is not None:
        return Member.qr_value == data.qr_value
    if data.phone is not None:
        return Member.phone == normalize_phone(data.phone, field="phone")
    raise DomainError.single("REQUIRED", "give a card number, a phone or a QR value")


async def ingest_sale(session: AsyncSession, data: SaleData, zone: ZoneInfo) -> Outcome:
    """Earn the points of one sale for the member it names, once per (store, transaction).

    The member is locked first (with the programme's cached rules), the points computed in
    memory, then the transaction's key row goes in with its final points: a duplicate is
    refused there, before the ledger is touched."""
    now = utcnow()
    occurred_at = data.occurred_at or now
    _check_header(data.transaction_id, occurred_at, now)
    earn.check_lines(data.lines)
    store = await store_by_code(session, data.store_code, "store_code")
    found = await config.lock_sale_member(session, _member_key(data))
    if found is None:
        raise DomainError.single(
            "MEMBER_NOT_FOUND", "no member with this card or phone", "card_number"
        )
    member, settings = found
    ledger.check_active(member, "card_number")
    currency = data.currency.upper()
    amount = sum((line.amount for line in data.lines), Decimal(0))
    await earn.fill_categories(session, data.lines)
    day = occurred_at.astimezone(zone).date()
    earned = await earn.compute(session, member, settings, currency, data.lines, occurred_at, day)
    posting_id = uuid7() if earned.points > 0 else None
    row = await _claim(
        session,
        {
            "id": uuid7(),
            "store_id": store.id,
            "transaction_id": data.transaction_id,
            "kind": TransactionKind.SALE,
            "member_id": member.id,
            "customer_id": member.customer_id,
            "original_id": None,
            "occurred_at": occurred_at,
            "currency": currency,
            "amount": amount,
            "refunded": Decimal(0),
            "points": earned.points,
            "posting_id": posting_id,
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
                for line in data.lines
            ],
            "created_at": now,
        },
    )
    await earn.record_usage(session, earned, member.id, day)
    member.spend += amount
    if posting_id is not None:
        await ledger.post(
            session,
            member,
            EntryKind.EARN,
            earned.points,
            reason="purchase",
            source="pos",
            source_ref=f"{store.code}:{data.transaction_id}",
            explanation=earned.explanation,
            zone=zone,
            program=settings.program,
            now=now,
            posting_id=posting_id,
        )
    notes = await tiers.after_earn(session, member, settings)
    notes += await missions.after_sale(session, member, settings, data.lines, occurred_at, day)
    await session.flush()
    return Outcome(row, member, notes)


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
