"""A coupon presented with a POS sale: its value comes off the sale, points earn on the net,
the coupon is used once; a coupon that cannot be used refuses the sale and writes nothing."""

from __future__ import annotations

import pytest

from plugins.loyalty.support import SALE, enroll, ledger_state, pk, sale_input, setup_program
from plugins.loyalty.test_coupons import OFFER, issue


async def offer(gql, code: str, kind: str, **extra) -> None:
    body = await gql(
        OFFER,
        {"input": {"programCode": "club", "code": code, "name": code, "kind": kind, **extra}},
    )
    assert body["data"]["loyaltyCouponOfferCreate"]["errors"] == []


@pytest.fixture
async def member(unicrm_state, gql) -> dict:
    await setup_program(unicrm_state)
    await offer(gql, "FREEDEL", "FREE_DELIVERY", minSpend="300", validDays=30)
    await offer(gql, "OFF200", "AMOUNT", value="200", validDays=30)
    await offer(gql, "TENPCT", "PERCENT", value="10", validDays=30)
    return await enroll(gql)


@pytest.mark.parametrize(
    ("offer_code", "points", "off"),
    [("OFF200", "100", "200"), ("TENPCT", "108", "120"), ("FREEDEL", "120", "0")],
)
async def test_a_coupon_comes_off_the_sale_and_points_earn_on_the_net(
    gql, unicrm_state, member, offer_code, points, off
):
    [coupon] = await issue(gql, [member["id"]], offerCode=offer_code)

    body = await gql(SALE, sale_input("T-1", couponCode=coupon["code"]))

    payload = body["data"]["loyaltyPosSale"]
    assert payload["errors"] == []
    assert payload["transaction"]["points"] == points
    assert payload["transaction"]["explanation"].startswith(
        f"{off} THB off with coupon {coupon['code']}; +{points} points: "
    )
    assert payload["notes"][0].startswith(f"Coupon {coupon['code']}: ")
    again = await gql(SALE, sale_input("T-2", couponCode=coupon["code"]))
    assert [e["code"] for e in again["data"]["loyaltyPosSale"]["errors"]] == ["COUPON_USED"]


async def test_a_replayed_sale_with_its_coupon_is_a_duplicate(gql, unicrm_state, member):
    [coupon] = await issue(gql, [member["id"]], offerCode="OFF200")
    await gql(SALE, sale_input("T-1", couponCode=coupon["code"]))

    body = await gql(SALE, sale_input("T-1", couponCode=coupon["code"]))

    codes = [e["code"] for e in body["data"]["loyaltyPosSale"]["errors"]]
    assert codes == ["DUPLICATE_TRANSACTION"]


async def test_a_coupon_that_cannot_be_used_refuses_the_sale_and_writes_nothing(
    gql, unicrm_state, member
):
    other = await enroll(gql, phone="0899999999")
    [theirs] = await issue(gql, [other["id"]], offerCode="OFF200")
    [mine] = await issue(gql, [member["id"]], offerCode="FREEDEL")
    before = await ledger_state(unicrm_state, pk(member["id"]))

    cases = [
        (sale_input("T-1", couponCode="NOSUCHCODE"), "COUPON_NOT_FOUND"),
        (sale_input("T-2", couponCode=theirs["code"]), "COUPON_OF_ANOTHER_MEMBER"),
        (sale_input("T-3", amount="100", couponCode=mine["code"]), "CONDITIONS_NOT_MET"),
    ]
    for variables, code in cases:
        body = await gql(SALE, variables)
        assert [e["code"] for e in body["data"]["loyaltyPosSale"]["errors"]] == [code]

    assert await ledger_state(unicrm_state, pk(member["id"])) == before
    ok = await gql(SALE, sale_input("T-4", couponCode=mine["code"]))
    assert ok["data"]["loyaltyPosSale"]["errors"] == []  # still unused


async def test_a_batch_uses_a_coupon_once(client, gql, unicrm_state, member):
    [coupon] = await issue(gql, [member["id"]], offerCode="OFF200")
    sales = [sale_input(f"B-{i}", couponCode=coupon["code"])["input"] for i in range(2)]

    response = await client.post("/loyalty/pos/transactions", json={"transactions": sales})

    results = response.json()["results"]
    assert [r["status"] for r in results] == ["earned", "rejected"]
    assert results[0]["points"] == "100"
    assert results[1]["errors"][0]["code"] == "COUPON_USED"
