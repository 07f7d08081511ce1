"""Check-ins: a member shows their card at a store; its staff see it live, and it is a visit
for missions without line conditions; bad check-ins are typed errors and write nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import func, select
from subscriptions.support import live, ws_client

from plugins.loyalty.support import enroll, pk, setup_program
from plugins.loyalty.test_missions import PROGRESS, mission
from plugins.loyalty.test_pos_coupons import offer
from plugins.loyalty.test_privacy_and_migration import customer_of
from unicrm.core.app import create_app
from unicrm.core.testing.pytest_plugin import sign_in_as
from unicrm.core.testing.servers import serve
from unicrm.plugins.loyalty.models import CheckIn


@pytest_asyncio.fixture(loop_scope="session")
async def server(unicrm_state) -> AsyncIterator[str]:
    async with serve(create_app(state=unicrm_state), scheme="ws") as base:
        yield base


CHECK_IN = """mutation($input: LoyaltyCheckInInput!) { loyaltyCheckIn(input: $input) {
  member { cardNumber } checkedInAt notes errors { field code } } }"""
CHECKED_IN = """subscription($store: String!) { loyaltyMemberCheckedIn(storeCode: $store) {
  id tier } }"""


async def check_in(gql, store: str = "BKK01", **key) -> dict:
    body = await gql(CHECK_IN, {"input": {"storeCode": store, **(key or {"phone": "0812345678"})}})
    return body["data"]["loyaltyCheckIn"]


async def check_ins(state) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(CheckIn)))


async def test_check_ins_are_visits_once_a_day_for_missions_without_line_conditions(
    gql, unicrm_state
):
    await setup_program(unicrm_state)
    member = await enroll(gql)
    await offer(gql, "FREEDEL", "FREE_DELIVERY", validDays=30)
    await mission(gql, code="VISIT2", name="Visit twice", kind="VISITS", target=2)
    await mission(gql, code="TEA2", name="Tea twice", kind="VISITS", target=2, sku="TEA-1")

    first = await check_in(gql)
    again = await check_in(gql, cardNumber=member["cardNumber"])

    assert first["errors"] == [] and again["errors"] == []
    assert first["member"]["cardNumber"] == member["cardNumber"]
    assert await check_ins(unicrm_state) == 2
    body = await gql(PROGRESS, {"card": member["cardNumber"]})
    progress = {
        m["mission"]["code"]: m["progress"] for m in body["data"]["loyaltyMember"]["missions"]
    }
    assert progress == {"TEA2": 0, "VISIT2": 1}  # one visit a day; line conditions need a sale


async def test_bad_check_ins_are_typed_errors_and_write_nothing(gql, unicrm_state):
    await setup_program(unicrm_state)
    await enroll(gql)

    assert [e["code"] for e in (await check_in(gql, phone="0899999999"))["errors"]] == [
        "MEMBER_NOT_FOUND"
    ]
    assert [e["code"] for e in (await check_in(gql, store="NOPE"))["errors"]] == ["STORE_NOT_FOUND"]
    assert await check_ins(unicrm_state) == 0


async def test_staff_see_check_ins_at_their_store_live(server, gql, unicrm_state):
    await setup_program(unicrm_state, store_codes=("BKK01", "CNX01"))
    member = await enroll(gql)
    token = await sign_in_as(unicrm_state, "watcher@unicrm.test", "loyalty_officer")
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", CHECKED_IN, {"store": "BKK01"})
        await live(unicrm_state, 1)
        await check_in(gql, store="CNX01")
        await check_in(gql, store="BKK01")
        first = await ws.receive()

    assert first["payload"]["data"]["loyaltyMemberCheckedIn"] == {
        "id": member["id"],
        "tier": "silver",
    }


async def test_check_ins_are_exported_and_erased_with_the_membership(gql, unicrm_state):
    await setup_program(unicrm_state)
    member = await enroll(gql)
    await check_in(gql)
    customer = await customer_of(unicrm_state, pk(member["id"]))
    async with unicrm_state.db.session() as session:
        exported = await unicrm_state.manager.acall(
            "customer_export", only=["loyalty"], customer_id=customer, session=session
        )
    [sections] = [part for part in exported if "loyalty_members" in part]
    assert [c["member_id"] for c in sections["loyalty_check_ins"]] == [str(pk(member["id"]))]

    async with unicrm_state.db.transaction() as session:
        await unicrm_state.manager.acall(
            "customer_erase", only=["loyalty"], customer_id=customer, session=session
        )

    assert await check_ins(unicrm_state) == 0
