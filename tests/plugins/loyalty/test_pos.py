"""POS ingestion: points from the lines and the earn rules, explained; once per (store,
transaction id), also under concurrency; refunds take back their share."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from plugins.loyalty.support import (
    REFUND,
    SALE,
    enroll,
    ledger_state,
    pk,
    sale_input,
    setup_program,
    sums,
)
from unicrm.core.db.types import utcnow
from unicrm.plugins.loyalty.services import earn


@pytest.fixture
async def member(unicrm_state, gql) -> dict:
    await setup_program(unicrm_state)
    return await enroll(gql)


async def test_a_sale_earns_points_with_an_explanation_staff_can_read(gql, unicrm_state, member):
    body = await gql(SALE, sale_input("T-1"))

    payload = body["data"]["loyaltyPosSale"]
    assert payload["errors"] == []
    assert payload["transaction"]["points"] == "120"
    assert payload["transaction"]["explanation"] == "+120 points: 1,200 THB \u00d7 Silver 1.0 rate"
    assert payload["member"]["pointsBalance"] == "120"
    assert await sums(unicrm_state, pk(member["id"])) == (120, 120, 120)


async def test_a_replayed_transaction_is_a_typed_error_and_earns_nothing(gql, unicrm_state, member):
    await gql(SALE, sale_input("T-1"))
    before = await ledger_state(unicrm_state, pk(member["id"]))

    body = await gql(SALE, sale_input("T-1", amount="9999"))

    payload = body["data"]["loyaltyPosSale"]
    assert [e["code"] for e in payload["errors"]] == ["DUPLICATE_TRANSACTION"]
    assert payload["transaction"]["points"] == "120"  # the first ingestion, for the POS to show
    assert await ledger_state(unicrm_state, pk(member["id"])) == before


async def test_concurrent_copies_of_a_transaction_earn_once(gql, unicrm_state, member):
    bodies = await asyncio.gather(*[gql(SALE, sale_input("T-RACE")) for _ in range(8)])

    codes = sorted(
        (p["errors"][0]["code"] if p["errors"] else "OK")
        for p in (b["data"]["loyaltyPosSale"] for b in bodies)
    )
    assert codes == ["DUPLICATE_TRANSACTION"] * 7 + ["OK"]
    assert await sums(unicrm_state, pk(member["id"])) == (120, 120, 120)


async def test_the_same_transaction_id_at_another_store_is_another_sale(gql, unicrm_state):
    await setup_program(unicrm_state, store_codes=("BKK01", "CNX01"))
    member = await enroll(gql)
    await gql(SALE, sale_input("T-1"))

    body = await gql(SALE, sale_input("T-1", storeCode="CNX01"))

    assert body["data"]["loyaltyPosSale"]["errors"] == []
    assert (await sums(unicrm_state, pk(member["id"])))[0] == 240


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"phone": "0899999999"}, "MEMBER_NOT_FOUND", "cardNumber"),
        ({"storeCode": "NOPE"}, "STORE_NOT_FOUND", "storeCode"),
        ({"currency": "USD"}, "NO_EARN_RATE", "currency"),
        ({"lines": []}, "REQUIRED", "lines"),
        ({"lines": [{"sku": "A", "quantity": 0, "amount": "10"}]}, "INVALID", "lines.0.quantity"),
        ({"lines": [{"sku": "A", "quantity": 1, "amount": "-1"}]}, "INVALID", "lines.0.amount"),
        ({"transactionId": ""}, "INVALID", "transactionId"),
    ],
)
async def test_bad_sales_are_typed_errors_and_leave_the_ledger_unchanged(
    gql, unicrm_state, member, change, code, field
):
    before = await ledger_state(unicrm_state, pk(member["id"]))
    data = sale_input("T-BAD")
    data["input"].update(change)

    body = await gql(SALE, data)

    errors = body["data"]["loyaltyPosSale"]["errors"]
    assert (errors[0]["code"], errors[0]["field"]) == (code, field)
    assert await ledger_state(unicrm_state, pk(member["id"])) == before


async def test_a_suspended_member_earns_nothing(gql, unicrm_state, member):
    await gql(
        """mutation($id: ID!) { loyaltyMemberSetStatus(input: {memberId: $id, status: SUSPENDED,
        reason: "lost card"}) { errors { code } } }""",
        {"id": member["id"]},
    )
    before = await ledger_state(unicrm_state, pk(member["id"]))

    body = await gql(SALE, sale_input("T-1"))

    assert body["data"]["loyaltyPosSale"]["errors"][0]["code"] == "MEMBER_INACTIVE"
    assert await ledger_state(unicrm_state, pk(member["id"])) == before


RULE = """mutation($input: LoyaltyEarnRuleCreateInput!) { loyaltyEarnRuleCreate(input: $input) {
  ruleId errors { field code } } }"""


async def add_rule(gql, **fields) -> None:
    body = await gql(RULE, {"input": {"programCode": "club", **fields}})
    assert body["data"]["loyaltyEarnRuleCreate"]["errors"] == []


async def test_rules_multiply_match_categories_and_modifiers_and_exclude(gql, unicrm_state, member):
    await add_rule(gql, name="double-points noodles", category="food/noodles", multiplier="2")
    await add_rule(gql, name="no pork skin bonus", modifier="no pork skin", bonusPoints="5")
    await add_rule(gql, name="tobacco excluded", category="tobacco", exclude=True)
    lines = [
        {"sku": "N1", "quantity": 2, "amount": "300", "category": "food/noodles/thai"},
        {
            "sku": "D1",
            "quantity": 1,
            "amount": "100",
            "category": "food/dish",
            "modifiers": ["no pork skin"],
        },
        {"sku": "C1", "quantity": 1, "amount": "200", "category": "tobacco"},
    ]

    body = await gql(SALE, sale_input("T-1", lines=lines))

    txn = body["data"]["loyaltyPosSale"]["transaction"]
    assert txn["points"] == str(40 + 30 + 5)
    assert txn["explanation"] == (
        "+40 points: 400 THB \u00d7 Silver 1.0 rate (200 THB not eligible); "
        "+30 bonus: double-points noodles; +5 bonus: no pork skin bonus"
    )


async def test_promotions_apply_only_within_their_dates(gql, unicrm_state, member):
    now = utcnow()
    await add_rule(
        gql,
        name="double-points weekend",
        multiplier="2",
        startsAt=(now - timedelta(days=1)).isoformat(),
        endsAt=(now + timedelta(days=1)).isoformat(),
    )
    await add_rule(
        gql, name="last month", multiplier="5", endsAt=(now - timedelta(days=7)).isoformat()
    )

    body = await gql(SALE, sale_input("T-1"))

    assert body["data"]["loyaltyPosSale"]["transaction"]["explanation"] == (
        "+120 points: 1,200 THB \u00d7 Silver 1.0 rate; +120 bonus: double-points weekend"
    )


async def test_caps_bound_a_rule_per_transaction_and_per_day(gql, unicrm_state, member):
    await add_rule(gql, name="triple", multiplier="3", capPerTransaction="100", capPerDay="150")

    first = await gql(SALE, sale_input("T-1"))
    second = await gql(SALE, sale_input("T-2"))
    third = await gql(SALE, sale_input("T-3"))

    points = [b["data"]["loyaltyPosSale"]["transaction"]["points"] for b in (first, second, third)]
    assert points == ["220", "170", "120"]  # 120 base + 100 capped; then 50 left today; then 0


async def test_bad_rules_are_refused(gql, unicrm_state, member):
    body = await gql(RULE, {"input": {"programCode": "club", "name": "x", "exclude": True}})
    assert body["data"]["loyaltyEarnRuleCreate"]["errors"] == [
        {"field": "exclude", "code": "REQUIRED"}
    ]
    body = await gql(RULE, {"input": {"programCode": "nope", "name": "x", "multiplier": "2"}})
    assert body["data"]["loyaltyEarnRuleCreate"]["errors"][0]["code"] == "PROGRAM_NOT_FOUND"


def refund_input(txn: str, original: str, amount: str) -> dict:
    return {
        "input": {
            "storeCode": "BKK01",
            "transactionId": txn,
            "originalTransactionId": original,
            "amount": amount,
        }
    }


async def test_partial_refunds_reverse_proportionally_and_never_more_than_the_sale(
    gql, unicrm_state, member
):
    await gql(SALE, sale_input("T-1", amount="1000"))  # 100 points

    first = await gql(REFUND, refund_input("R-1", "T-1", "333"))
    second = await gql(REFUND, refund_input("R-2", "T-1", "667"))

    assert first["data"]["loyaltyPosRefund"]["transaction"]["points"] == "-33"
    assert first["data"]["loyaltyPosRefund"]["transaction"]["explanation"] == (
        "-33 points: refund of 333 THB of 1,000"
    )
    assert second["data"]["loyaltyPosRefund"]["transaction"]["points"] == "-67"
    assert await sums(unicrm_state, pk(member["id"])) == (0, 0, 0)
    before = await ledger_state(unicrm_state, pk(member["id"]))
    over = await gql(REFUND, refund_input("R-3", "T-1", "1"))
    assert over["data"]["loyaltyPosRefund"]["errors"][0]["code"] == "REFUND_EXCEEDS_ORIGINAL"
    assert await ledger_state(unicrm_state, pk(member["id"])) == before


async def test_a_refund_larger_than_the_original_is_refused(gql, unicrm_state, member):
    await gql(SALE, sale_input("T-1", amount="1000"))
    before = await ledger_state(unicrm_state, pk(member["id"]))

    body = await gql(REFUND, refund_input("R-1", "T-1", "1000.01"))

    assert body["data"]["loyaltyPosRefund"]["errors"][0]["code"] == "REFUND_EXCEEDS_ORIGINAL"
    missing = await gql(REFUND, refund_input("R-2", "T-404", "1"))
    assert missing["data"]["loyaltyPosRefund"]["errors"][0]["code"] == "ORIGINAL_NOT_FOUND"
    assert await ledger_state(unicrm_state, pk(member["id"])) == before


async def spend_then_refund(gql, unicrm_state, member) -> dict:
    """Earn 100, spend 80 by hand, then refund the whole sale: 100 due, 20 left."""
    await gql(SALE, sale_input("T-1", amount="1000"))
    await gql(
        """mutation($id: ID!) { loyaltyPointsAdjust(input: {memberId: $id, points: "-80",
        reason: "test spend"}) { errors { code } } }""",
        {"id": member["id"]},
    )
    body = await gql(REFUND, refund_input("R-1", "T-1", "1000"))
    return body["data"]["loyaltyPosRefund"]


async def test_refund_of_spent_points_floors_at_zero_by_default(gql, unicrm_state, member):
    payload = await spend_then_refund(gql, unicrm_state, member)

    assert payload["transaction"]["points"] == "-20"
    assert payload["transaction"]["explanation"] == (
        "-100 points: refund of 1,000 THB of 1,000 (80 points already spent, not taken back)"
    )
    assert await sums(unicrm_state, pk(member["id"])) == (0, 0, 0)


async def test_refund_of_spent_points_can_go_negative_or_be_refused(gql, unicrm_state):
    await setup_program(unicrm_state, policy="allow_negative")
    member = await enroll(gql)

    payload = await spend_then_refund(gql, unicrm_state, member)

    assert payload["member"]["pointsBalance"] == "-80"
    assert await sums(unicrm_state, pk(member["id"])) == (-80, -80, 0)
    await gql(SALE, sale_input("T-2", amount="1000"))  # 100 points: 80 pay the debt off
    assert await sums(unicrm_state, pk(member["id"])) == (20, 20, 20)


async def test_refund_is_refused_under_the_reject_policy(gql, unicrm_state):
    await setup_program(unicrm_state, policy="reject")
    member = await enroll(gql)
    await gql(SALE, sale_input("T-1", amount="1000"))
    await gql(
        """mutation($id: ID!) { loyaltyPointsAdjust(input: {memberId: $id, points: "-80",
        reason: "test spend"}) { errors { code } } }""",
        {"id": member["id"]},
    )
    before = await ledger_state(unicrm_state, pk(member["id"]))

    body = await gql(REFUND, refund_input("R-1", "T-1", "1000"))

    assert body["data"]["loyaltyPosRefund"]["errors"][0]["code"] == "INSUFFICIENT_POINTS"
    assert await ledger_state(unicrm_state, pk(member["id"])) == before


def test_explanations_print_amounts_and_rates_as_receipts_do():
    assert earn.number(Decimal("1200")) == "1,200"
    assert earn.number(Decimal("12.5")) == "12.50"
    assert earn.factor(Decimal("1.0000")) == "1.0"
    assert earn.factor(Decimal("1.25")) == "1.25"


async def test_the_bulk_endpoint_ingests_a_batch_with_one_result_per_sale(
    client, unicrm_state, member
):
    sales = [sale_input(f"B-{i}")["input"] for i in range(20)]
    sales.append(sale_input("B-0")["input"])  # a duplicate within the batch
    sales.append({**sale_input("B-X")["input"], "phone": "0899999999"})  # unknown member
    sales.append({"storeCode": "BKK01"})  # malformed

    response = await client.post("/loyalty/pos/transactions", json={"transactions": sales})

    assert response.status_code == 207
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["earned"] * 20 + ["duplicate", "rejected", "rejected"]
    assert results[0]["explanation"] == "+120 points: 1,200 THB \u00d7 Silver 1.0 rate"
    # nine sales of 120 reach Gold's 1,000 points; the eleven after earn at Gold's 1.5 rate
    assert results[19]["balance"] == str(9 * 120 + 11 * 180)
    assert results[21]["errors"][0]["code"] == "MEMBER_NOT_FOUND"
    assert await sums(unicrm_state, pk(member["id"])) == (3060, 3060, 3060)


async def test_the_bulk_endpoint_refuses_bad_bodies_and_callers(client, anonymous_client, member):
    assert (await client.post("/loyalty/pos/transactions", content=b"nope")).status_code == 400
    assert (
        await client.post("/loyalty/pos/transactions", json={"transactions": []})
    ).status_code == 400
    too_many = {"transactions": [{}] * 1001}
    assert (await client.post("/loyalty/pos/transactions", json=too_many)).status_code == 413
    anonymous = await anonymous_client.post(
        "/loyalty/pos/transactions", json={"transactions": [{}]}
    )
    assert anonymous.status_code == 401
