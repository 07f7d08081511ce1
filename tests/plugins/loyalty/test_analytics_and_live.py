"""Programme analytics over a period, and the live balance of a member."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
from core.segments.helpers import cond, preview
from subscriptions.support import live, ws_client

from plugins.loyalty.support import SALE, enroll, sale_input, setup_program
from plugins.support import add_customers
from unicrm.core.app import create_app
from unicrm.core.db.types import utcnow
from unicrm.core.testing.pytest_plugin import sign_in_as
from unicrm.core.testing.servers import serve

ANALYTICS = """query($since: DateTime!, $until: DateTime!) {
  loyaltyAnalytics(programCode: "club", since: $since, until: $until) {
    members activeMembers pointsLiability redemptionRate
    enrolments { channel storeCode members }
    flows { earned burned expired adjusted reversed transferred }
    tierDistribution { tier members } tierMoves { fromTier toTier members } } }"""


async def test_analytics_sum_up_members_points_and_tiers_of_a_period(gql, unicrm_state):
    await setup_program(unicrm_state)
    member = await enroll(gql, channel="POS", storeCode="BKK01")
    await enroll(gql, phone="0898765432")
    await gql(SALE, sale_input("T-1", amount="10000"))  # 1,000 points: Gold
    await gql(
        """mutation { loyaltyRewardCreate(input: {programCode: "club", code: "C",
        name: "Coffee", pointsPrice: "300"}) { reward { id } } }"""
    )
    rewards = await gql("{ loyaltyPrograms { rewards { id } } }")
    await gql(
        """mutation($m: ID!, $r: ID!) { loyaltyRedeem(input: {memberId: $m, rewardId: $r}) {
        errors { code } } }""",
        {"m": member["id"], "r": rewards["data"]["loyaltyPrograms"][0]["rewards"][0]["id"]},
    )
    now = utcnow()

    body = await gql(
        ANALYTICS,
        {
            "since": (now - timedelta(days=1)).isoformat(),
            "until": (now + timedelta(days=1)).isoformat(),
        },
    )

    assert body["data"]["loyaltyAnalytics"] == {
        "members": "2",
        "activeMembers": "1",
        "pointsLiability": "700",
        "redemptionRate": 1.0,
        "enrolments": [
            {"channel": "POS", "storeCode": "BKK01", "members": "1"},
            {"channel": "SELF", "storeCode": None, "members": "1"},
        ],
        "flows": {
            "earned": "1000",
            "burned": "-300",
            "expired": "0",
            "adjusted": "0",
            "reversed": "0",
            "transferred": "0",
        },
        "tierDistribution": [{"tier": "gold", "members": "1"}, {"tier": "silver", "members": "1"}],
        "tierMoves": [{"fromTier": "silver", "toTier": "gold", "members": "1"}],
    }
    bad = await gql(ANALYTICS, {"since": now.isoformat(), "until": now.isoformat()})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest_asyncio.fixture(loop_scope="session")
async def server(unicrm_state) -> AsyncIterator[str]:
    async with serve(create_app(state=unicrm_state), scheme="ws") as base:
        yield base


POINTS = """subscription($id: ID!) { loyaltyMemberPointsChanged(memberId: $id) {
  pointsBalance } }"""


async def test_a_member_s_balance_is_sent_live_after_each_change(server, gql, unicrm_state):
    await setup_program(unicrm_state)
    member = await enroll(gql)
    other = await enroll(gql, phone="0898765432")
    token = await sign_in_as(unicrm_state, "watcher@unicrm.test", "loyalty_officer")
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", POINTS, {"id": member["id"]})
        await live(unicrm_state, 1)
        await gql(SALE, sale_input("O-1", phone="0898765432"))
        await gql(SALE, sale_input("T-1"))
        first = await ws.receive()

    assert other["id"] != member["id"]
    assert first["payload"]["data"]["loyaltyMemberPointsChanged"] == {"pointsBalance": "120"}


async def test_segments_filter_on_tier_points_and_membership(gql, unicrm_state):
    await setup_program(unicrm_state)
    await enroll(gql)
    await enroll(gql, phone="0898765432")
    await gql(SALE, sale_input("T-1", amount="10000"))  # Anan: 1,000 points, Gold
    await add_customers(unicrm_state, "Nobody")

    gold = await preview(gql, cond("loyalty.tier", "EQ", "gold"))
    rich = await preview(gql, cond("loyalty.points_balance", "GTE", 500))
    outsiders = await preview(gql, cond("loyalty.tier", "IS_NOT_SET"))

    assert (gold["count"], rich["count"]) == (1, 1)
    assert [c["displayName"] for c in outsiders["sample"]] == ["Nobody"]
