"""Missions: progress from POS sales (SKU, category, modifier; purchases, items, visits on
distinct days), the reward claimed once on completion."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from plugins.loyalty.support import SALE, enroll, ledger_state, pk, sale_input, setup_program
from unicrm.core.db.types import utcnow

OFFER = """mutation { loyaltyCouponOfferCreate(input: {programCode: "club", code: "FREEDEL",
  name: "Free delivery", kind: FREE_DELIVERY}) { errors { code } } }"""
MISSION = """mutation($input: LoyaltyMissionCreateInput!) { loyaltyMissionCreate(input: $input) {
  mission { code target } errors { field code } } }"""
CLAIM = """mutation($m: ID!, $c: String!) { loyaltyMissionClaim(input: {memberId: $m,
  missionCode: $c}) { coupon { code offer { code } } errors { field code } } }"""
PROGRESS = """query($card: String!) { loyaltyMember(cardNumber: $card) {
  missions { mission { code } progress completedAt claimed } coupons { code } } }"""


@pytest.fixture
async def member(unicrm_state, gql) -> dict:
    await setup_program(unicrm_state)
    assert (await gql(OFFER))["data"]["loyaltyCouponOfferCreate"]["errors"] == []
    return await enroll(gql)


async def mission(gql, **fields) -> None:
    body = await gql(MISSION, {"input": {"programCode": "club", "offerCode": "FREEDEL", **fields}})
    assert body["data"]["loyaltyMissionCreate"]["errors"] == [], body


def plates(txn: str, quantity: int, modifiers: list[str], **extra) -> dict:
    line = {
        "sku": "KHAOMANGAI",
        "quantity": quantity,
        "amount": str(60 * quantity),
        "category": "food/rice",
        "modifiers": modifiers,
    }
    return sale_input(txn, lines=[line], **extra)


async def test_ten_plates_without_pork_skin_complete_a_mission_claimed_once(
    gql, unicrm_state, member
):
    await mission(
        gql,
        code="NOSKIN10",
        name="10 plates without pork skin",
        kind="ITEMS",
        target=10,
        sku="KHAOMANGAI",
        modifier="no pork skin",
    )
    await gql(SALE, plates("T-1", 4, ["no pork skin"]))
    await gql(SALE, plates("T-2", 5, []))  # with pork skin: does not count
    early = await gql(CLAIM, {"m": member["id"], "c": "NOSKIN10"})
    assert early["data"]["loyaltyMissionClaim"]["errors"] == [
        {"field": "missionCode", "code": "MISSION_NOT_COMPLETE"}
    ]

    done = await gql(SALE, plates("T-3", 6, ["no pork skin", "extra rice"]))

    assert done["data"]["loyaltyPosSale"]["notes"] == [
        "Mission complete: 10 plates without pork skin"
    ]
    claimed = await gql(CLAIM, {"m": member["id"], "c": "NOSKIN10"})
    assert claimed["data"]["loyaltyMissionClaim"]["coupon"]["offer"] == {"code": "FREEDEL"}
    before = await ledger_state(unicrm_state, pk(member["id"]))
    twice = await gql(CLAIM, {"m": member["id"], "c": "NOSKIN10"})
    assert twice["data"]["loyaltyMissionClaim"]["errors"] == [
        {"field": "missionCode", "code": "MISSION_REWARD_CLAIMED"}
    ]
    assert await ledger_state(unicrm_state, pk(member["id"])) == before
    progress = await gql(PROGRESS, {"card": member["cardNumber"]})
    found = progress["data"]["loyaltyMember"]
    assert found["missions"][0]["progress"] == 10 and found["missions"][0]["claimed"] is True
    assert len(found["coupons"]) == 1


async def test_visits_count_distinct_days_and_purchases_count_sales(gql, unicrm_state, member):
    await mission(gql, code="VISIT2", name="Visit twice", kind="VISITS", target=2)
    await mission(gql, code="BUY3", name="Three purchases", kind="PURCHASES", target=3)
    now = utcnow()
    morning = (now.astimezone(ZoneInfo("Asia/Bangkok")) - timedelta(days=3)).replace(hour=9)
    for i, when in enumerate((morning, morning + timedelta(hours=2), now)):
        await gql(SALE, sale_input(f"T-{i}", occurredAt=when.isoformat()))

    progress = await gql(PROGRESS, {"card": member["cardNumber"]})

    by_code = {m["mission"]["code"]: m for m in progress["data"]["loyaltyMember"]["missions"]}
    assert by_code["BUY3"]["progress"] == 3 and by_code["BUY3"]["completedAt"]
    assert by_code["VISIT2"]["progress"] == 2  # two sales on one day are one visit


async def test_a_replayed_sale_does_not_move_a_mission(gql, unicrm_state, member):
    await mission(gql, code="BUY3", name="Three purchases", kind="PURCHASES", target=3)
    for _ in range(3):
        await gql(SALE, sale_input("T-1"))

    progress = await gql(PROGRESS, {"card": member["cardNumber"]})

    assert progress["data"]["loyaltyMember"]["missions"][0]["progress"] == 1


async def test_bad_missions_and_claims_are_refused(gql, unicrm_state, member):
    body = await gql(
        MISSION,
        {
            "input": {
                "programCode": "club",
                "offerCode": "NOPE",
                "code": "X",
                "name": "X",
                "kind": "VISITS",
                "target": 1,
            }
        },
    )
    assert body["data"]["loyaltyMissionCreate"]["errors"][0]["code"] == "OFFER_NOT_FOUND"
    body = await gql(
        MISSION,
        {
            "input": {
                "programCode": "club",
                "offerCode": "FREEDEL",
                "code": "X",
                "name": "X",
                "kind": "VISITS",
                "target": 0,
            }
        },
    )
    assert body["data"]["loyaltyMissionCreate"]["errors"] == [
        {"field": "target", "code": "INVALID"}
    ]
    body = await gql(CLAIM, {"m": member["id"], "c": "NOPE"})
    assert body["data"]["loyaltyMissionClaim"]["errors"][0]["code"] == "MISSION_NOT_FOUND"
