"""The pipeline board: columns per live stage with counts, sums and first deals; filters;
continuing a column through ``deals``; a fixed number of statements whatever the deals."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select, update

from plugins.sfa_support import add_team, b2b, deal, gid
from plugins.support import add_customers, add_rows
from unicrm.core.db.types import utcnow
from unicrm.core.graph.users.models import User
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as
from unicrm.core.testing.statements import StatementCounter
from unicrm.plugins.sfa.models import Deal

BOARD = """query($filter: DealFilterInput, $first: Int) {
  dealBoard(filter: $filter, first: $first) {
    pipeline { name }
    columns {
      stage { name probability }
      count
      totals { amount currency }
      weightedTotals { amount currency }
      deals { totalCount edges { node { title owner { email } stage { name } } }
              pageInfo { hasNextPage endCursor } }
    }
  }
}"""
COLUMN_MORE = """query($stageId: ID!, $after: String, $filter: DealFilterInput) {
  deals(first: 2, stageId: $stageId, after: $after, filter: $filter) {
    edges { node { title } } pageInfo { hasNextPage } } }"""


async def add_user(state, email: str) -> uuid.UUID:
    async with state.db.transaction() as session:
        user = User(email=email, display_name=email.split("@")[0])
        session.add(user)
    return user.id


def columns_by_stage(body: dict) -> dict[str, dict]:
    return {c["stage"]["name"]: c for c in body["data"]["dealBoard"]["columns"]}


async def test_the_board_shows_each_stage_with_counts_sums_and_first_deals(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    await add_rows(
        unicrm_state,
        *(
            deal(somchai, stages["Qualify"], f"Q{i}", minutes=i, amount=Decimal("1000.10"))
            for i in range(3)
        ),
        deal(somchai, stages["Negotiation"], "N0", amount=Decimal("500000")),
        deal(somchai, stages["Negotiation"], "N1", minutes=1, amount=Decimal(20), currency="USD"),
    )

    body = await gql(BOARD, {"first": 2})

    assert body["data"]["dealBoard"]["pipeline"] == {"name": "B2B"}
    columns = columns_by_stage(body)
    assert list(columns) == ["Opportunity", "Qualify", "Negotiation", "Closed Won", "Closed Lost"]
    qualify = columns["Qualify"]
    assert qualify["count"] == "3"
    assert qualify["totals"] == [{"amount": "3000.3000", "currency": "THB"}]
    assert qualify["weightedTotals"] == [{"amount": "900.0900", "currency": "THB"}]
    assert [e["node"]["title"] for e in qualify["deals"]["edges"]] == ["Q2", "Q1"]
    assert qualify["deals"]["totalCount"] == 3
    assert qualify["deals"]["pageInfo"]["hasNextPage"] is True
    negotiation = columns["Negotiation"]
    assert negotiation["totals"] == [
        {"amount": "500000.0000", "currency": "THB"},
        {"amount": "20.0000", "currency": "USD"},
    ]
    assert negotiation["deals"]["pageInfo"]["hasNextPage"] is False
    assert columns["Opportunity"]["count"] == "0"
    assert columns["Opportunity"]["totals"] == []

    more = await gql(
        COLUMN_MORE,
        {
            "stageId": gid("PipelineStage", stages["Qualify"].id),
            "after": qualify["deals"]["pageInfo"]["endCursor"],
        },
    )
    assert more["data"]["deals"] == {
        "edges": [{"node": {"title": "Q0"}}],
        "pageInfo": {"hasNextPage": False},
    }


async def test_board_filters_by_owner_team_amount_close_date_and_staleness(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    malee = await add_user(unicrm_state, "malee@unicrm.test")
    niran = await add_user(unicrm_state, "niran@unicrm.test")
    team = await add_team(unicrm_state, "North", niran)
    at = stages["Opportunity"]
    old = utcnow() - timedelta(days=40)
    await add_rows(
        unicrm_state,
        deal(somchai, at, "Malee small", owner_id=malee, amount=Decimal(100)),
        deal(
            somchai,
            at,
            "Malee big",
            minutes=1,
            owner_id=malee,
            amount=Decimal(90000),
            expected_close_date=date(2030, 6, 1),
        ),
        deal(somchai, at, "Niran", minutes=2, owner_id=niran, amount=Decimal(5000)),
        deal(somchai, at, "Stale", minutes=3, amount=Decimal(7000)),
    )
    async with unicrm_state.db.transaction() as session:
        await session.execute(update(Deal).where(Deal.title == "Stale").values(updated_at=old))

    async def titles(filter_: dict) -> list[str]:
        body = await gql(BOARD, {"filter": filter_})
        column = columns_by_stage(body)["Opportunity"]
        return sorted(e["node"]["title"] for e in column["deals"]["edges"])

    assert await titles({"ownerId": gid("User", malee)}) == ["Malee big", "Malee small"]
    assert await titles({"teamId": gid("Team", team)}) == ["Niran"]
    assert await titles({"amountMin": "5000", "amountMax": "10000"}) == ["Niran", "Stale"]
    assert await titles({"closeFrom": "2030-01-01", "closeTo": "2030-12-31"}) == ["Malee big"]
    assert await titles({"staleDays": 30}) == ["Stale"]


async def test_bad_board_arguments_are_bad_requests(gql, unicrm_state):
    await b2b(unicrm_state)
    cases = [
        {"filter": {"amountMin": "10", "amountMax": "5"}},
        {"filter": {"amountMin": "-1"}},
        {"filter": {"closeFrom": "2030-02-01", "closeTo": "2030-01-01"}},
        {"filter": {"staleDays": -2}},
        {"filter": {"ownerId": gid("Deal", uuid.UUID(int=1))}},
        {"first": 101},
    ]
    for variables in cases:
        body = await gql(BOARD, variables)
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST", variables


async def test_the_board_costs_the_same_statements_for_5_or_60_deals(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    owner = await add_user(unicrm_state, "owner@unicrm.test")
    names = ["Opportunity", "Qualify", "Negotiation", "Closed Won", "Closed Lost"]

    async def statements() -> int:
        with StatementCounter(unicrm_state) as counter:
            body = await gql(BOARD, {"first": 10})
        assert "errors" not in body
        return counter.count

    await add_rows(
        unicrm_state,
        *(
            deal(somchai, stages[names[i % 5]], f"A{i}", minutes=i, owner_id=owner)
            for i in range(5)
        ),
    )
    few = await statements()
    await add_rows(
        unicrm_state,
        *(
            deal(somchai, stages[names[i % 5]], f"B{i}", minutes=10 + i, owner_id=owner)
            for i in range(55)
        ),
    )
    many = await statements()

    assert few == many


async def test_a_field_rep_sees_only_their_own_deals_on_the_board(unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    token = await sign_in_as(unicrm_state, "field@unicrm.test", "field_sales")
    async with unicrm_state.db.session() as session:
        rep = await session.scalar(select(User.id).where(User.email == "field@unicrm.test"))
    await add_rows(
        unicrm_state,
        deal(somchai, stages["Qualify"], "Mine", owner_id=rep, amount=Decimal(10)),
        deal(somchai, stages["Qualify"], "Not mine", minutes=1, amount=Decimal(99)),
    )
    async with client_for(unicrm_state, token) as http:
        body = (await http.post("/graphql", json={"query": BOARD})).json()

    qualify = columns_by_stage(body)["Qualify"]
    assert qualify["count"] == "1"
    assert qualify["totals"] == [{"amount": "10.0000", "currency": "THB"}]
    assert [e["node"]["title"] for e in qualify["deals"]["edges"]] == ["Mine"]
