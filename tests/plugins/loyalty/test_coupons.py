"""Coupons: offers, issuance (to members, to a segment, once per key) and use at the POS."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from plugins.loyalty.support import enroll, pk, setup_program
from unicrm.core.db.types import utcnow
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.segments.models import Segment, SegmentKind, SegmentMember
from unicrm.plugins.loyalty.models import Coupon, Member
from unicrm.plugins.loyalty.services import coupons

OFFER = """mutation($input: LoyaltyCouponOfferCreateInput!) { loyaltyCouponOfferCreate(
  input: $input) { offer { code kind value } errors { field code } } }"""
ISSUE = """mutation($input: LoyaltyCouponIssueInput!) { loyaltyCouponIssue(input: $input) {
  coupons { code expiresAt offer { code } } errors { field code } } }"""
USE = """mutation($input: LoyaltyCouponUseInput!) { loyaltyCouponUse(input: $input) {
  coupon { usedAt } explanation errors { field code message } } }"""


@pytest.fixture
async def member(unicrm_state, gql) -> dict:
    await setup_program(unicrm_state)
    body = await gql(
        OFFER,
        {
            "input": {
                "programCode": "club",
                "code": "FREEDEL",
                "name": "Free delivery",
                "kind": "FREE_DELIVERY",
                "minSpend": "300",
                "validDays": 30,
            }
        },
    )
    assert body["data"]["loyaltyCouponOfferCreate"]["errors"] == []
    return await enroll(gql)


async def issue(gql, member_ids: list[str], key: str = "welcome", **extra) -> list[dict]:
    body = await gql(
        ISSUE,
        {
            "input": {
                "programCode": "club",
                "offerCode": "FREEDEL",
                "issueKey": key,
                "memberIds": member_ids,
                **extra,
            }
        },
    )
    payload = body["data"]["loyaltyCouponIssue"]
    assert payload["errors"] == [], payload
    return payload["coupons"]


def use_input(code: str, member_id: str | None = None, spend: str = "500", txn: str = "T-1"):
    data = {"code": code, "storeCode": "BKK01", "transactionId": txn, "spend": spend}
    if member_id is not None:
        data["memberId"] = member_id
    return {"input": data}


async def test_a_coupon_is_issued_once_per_key_and_used_once(gql, unicrm_state, member):
    [coupon] = await issue(gql, [member["id"]])
    assert await issue(gql, [member["id"]]) == []  # the same key: nothing new
    assert len(coupon["code"]) == 10 and coupon["offer"] == {"code": "FREEDEL"}

    body = await gql(USE, use_input(coupon["code"].lower(), member["id"]))

    payload = body["data"]["loyaltyCouponUse"]
    assert payload["errors"] == [] and payload["coupon"]["usedAt"]
    assert payload["explanation"] == f"Coupon {coupon['code']}: free delivery (Free delivery)"
    again = await gql(USE, use_input(coupon["code"], member["id"], txn="T-2"))
    assert again["data"]["loyaltyCouponUse"]["errors"][0]["code"] == "COUPON_USED"


async def test_coupon_failures_are_typed_and_leave_the_coupon_unused(gql, unicrm_state, member):
    other = await enroll(gql, phone="0898765432")
    [coupon] = await issue(gql, [member["id"]])
    [expired] = await issue(gql, [member["id"]], key="old")
    async with unicrm_state.db.transaction() as session:
        await session.execute(
            update(Coupon)
            .where(Coupon.code == expired["code"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )

    cases = [
        (use_input("NOPE000000", member["id"]), "COUPON_NOT_FOUND"),
        (use_input(coupon["code"], other["id"]), "COUPON_OF_ANOTHER_MEMBER"),
        (use_input(expired["code"], member["id"]), "COUPON_EXPIRED"),
        (use_input(coupon["code"], member["id"], spend="299"), "CONDITIONS_NOT_MET"),
    ]
    for data, code in cases:
        body = await gql(USE, data)
        assert body["data"]["loyaltyCouponUse"]["errors"][0]["code"] == code
    async with unicrm_state.db.session() as session:
        used = await session.scalar(
            select(func.count()).select_from(Coupon).where(Coupon.used_at.is_not(None))
        )
    assert used == 0


async def test_two_tills_using_one_coupon_at_once_use_it_once(gql, unicrm_state, member):
    [coupon] = await issue(gql, [member["id"]])

    bodies = await asyncio.gather(
        *[gql(USE, use_input(coupon["code"], member["id"], txn=f"T-{i}")) for i in range(5)]
    )

    codes = sorted(
        (b["data"]["loyaltyCouponUse"]["errors"] or [{"code": "OK"}])[0]["code"] for b in bodies
    )
    assert codes == ["COUPON_USED"] * 4 + ["OK"]


async def test_an_offer_goes_to_every_member_of_a_segment(gql, unicrm_state, member):
    other = await enroll(gql, phone="0898765432")
    await enroll(gql, phone="0861111111")
    async with unicrm_state.db.transaction() as session:
        segment = Segment(name="VIPs", kind=SegmentKind.STATIC, definition=None)
        session.add(segment)
        await session.flush()
        for m in (member, other):
            customer = await session.scalar(
                select(Member.customer_id).where(Member.id == pk(m["id"]))
            )
            session.add(SegmentMember(segment_id=segment.id, customer_id=customer))

    coupons = await issue(gql, [], key="vip-2026", segmentId=to_global_id("Segment", segment.id))

    assert len(coupons) == 2
    assert len({c["code"] for c in coupons}) == 2


async def test_bad_offers_and_issues_are_refused(gql, unicrm_state, member):
    body = await gql(
        OFFER,
        {
            "input": {
                "programCode": "club",
                "code": "X",
                "name": "X",
                "kind": "PERCENT",
                "value": "150",
            }
        },
    )
    assert body["data"]["loyaltyCouponOfferCreate"]["errors"] == [
        {"field": "value", "code": "INVALID"}
    ]
    body = await gql(
        OFFER, {"input": {"programCode": "club", "code": "Y", "name": "Y", "kind": "FREE_ITEM"}}
    )
    assert body["data"]["loyaltyCouponOfferCreate"]["errors"] == [
        {"field": "sku", "code": "REQUIRED"}
    ]
    body = await gql(
        ISSUE,
        {
            "input": {
                "programCode": "club",
                "offerCode": "NOPE",
                "issueKey": "k",
                "memberIds": [member["id"]],
            }
        },
    )
    assert body["data"]["loyaltyCouponIssue"]["errors"] == [
        {"field": "offerCode", "code": "OFFER_NOT_FOUND"}
    ]


async def born(state, member: dict, birth: date) -> None:
    async with state.db.transaction() as session:
        customer = await session.scalar(
            select(Member.customer_id).where(Member.id == pk(member["id"]))
        )
        await session.execute(
            update(Customer).where(Customer.id == customer).values(birth_date=birth)
        )


async def birthday_offer(gql, code: str, mode: str) -> None:
    body = await gql(
        OFFER,
        {
            "input": {
                "programCode": "club",
                "code": code,
                "name": "Happy birthday",
                "kind": "AMOUNT",
                "value": "100",
                "birthday": mode,
                "validDays": 31,
            }
        },
    )
    assert body["data"]["loyaltyCouponOfferCreate"]["errors"] == []


async def birthday_run(state, today: date) -> int:
    async with state.db.transaction() as session:
        return await coupons.issue_birthday_coupons(session, today)


async def test_birthday_coupons_come_on_the_day_once_a_year(gql, unicrm_state, member):
    other = await enroll(gql, phone="0898765432")
    await born(unicrm_state, member, date(1990, 5, 17))
    await born(unicrm_state, other, date(1985, 6, 1))
    await birthday_offer(gql, "BDAY", "DAY")

    assert await birthday_run(unicrm_state, date(2026, 5, 16)) == 0
    assert await birthday_run(unicrm_state, date(2026, 5, 17)) == 1
    assert await birthday_run(unicrm_state, date(2026, 5, 17)) == 0  # a re-run issues nothing
    assert await birthday_run(unicrm_state, date(2027, 5, 17)) == 1  # next year, again


async def test_leap_day_birthdays_are_celebrated_on_the_28th_in_other_years(
    gql, unicrm_state, member
):
    await born(unicrm_state, member, date(2000, 2, 29))
    await birthday_offer(gql, "BDAY", "DAY")

    assert await birthday_run(unicrm_state, date(2027, 2, 28)) == 1
    assert await birthday_run(unicrm_state, date(2028, 2, 28)) == 0  # 2028 has a 29th
    assert await birthday_run(unicrm_state, date(2028, 2, 29)) == 1


async def test_birth_month_coupons_come_once_in_the_month(gql, unicrm_state, member):
    await born(unicrm_state, member, date(1990, 5, 17))
    await birthday_offer(gql, "BMONTH", "MONTH")

    assert await birthday_run(unicrm_state, date(2026, 5, 1)) == 1
    assert await birthday_run(unicrm_state, date(2026, 5, 2)) == 0
    assert await birthday_run(unicrm_state, date(2026, 6, 1)) == 0
