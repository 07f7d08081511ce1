"""The ledger's invariants and the jobs: expiry by lots, upcoming-expiry notices, the
reconciliation check, tier review."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from plugins.loyalty.support import SALE, enroll, pk, sale_input, setup_program, sums
from unicrm.core.db.types import utcnow
from unicrm.core.events.models import OutboxEvent
from unicrm.plugins.loyalty import jobs
from unicrm.plugins.loyalty.models import LedgerEntry, Member, PointsLot, Reconciliation
from unicrm.plugins.loyalty.services import ledger

BANGKOK = ZoneInfo("Asia/Bangkok")
ADJUST = """mutation($id: ID!, $p: BigInt!) { loyaltyPointsAdjust(input: {memberId: $id, points: $p,
  reason: "test"}) { errors { code } } }"""


def test_points_expire_at_the_end_of_the_twelfth_month_after_earning():
    earned = datetime(2026, 3, 15, 5, 0, tzinfo=UTC)
    assert ledger.expiry_of(earned, 12, BANGKOK) == datetime(2027, 4, 1, tzinfo=BANGKOK)
    late = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)  # 1 January 2027 in Bangkok
    assert ledger.expiry_of(late, 12, BANGKOK) == datetime(2028, 2, 1, tzinfo=BANGKOK)
    assert ledger.expiry_of(earned, None, BANGKOK) is None


@pytest.fixture
async def member(unicrm_state, gql) -> dict:
    await setup_program(unicrm_state)
    return await enroll(gql)


async def age_lots(state, member_id: uuid.UUID, *expiries: datetime) -> None:
    """Give the member's lots, oldest first, these expiry dates."""
    async with state.db.transaction() as session:
        lots = (
            await session.scalars(
                select(PointsLot).where(PointsLot.member_id == member_id).order_by(PointsLot.id)
            )
        ).all()
        for lot, expires_at in zip(lots, expiries, strict=True):
            lot.expires_at = expires_at


async def test_the_expiry_job_expires_what_is_left_of_expired_lots_once(gql, unicrm_state, member):
    member_id = pk(member["id"])
    await gql(SALE, sale_input("T-1", amount="1000"))  # 100 points
    await gql(SALE, sale_input("T-2", amount="500"))  # 50 points
    await gql(ADJUST, {"id": member["id"], "p": "-30"})  # burns from the first lot: 70 left
    now = utcnow()
    await age_lots(unicrm_state, member_id, now - timedelta(days=1), now + timedelta(days=60))

    for _ in range(2):
        async with unicrm_state.db.transaction() as session:
            expired = await jobs.expire_points(session, BANGKOK)
        assert expired in (70, 0)

    assert await sums(unicrm_state, member_id) == (50, 50, 50)
    body = await gql(
        "query($c: String!) { loyaltyMember(cardNumber: $c) { ledger(first: 1) { kind points "
        "balanceAfter } lots { remaining } } }",
        {"c": member["cardNumber"]},
    )
    assert body["data"]["loyaltyMember"] == {
        "ledger": [{"kind": "EXPIRE", "points": "-70", "balanceAfter": "50"}],
        "lots": [{"remaining": "50"}],
    }


async def test_expiry_notices_go_once_per_member_and_date_within_the_notice_period(
    gql, unicrm_state, member
):
    member_id = pk(member["id"])
    await gql(SALE, sale_input("T-1"))
    await gql(SALE, sale_input("T-2"))
    now = utcnow()
    await age_lots(unicrm_state, member_id, now + timedelta(days=10), now + timedelta(days=90))

    async with unicrm_state.db.transaction() as session:
        assert await jobs.send_expiry_notices(session, BANGKOK) == 1
    async with unicrm_state.db.transaction() as session:
        assert await jobs.send_expiry_notices(session, BANGKOK) == 0
        events = (
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "loyalty.points_expiring")
            )
        ).all()
    assert [(e.payload["points"], e.payload["member_id"]) for e in events] == [
        (120, str(member_id))
    ]


async def test_balances_equal_the_sum_of_entries_and_every_posting_balances(
    gql, unicrm_state, member
):
    other = await enroll(gql, phone="0898765432")
    for i in range(5):
        await gql(SALE, sale_input(f"T-{i}", amount=str(300 + 100 * i)))
    await gql(ADJUST, {"id": member["id"], "p": "-45"})
    await gql(SALE, sale_input("O-1", phone="0898765432"))
    await gql(
        """mutation($a: ID!, $b: ID!) { loyaltyPointsTransfer(input: {fromMemberId: $a,
        toMemberId: $b, points: "17", reason: "gift"}) { errors { code } } }""",
        {"a": member["id"], "b": other["id"]},
    )

    async with unicrm_state.db.transaction() as session:
        run = await jobs.reconcile(session)
        total = await session.scalar(select(func.sum(LedgerEntry.points)))
    assert (run.members_checked, run.mismatches) == (2, [])
    assert total == 0
    for m in (member, other):
        balance, entries, lots = await sums(unicrm_state, pk(m["id"]))
        assert balance == entries == lots
    body = await gql("{ loyaltyReconciliations { membersChecked ok } }")
    assert body["data"]["loyaltyReconciliations"] == [{"membersChecked": "2", "ok": True}]


async def test_the_reconciliation_check_reports_a_tampered_balance(gql, unicrm_state, member):
    await gql(SALE, sale_input("T-1"))
    async with unicrm_state.db.transaction() as session:
        await session.execute(update(Member).values(points_balance=999))

    async with unicrm_state.db.transaction() as session:
        run = await jobs.reconcile(session)

    assert run.mismatches == [
        {"member_id": str(pk(member["id"])), "balance": 999, "entries": 120, "lots": 120}
    ]
    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Reconciliation)) == 1


async def test_ledger_entries_cannot_be_changed_through_the_orm(gql, unicrm_state, member):
    await gql(SALE, sale_input("T-1"))

    with pytest.raises(ValueError, match="immutable"):
        async with unicrm_state.db.transaction() as session:
            entry = await session.scalar(select(LedgerEntry).limit(1))
            entry.points = 1_000_000
            await session.flush()


async def test_earning_to_gold_upgrades_at_once_and_shows_progress(gql, unicrm_state, member):
    body = await gql(SALE, sale_input("T-1", amount="9000"))  # 900 points
    progress = await gql(
        "query($c: String!) { loyaltyMember(cardNumber: $c) { tier tierProgress { nextTier { code } "
        "pointsNeeded } } }",
        {"c": member["cardNumber"]},
    )
    assert progress["data"]["loyaltyMember"] == {
        "tier": "silver",
        "tierProgress": {"nextTier": {"code": "gold"}, "pointsNeeded": "100"},
    }
    assert body["data"]["loyaltyPosSale"]["notes"] == []

    body = await gql(SALE, sale_input("T-2", amount="1000"))

    assert body["data"]["loyaltyPosSale"]["notes"] == ["Upgraded from silver to Gold"]
    assert body["data"]["loyaltyPosSale"]["member"]["tier"] == "gold"
    history = await gql(
        "query($c: String!) { loyaltyMember(cardNumber: $c) { tierHistory { fromTier toTier reason } "
        "tierProgress { nextTier { code } pointsNeeded } } }",
        {"c": member["cardNumber"]},
    )
    assert history["data"]["loyaltyMember"] == {
        "tierHistory": [{"fromTier": "silver", "toTier": "gold", "reason": "upgrade"}],
        "tierProgress": {"nextTier": {"code": "platinum"}, "pointsNeeded": "4000"},
    }


async def test_the_review_downgrades_only_after_the_window_and_grace(gql, unicrm_state, member):
    member_id = pk(member["id"])
    await gql(SALE, sale_input("T-1", amount="10000"))  # 1,000 points: Gold
    later = utcnow() + timedelta(days=400)  # the earn has left the 12-month window

    async with unicrm_state.db.transaction() as session:
        await session.execute(update(Member).values(tier_since=utcnow() - timedelta(days=30)))
    async with unicrm_state.db.transaction() as session:
        assert await jobs.review_tiers(session, now=utcnow()) == 0  # still qualifies
    async with unicrm_state.db.transaction() as session:
        moved = await jobs.review_tiers(session, now=later)
        tier = await session.scalar(select(Member.tier).where(Member.id == member_id))
    assert (moved, tier) == (1, "silver")
