"""``salesAnalytics``: win rate, averages, pipeline, time in stage and the leaderboard of a
period, organization-wide for managers and only their own deals for reps."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from plugins.sfa_support import b2b
from plugins.support import add_customers
from unicrm.core.db.types import utcnow
from unicrm.core.graph.products.services import Price
from unicrm.core.graph.users.models import User
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as
from unicrm.core.testing.statements import StatementCounter
from unicrm.plugins.sfa.models import DealSource
from unicrm.plugins.sfa.services import deals as deal_services

ANALYTICS = """query($from: Date!, $to: Date!) { salesAnalytics(from: $from, to: $to) {
  dealsCreated dealsWon dealsLost winRate averageWonAmount { amount currency }
  averageCycleDays openPipeline { amount } weightedPipeline { amount }
  stageTimes { stage { name } moves }
  winRateBySource { source won lost winRate }
  leaderboard { owner { email } won amount { amount } } } }"""


async def seed(state):
    stages = await b2b(state)
    [somchai] = await add_customers(state, "Somchai")
    tokens = {
        email: await sign_in_as(state, email, "field_sales")
        for email in ("ann@unicrm.test", "ben@unicrm.test")
    }
    async with state.db.session() as session:
        ids = dict((await session.execute(select(User.email, User.id))).all())
    plan = [
        ("ann@unicrm.test", "100000", "Closed Won", None, DealSource.MANUAL),
        ("ann@unicrm.test", "50000", "Closed Lost", "Price", DealSource.MANUAL),
        ("ann@unicrm.test", "10000", "Negotiation", None, DealSource.MANUAL),
        ("ben@unicrm.test", "300000", "Closed Won", None, DealSource.IMPORT),
        ("ben@unicrm.test", "20000", "Qualify", None, DealSource.IMPORT),
    ]
    async with state.db.transaction() as session:
        for email, amount, stage, reason, source in plan:
            deal = await deal_services.create_deal(
                session,
                deal_services.DealData(
                    customer_id=somchai,
                    title=f"{email} {stage}",
                    owner_id=ids[email],
                    amount=Price(Decimal(amount), "THB"),
                    source=source,
                ),
            )
            if stage != "Opportunity":
                await deal_services.move_stage(
                    session, deal.id, stages[stage].id, expected_version=1, lost_reason=reason
                )
    return tokens


def period() -> dict:
    today = utcnow().date()
    return {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}


async def test_a_manager_sees_the_organizations_figures(gql, unicrm_state):
    await seed(unicrm_state)

    with StatementCounter(unicrm_state) as counter:
        body = await gql(ANALYTICS, period())

    figures = body["data"]["salesAnalytics"]
    assert (figures["dealsCreated"], figures["dealsWon"], figures["dealsLost"]) == (5, 2, 1)
    assert round(figures["winRate"], 4) == 0.6667
    assert figures["averageWonAmount"] == {"amount": "200000.0000", "currency": "THB"}
    assert figures["averageCycleDays"] >= 0
    assert figures["openPipeline"] == {"amount": "30000.0000"}
    assert figures["weightedPipeline"] == {"amount": "12000.0000"}  # 10000 x 60% + 20000 x 30%
    assert {t["stage"]["name"]: t["moves"] for t in figures["stageTimes"]} == {"Opportunity": 5}
    assert [(e["owner"]["email"], e["won"]) for e in figures["leaderboard"]] == [
        ("ben@unicrm.test", 1),
        ("ann@unicrm.test", 1),
    ]
    assert figures["winRateBySource"] == [  # the open import deal is not counted
        {"source": "IMPORT", "won": 1, "lost": 0, "winRate": 1.0},
        {"source": "MANUAL", "won": 1, "lost": 1, "winRate": 0.5},
    ]
    assert counter.count < 15


async def test_a_rep_sees_only_their_own_numbers(unicrm_state):
    tokens = await seed(unicrm_state)
    async with client_for(unicrm_state, tokens["ann@unicrm.test"]) as http:
        body = (
            await http.post("/graphql", json={"query": ANALYTICS, "variables": period()})
        ).json()

    figures = body["data"]["salesAnalytics"]
    assert (figures["dealsCreated"], figures["dealsWon"], figures["dealsLost"]) == (3, 1, 1)
    assert figures["winRate"] == 0.5
    assert figures["openPipeline"] == {"amount": "10000.0000"}
    assert [e["won"] for e in figures["leaderboard"]] == [1]
    assert figures["winRateBySource"] == [{"source": "MANUAL", "won": 1, "lost": 1, "winRate": 0.5}]


async def test_an_inverted_period_is_a_bad_request(gql, unicrm_state):
    body = await gql(ANALYTICS, {"from": "2026-02-01", "to": "2026-01-01"})

    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
