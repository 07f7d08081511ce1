"""POS throughput: a sale costs a small, constant number of statements, a batch a handful
whatever its size; rules are cached per programme yet every change is seen at once."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from executor.support import executed, post

from plugins.loyalty.support import SALE, enroll, ledger_state, pk, sale_input, setup_program, sums
from unicrm.core.testing.statements import StatementCounter
from unicrm.plugins.loyalty.services import earn, pos

RULE = """mutation($input: LoyaltyEarnRuleCreateInput!) { loyaltyEarnRuleCreate(input: $input) {
  ruleId errors { field code } } }"""


@pytest.fixture
async def member(unicrm_state, gql) -> dict:
    await setup_program(unicrm_state)
    return await enroll(gql)


def sale(txn: str, amount: str = "10", **extra) -> pos.SaleData:
    line = earn.Line("TEA-1", 1, Decimal(amount), "drinks/tea")
    return pos.SaleData("BKK01", txn, "THB", [line], **({"phone": "0812345678"} | extra))


async def ingest(state, *sales: pos.SaleData) -> tuple[int, list]:
    """Statements one transaction ingesting ``sales`` as a batch runs, and the outcomes."""
    with StatementCounter(state) as counter:
        async with state.db.transaction() as session:
            outcomes = await pos.ingest_batch(session, list(sales), state.settings.zone)
    return counter.count, outcomes


async def single(state, data: pos.SaleData) -> int:
    with StatementCounter(state) as counter:
        async with state.db.transaction() as session:
            await pos.ingest_sale(session, data, state.settings.zone)
    return counter.count


async def test_a_sale_costs_a_small_constant_number_of_statements(unicrm_state, member):
    await single(unicrm_state, sale("W-0"))  # reads the programme's rules once

    counts = [await single(unicrm_state, sale(f"S-{i}")) for i in range(12)]

    # the store, the member locked with the rules version, the product categories, the sale,
    # the member's balance, the lot, the entries, the event (and BEGIN on SQLite)
    assert set(counts) == {counts[0]}
    assert counts[0] <= 9
    assert await sums(unicrm_state, pk(member["id"])) == (13, 13, 13)


async def test_a_batch_costs_the_same_statements_whatever_its_size(unicrm_state, member):
    await ingest(unicrm_state, sale("W-0"))

    small, _ = await ingest(unicrm_state, *(sale(f"A-{i}") for i in range(5)))
    large, outcomes = await ingest(unicrm_state, *(sale(f"B-{i}") for i in range(60)))

    assert small == large <= 12
    assert all(isinstance(o, pos.Outcome) for o in outcomes)
    assert [o.balance for o in outcomes[:3]] == [7, 8, 9]  # each sale's own balance after it
    assert await sums(unicrm_state, pk(member["id"])) == (66, 66, 66)


async def test_a_rule_change_is_seen_by_the_very_next_sale(gql, unicrm_state, member):
    await gql(SALE, sale_input("T-1"))
    body = await gql(RULE, {"input": {"programCode": "club", "name": "tea x2", "multiplier": "2"}})
    assert body["data"]["loyaltyEarnRuleCreate"]["errors"] == []

    body = await gql(SALE, sale_input("T-2"))

    assert body["data"]["loyaltyPosSale"]["transaction"]["points"] == "240"


async def test_a_batch_keeps_day_caps_duplicates_and_tiers_of_its_own_sales(
    gql, unicrm_state, member
):
    rule = {"programCode": "club", "name": "triple", "multiplier": "3", "capPerDay": "150"}
    assert (await gql(RULE, {"input": rule}))["data"]["loyaltyEarnRuleCreate"]["errors"] == []

    _, outcomes = await ingest(
        unicrm_state, *(sale(f"C-{i}", amount="1200") for i in range(10)), sale("C-0")
    )

    points = [o.transaction.points for o in outcomes[:10]]
    # 120 base + 150 capped, then nothing left today; the eighth reaches Gold: x1.5 after it
    assert points == [270] + [120] * 7 + [180, 180]
    assert isinstance(outcomes[10], pos.DuplicateTransaction)
    assert outcomes[9].member.tier == "gold"
    assert await sums(unicrm_state, pk(member["id"])) == (1470, 1470, 1470)


async def test_refused_sales_of_a_batch_write_nothing(unicrm_state, member):
    await ingest(unicrm_state, sale("D-1"))
    before = await ledger_state(unicrm_state, pk(member["id"]))

    _, outcomes = await ingest(
        unicrm_state,
        sale("D-1"),  # duplicate
        sale("D-2", phone=None, card_number="0000"),  # unknown member
        pos.SaleData("NOPE", "D-3", "THB", sale("x").lines, phone="0812345678"),
        pos.SaleData("BKK01", "D-4", "USD", sale("x").lines, phone="0812345678"),
        pos.SaleData("BKK01", "D-5", "THB", [], phone="0812345678"),
    )

    assert [o.errors[0].code for o in outcomes] == [
        "DUPLICATE_TRANSACTION",
        "MEMBER_NOT_FOUND",
        "STORE_NOT_FOUND",
        "NO_EARN_RATE",
        "REQUIRED",
    ]
    assert await ledger_state(unicrm_state, pk(member["id"])) == before


MEMBERS = """query($first: Int) { loyaltyMembers(programCode: "club", first: $first) {
  edges { node { tier tierProgress { nextTier { code } pointsNeeded } } } } }"""


async def test_tier_progress_of_a_member_list_costs_the_same_statements_whatever_its_size(
    gql, unicrm_state, member
):
    for i in range(1, 8):
        await enroll(gql, phone=f"08123400{i:02d}")
    await gql(SALE, sale_input("T-1"))

    async def statements(first: int) -> tuple[int, list]:
        await gql(MEMBERS, {"first": first})
        with StatementCounter(unicrm_state) as counter:
            body = await gql(MEMBERS, {"first": first})
        return counter.count, body["data"]["loyaltyMembers"]["edges"]

    small, _ = await statements(2)
    large, edges = await statements(8)

    assert small == large
    needed = sorted(e["node"]["tierProgress"]["pointsNeeded"] for e in edges)
    assert needed == ["1000"] * 7 + ["880"]  # Gold's 1,000 less the 120 earned


CUSTOMER_360 = """query($id: ID!) { customer(id: $id) {
  displayName
  loyaltyMember { tier pointsBalance customer { displayName }
    program { code tiers { code } memberTypes { code } rewards { code } }
    memberType { code } ledger(first: 5) { kind points } lots { remaining }
    redemptions { voucher reward { code } } coupons { code offer { code } }
    missions { progress mission { code } } tierHistory { toTier }
    tierProgress { nextTier { code } pointsNeeded } }
  loyaltyMemberships { cardNumber } } }"""


async def test_a_customer_360_with_loyalty_fields_runs_compiled(gql, client, unicrm_state, member):
    await gql(SALE, sale_input("T-1"))
    customer = (
        await gql(
            "query($id: ID!) { node(id: $id) { ... on LoyaltyMember { customer { id } } } }",
            {"id": member["id"]},
        )
    )["data"]["node"]["customer"]["id"]

    with executed() as outcome:
        response = await post(client, CUSTOMER_360, {"id": customer})

    body = response.json()
    assert "errors" not in body, body
    assert (outcome.compiled, outcome.fallbacks) == (1, 0), outcome.reasons
    loyalty = body["data"]["customer"]["loyaltyMember"]
    assert loyalty["pointsBalance"] == "120"
    assert loyalty["tierProgress"] == {"nextTier": {"code": "gold"}, "pointsNeeded": "880"}


async def test_concurrent_batches_of_the_same_sales_earn_each_once(client, gql, unicrm_state):
    await setup_program(unicrm_state)
    members = [await enroll(gql, phone=f"08123400{i:02d}") for i in range(1, 5)]
    sales = [
        sale_input(f"R-{i}", amount="100", phone=f"08123400{i % 4 + 1:02d}")["input"]
        for i in range(40)
    ]

    responses = await asyncio.gather(
        *(
            client.post("/loyalty/pos/transactions", json={"transactions": batch})
            for batch in (sales, sales[::-1], sales[10:30])
        )
    )

    statuses = [[r["status"] for r in response.json()["results"]] for response in responses]
    assert all(response.status_code == 207 for response in responses)
    assert sum(s.count("earned") for s in statuses) == 40
    for member in members:
        assert await sums(unicrm_state, pk(member["id"])) == (100, 100, 100)
