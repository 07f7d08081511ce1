"""Rewards and redemption (atomic on balance and stock), manual adjustments and transfers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from plugins.loyalty.support import SALE, enroll, ledger_state, pk, sale_input, setup_program, sums
from unicrm.core.audit.models import AuditEntry
from unicrm.core.db.types import utcnow
from unicrm.core.graph.ids import to_global_id
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as

REWARD = """mutation($input: LoyaltyRewardCreateInput!) { loyaltyRewardCreate(input: $input) {
  reward { id code pointsPrice stock } errors { field code } } }"""
REDEEM = """mutation($m: ID!, $r: ID!) { loyaltyRedeem(input: {memberId: $m, rewardId: $r}) {
  redemption { voucher points reward { code } } member { pointsBalance }
  errors { field code message } } }"""
ADJUST = """mutation($input: LoyaltyPointsAdjustInput!) { loyaltyPointsAdjust(input: $input) {
  member { pointsBalance } errors { field code } } }"""


async def reward(gql, code: str = "COFFEE", price: int = 100, **extra) -> str:
    body = await gql(
        REWARD,
        {
            "input": {
                "programCode": "club",
                "code": code,
                "name": code.title(),
                "pointsPrice": str(price),
                **extra,
            }
        },
    )
    payload = body["data"]["loyaltyRewardCreate"]
    assert payload["errors"] == [], payload
    return payload["reward"]["id"]


async def give(gql, member_id: str, points: int) -> None:
    body = await gql(
        ADJUST, {"input": {"memberId": member_id, "points": str(points), "reason": "welcome gift"}}
    )
    assert body["data"]["loyaltyPointsAdjust"]["errors"] == []


@pytest.fixture
async def member(unicrm_state, gql) -> dict:
    await setup_program(unicrm_state)
    return await enroll(gql)


async def test_redeeming_burns_points_oldest_lot_first_and_gives_a_voucher(
    gql, unicrm_state, member
):
    await gql(SALE, sale_input("T-1", amount="600"))  # 60 points
    await gql(SALE, sale_input("T-2", amount="900"))  # 90 points
    coffee = await reward(gql, price=100, stock="5")

    body = await gql(REDEEM, {"m": member["id"], "r": coffee})

    payload = body["data"]["loyaltyRedeem"]
    assert payload["errors"] == []
    assert payload["member"]["pointsBalance"] == "50"
    assert payload["redemption"]["reward"]["code"] == "COFFEE"
    assert len(payload["redemption"]["voucher"]) == 16
    lots = await gql(
        "query($c: String!) { loyaltyMember(cardNumber: $c) { lots { points remaining } "
        "ledger(first: 5) { kind points balanceAfter explanation } } }",
        {"c": member["cardNumber"]},
    )
    found = lots["data"]["loyaltyMember"]
    assert found["lots"] == [{"points": "90", "remaining": "50"}]
    assert found["ledger"][0] == {
        "kind": "BURN",
        "points": "-100",
        "balanceAfter": "50",
        "explanation": "-100 points: Coffee",
    }
    assert await sums(unicrm_state, pk(member["id"])) == (50, 50, 50)


async def test_redemption_failures_are_typed_and_leave_ledger_and_stock_unchanged(
    gql, unicrm_state, member
):
    await give(gql, member["id"], 150)
    pricey = await reward(gql, "BAG", price=1000)
    gone = await reward(gql, "MUG", price=10, stock="0")
    once = await reward(gql, "CAKE", price=10, perMemberLimit=1)
    gold = await reward(gql, "LOUNGE", price=10, tiers=["gold"])
    later = await reward(
        gql, "XMAS", price=10, validFrom=(utcnow() + timedelta(days=9)).isoformat()
    )
    assert (await gql(REDEEM, {"m": member["id"], "r": once}))["data"]["loyaltyRedeem"][
        "errors"
    ] == []
    before = await ledger_state(unicrm_state, pk(member["id"]))

    cases = [
        (member["id"], pricey, "INSUFFICIENT_POINTS"),
        (member["id"], gone, "OUT_OF_STOCK"),
        (member["id"], once, "LIMIT_REACHED"),
        (member["id"], gold, "TIER_RESTRICTED"),
        (member["id"], later, "REWARD_UNAVAILABLE"),
        (to_global_id("LoyaltyMember", pk(gone)), pricey, "MEMBER_NOT_FOUND"),
        (member["id"], to_global_id("LoyaltyReward", pk(member["id"])), "REWARD_NOT_FOUND"),
        (member["id"], member["id"], "INVALID_ID"),
    ]
    for member_id, reward_id, code in cases:
        body = await gql(REDEEM, {"m": member_id, "r": reward_id})
        assert [e["code"] for e in body["data"]["loyaltyRedeem"]["errors"]] == [code]
    assert await ledger_state(unicrm_state, pk(member["id"])) == before
    stock = await gql("{ loyaltyPrograms { rewards { code stock } } }")
    assert {"code": "MUG", "stock": "0"} in stock["data"]["loyaltyPrograms"][0]["rewards"]


async def test_a_closed_member_cannot_redeem(gql, unicrm_state, member):
    await give(gql, member["id"], 150)
    coffee = await reward(gql)
    await gql(
        """mutation($id: ID!) { loyaltyMemberSetStatus(input: {memberId: $id, status: CLOSED,
        reason: "asked to leave"}) { errors { code } } }""",
        {"id": member["id"]},
    )
    before = await ledger_state(unicrm_state, pk(member["id"]))

    body = await gql(REDEEM, {"m": member["id"], "r": coffee})

    assert body["data"]["loyaltyRedeem"]["errors"][0]["code"] == "MEMBER_INACTIVE"
    assert await ledger_state(unicrm_state, pk(member["id"])) == before


async def test_fifty_concurrent_redemptions_against_ten_rewards_worth_of_points(
    gql, unicrm_state, member, unicrm_backend
):
    if unicrm_backend != "postgres":
        pytest.skip("row locks under real concurrency: PostgreSQL")
    await give(gql, member["id"], 1000)
    coffee = await reward(gql, price=100)

    bodies = await asyncio.gather(
        *[gql(REDEEM, {"m": member["id"], "r": coffee}) for _ in range(50)]
    )

    payloads = [b["data"]["loyaltyRedeem"] for b in bodies]
    assert sum(1 for p in payloads if not p["errors"]) == 10
    assert {p["errors"][0]["code"] for p in payloads if p["errors"]} == {"INSUFFICIENT_POINTS"}
    assert await sums(unicrm_state, pk(member["id"])) == (0, 0, 0)


async def test_concurrent_redemptions_never_oversell_the_stock(gql, unicrm_state, unicrm_backend):
    if unicrm_backend != "postgres":
        pytest.skip("row locks under real concurrency: PostgreSQL")
    await setup_program(unicrm_state)
    members = [await enroll(gql, phone=f"08123456{i:02d}") for i in range(12)]
    for m in members:
        await give(gql, m["id"], 100)
    mug = await reward(gql, "MUG", price=100, stock="5")

    bodies = await asyncio.gather(*[gql(REDEEM, {"m": m["id"], "r": mug}) for m in members])

    codes = sorted(
        b["data"]["loyaltyRedeem"]["errors"][0]["code"]
        if b["data"]["loyaltyRedeem"]["errors"]
        else "OK"
        for b in bodies
    )
    assert codes == ["OK"] * 5 + ["OUT_OF_STOCK"] * 7
    stock = await gql("{ loyaltyPrograms { rewards { stock } } }")
    assert stock["data"]["loyaltyPrograms"][0]["rewards"] == [{"stock": "0"}]


async def test_adjustments_need_a_reason_and_are_audited(gql, unicrm_state, member):
    before = await ledger_state(unicrm_state, pk(member["id"]))
    for points, reason, code in (
        ("10", "  ", "REQUIRED"),
        ("0", "x", "INVALID_POINTS"),
        ("-1", "oops", "INSUFFICIENT_POINTS"),
    ):
        body = await gql(
            ADJUST, {"input": {"memberId": member["id"], "points": points, "reason": reason}}
        )
        assert body["data"]["loyaltyPointsAdjust"]["errors"][0]["code"] == code
    assert await ledger_state(unicrm_state, pk(member["id"])) == before

    await give(gql, member["id"], 250)

    async with unicrm_state.db.session() as session:
        entries = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "loyalty.points_adjusted")
            )
        ).all()
    assert [(e.details["points"], e.details["reason"]) for e in entries] == [(250, "welcome gift")]
    assert entries[0].targets == [member["id"]]


async def test_adjustments_need_the_adjust_permission(unicrm_state, gql, member):
    token = await sign_in_as(unicrm_state, "staff@unicrm.test", "store_staff")
    async with client_for(unicrm_state, token) as staff:
        response = await staff.post(
            "/graphql",
            json={
                "query": ADJUST,
                "variables": {"input": {"memberId": member["id"], "points": "5", "reason": "x"}},
            },
        )
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await sums(unicrm_state, pk(member["id"])))[0] == 0


TRANSFER = """mutation($input: LoyaltyPointsTransferInput!) { loyaltyPointsTransfer(input: $input) {
  member { pointsBalance } errors { field code } } }"""


async def test_transfers_move_points_with_their_expiry_and_balance_both_ways(
    gql, unicrm_state, member
):
    other = await enroll(gql, phone="0898765432")
    await give(gql, member["id"], 300)

    body = await gql(
        TRANSFER,
        {
            "input": {
                "fromMemberId": member["id"],
                "toMemberId": other["id"],
                "points": "120",
                "reason": "family pooling",
            }
        },
    )

    assert body["data"]["loyaltyPointsTransfer"] == {
        "member": {"pointsBalance": "180"},
        "errors": [],
    }
    assert await sums(unicrm_state, pk(member["id"])) == (180, 180, 180)
    assert await sums(unicrm_state, pk(other["id"])) == (120, 120, 120)
    before = await ledger_state(unicrm_state, pk(member["id"]))
    too_much = await gql(
        TRANSFER,
        {
            "input": {
                "fromMemberId": member["id"],
                "toMemberId": other["id"],
                "points": "181",
                "reason": "x",
            }
        },
    )
    assert too_much["data"]["loyaltyPointsTransfer"]["errors"][0]["code"] == "INSUFFICIENT_POINTS"
    to_self = await gql(
        TRANSFER,
        {
            "input": {
                "fromMemberId": member["id"],
                "toMemberId": member["id"],
                "points": "1",
                "reason": "x",
            }
        },
    )
    assert to_self["data"]["loyaltyPointsTransfer"]["errors"][0]["code"] == "INVALID"
    assert await ledger_state(unicrm_state, pk(member["id"])) == before


async def test_bad_rewards_are_refused(gql, unicrm_state, member):
    body = await gql(
        REWARD,
        {
            "input": {
                "programCode": "club",
                "code": "",
                "name": "",
                "pointsPrice": "0",
                "stock": "-1",
            }
        },
    )
    assert {e["field"] for e in body["data"]["loyaltyRewardCreate"]["errors"]} == {
        "code",
        "name",
        "pointsPrice",
        "stock",
    }
    await reward(gql)
    again = await gql(
        REWARD,
        {"input": {"programCode": "club", "code": "COFFEE", "name": "x", "pointsPrice": "1"}},
    )
    assert again["data"]["loyaltyRewardCreate"]["errors"] == [
        {"field": "code", "code": "DUPLICATE"}
    ]
