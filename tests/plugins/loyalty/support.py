"""Shared set-up of the loyalty tests: a store, a programme with a base rate and tiers,
members enrolled through GraphQL, and the ledger's balance and entry count."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from unicrm.core.graph.ids import from_global_id
from unicrm.core.graph.stores.services import StoreData, create_store
from unicrm.core.state import AppState
from unicrm.plugins.loyalty.models import LedgerEntry, Member, PointsLot
from unicrm.plugins.loyalty.services import earn, members, tiers

MEMBER_FIELDS = "id cardNumber qrValue phone tier pointsBalance status channel"
ENROLL = (
    "mutation($input: LoyaltyEnrollInput!) { loyaltyEnroll(input: $input) { member { "
    + MEMBER_FIELDS
    + " } errors { field code message } } }"
)
SALE = """mutation($input: LoyaltyPosSaleInput!) { loyaltyPosSale(input: $input) {
  transaction { transactionId points explanation amount { amount currency } }
  member { pointsBalance tier } notes errors { field code message } } }"""
REFUND = """mutation($input: LoyaltyPosRefundInput!) { loyaltyPosRefund(input: $input) {
  transaction { transactionId points explanation }
  member { pointsBalance } errors { field code message } } }"""


async def setup_program(
    state: AppState,
    *,
    policy: str = "floor_at_zero",
    expiry_months: int | None = 12,
    store_codes: tuple[str, ...] = ("BKK01",),
) -> None:
    """Stores, programme ``club`` (THB, 1 point per 10 THB) and tiers Silver (open),
    Gold (1,000 points in 12 months, x1.5) and Platinum (5,000, x2)."""
    async with state.db.transaction() as session:
        for code in store_codes:
            await create_store(
                session,
                StoreData(
                    code=code,
                    name=f"Store {code}",
                    line1="1 Sukhumvit",
                    province="Bangkok",
                    postal_code="10110",
                ),
                "Asia/Bangkok",
            )
        await members.create_program(
            session,
            members.ProgramData(
                code="club",
                name="The Club",
                currency="THB",
                expiry_months=expiry_months,
                negative_balance_policy=members.NegativeBalancePolicy(policy),
                member_types=[("general", "General"), ("vip", "VIP")],
            ),
        )
        await earn.set_rate(session, "club", "THB", None, 1, Decimal(10))
        for code, name, rank, points, mult in (
            ("silver", "Silver", 0, None, "1"),
            ("gold", "Gold", 1, 1000, "1.5"),
            ("platinum", "Platinum", 2, 5000, "2"),
        ):
            await tiers.save_tier(
                session,
                tiers.TierData(
                    program_code="club",
                    code=code,
                    name=name,
                    rank=rank,
                    earn_multiplier=Decimal(mult),
                    qualify_points=points,
                    qualify_spend=None,
                    window_months=12,
                    grace_months=0,
                    benefits=None,
                ),
            )


async def enroll(gql: Any, phone: str = "0812345678", **extra: Any) -> dict[str, Any]:
    body = await gql(
        ENROLL,
        {
            "input": {
                "programCode": "club",
                "phone": phone,
                "firstName": "Anan",
                "marketingConsent": True,
                "consentPolicyVersion": "2026-01",
                **extra,
            }
        },
    )
    payload = body["data"]["loyaltyEnroll"]
    assert payload["errors"] == [], payload
    return payload["member"]


def sale_input(txn: str, amount: str = "1200", phone: str = "0812345678", **extra: Any) -> dict:
    return {
        "input": {
            "storeCode": "BKK01",
            "transactionId": txn,
            "currency": "THB",
            "phone": phone,
            "lines": [{"sku": "TEA-1", "quantity": 1, "amount": amount}],
            **extra,
        }
    }


def pk(global_id: str) -> uuid.UUID:
    return from_global_id(global_id)[1]


async def ledger_state(state: AppState, member_id: uuid.UUID) -> tuple[int, int]:
    """The member's balance and how many ledger entries exist in all (member and program)."""
    async with state.db.session() as session:
        balance = await session.scalar(select(Member.points_balance).where(Member.id == member_id))
        entries = await session.scalar(select(func.count()).select_from(LedgerEntry))
    return int(balance), int(entries or 0)


async def sums(state: AppState, member_id: uuid.UUID) -> tuple[int, int, int]:
    """Balance, sum of the member's entries, and points left in the member's lots."""
    async with state.db.session() as session:
        balance = await session.scalar(select(Member.points_balance).where(Member.id == member_id))
        entries = await session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
                LedgerEntry.member_id == member_id
            )
        )
        lots = await session.scalar(
            select(func.coalesce(func.sum(PointsLot.remaining), 0)).where(
                PointsLot.member_id == member_id
            )
        )
    return int(balance), int(entries), int(lots)
