"""Lead scoring: profile and behaviour rules, points, caps, decay by half-life, every change
with its reason, and the threshold crossing that qualifies a lead (ma.lead_qualified)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from plugins.ma.support import BROWSER, add_person, count
from plugins.support import customer_gid
from unicrm.core.db.types import utcnow
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.customers.models import Customer, LifecycleStage
from unicrm.core.graph.leads.models import Lead, LeadSource, LeadTemperature
from unicrm.core.graph.leads.services import LeadData, create_lead
from unicrm.core.graph.timeline.models import TimelineEntry
from unicrm.core.jobs.contracts import JobRun
from unicrm.plugins.ma.models import EngagementKind, LeadScore, ScoreChange, TrackingEvent
from unicrm.plugins.ma.services.scoring import decay_scores
from unicrm.plugins.ma.services.tracking import identify

SAVE = """
mutation($input: MaScoringModelInput!) {
  maScoringModelSave(input: $input) {
    errors { field code message }
    model { key active threshold halfLifeDays rules { key kind points cap event urlContains } }
  }
}"""
RULES = [
    {
        "key": "retail",
        "name": "Retail business",
        "kind": "PROFILE",
        "points": 10,
        "attribute": "industry",
        "op": "EQ",
        "value": "Retail",
    },
    {
        "key": "pricing",
        "name": "Viewed pricing",
        "kind": "BEHAVIOUR",
        "points": 5,
        "cap": 10,
        "event": "PAGE_VIEW",
        "urlContains": "/pricing",
    },
    {
        "key": "opened",
        "name": "Opened an e-mail",
        "kind": "BEHAVIOUR",
        "points": 3,
        "event": "EMAIL_OPEN",
    },
    {
        "key": "demo",
        "name": "Asked for a demo",
        "kind": "BEHAVIOUR",
        "points": 20,
        "event": "FORM_SUBMIT",
    },
]
MODEL = {"key": "b2b", "name": "B2B", "threshold": 30, "rules": RULES}
SCORE = """
query($id: ID!) {
  node(id: $id) { ... on Customer {
    lifecycleStage
    leadScore { value model explanation { rule points currentPoints reason at } }
  } }
}"""


async def _save(gql, **changes: Any) -> dict[str, Any]:
    data = await gql(SAVE, {"input": {**MODEL, **changes}})
    assert "errors" not in data, data
    return data["data"]["maScoringModelSave"]


async def _prospect(state, name: str = "Anan", industry: str | None = "retail") -> uuid.UUID:
    customer = await add_person(state, name, f"{name.lower()}@example.co.th")
    async with state.db.transaction() as session:
        row = await session.get_one(Customer, customer)
        row.industry = industry
        await create_lead(session, LeadData(customer_id=customer, source=LeadSource.WEB_FORM))
    return customer


async def _visit(client, visitor: uuid.UUID, url: str) -> None:
    response = await client.get("/t/v", params={"u": url, "vid": str(visitor)}, headers=BROWSER)
    assert response.status_code == 200


async def _score(gql, customer: uuid.UUID) -> dict[str, Any]:
    data = await gql(SCORE, {"id": customer_gid(customer)})
    assert "errors" not in data, data
    return data["data"]["node"]


async def test_hits_and_profile_score_with_caps_and_each_change_has_its_reason(
    unicrm_state, gql, anonymous_client
):
    saved = await _save(gql)
    assert saved["errors"] == [] and saved["model"]["active"] is True
    anan = await _prospect(unicrm_state)
    visitor = uuid.uuid4()
    await _visit(anonymous_client, visitor, "https://shop.test/pricing")  # anonymous: no score
    assert await count(unicrm_state, ScoreChange) == 0
    async with unicrm_state.db.transaction() as session:
        await identify(session, visitor, anan)
    for page in (
        "https://shop.test/pricing?plan=pro",
        "https://shop.test/pricing",
        "https://shop.test/",
    ):
        await _visit(anonymous_client, visitor, page)

    node = await _score(gql, anan)

    score = node["leadScore"]
    assert (score["value"], score["model"]) == (20, "b2b")  # retail 10 + pricing capped at 10
    explained = sorted((r["rule"], r["points"]) for r in score["explanation"])
    assert explained == [("pricing", 5), ("pricing", 5), ("retail", 10)]
    assert sum(r["currentPoints"] for r in score["explanation"]) == score["value"]
    reasons = {r["reason"] for r in score["explanation"]}
    assert "Retail business: profile matches" in reasons
    assert any(r.startswith("Viewed pricing: page view https://shop.test/pricing") for r in reasons)
    assert node["lifecycleStage"] != "MARKETING_QUALIFIED"


async def test_crossing_the_threshold_qualifies_the_lead_once(unicrm_state, gql, anonymous_client):
    await _save(gql)
    anan = await _prospect(unicrm_state)
    visitor = uuid.uuid4()
    async with unicrm_state.db.transaction() as session:
        await identify(session, visitor, anan)
    await _visit(anonymous_client, visitor, "https://shop.test/pricing")  # 10 + 5 = 15
    async with unicrm_state.db.transaction() as session:
        session.add(
            TrackingEvent(kind=EngagementKind.FORM_SUBMIT, customer_id=anan, name="demo-request")
        )
    recompute = """
    mutation($input: MaLeadScoreRecomputeInput!) {
      maLeadScoreRecompute(input: $input) { errors { field code } leadScore { value } }
    }"""

    data = await gql(recompute, {"input": {"customerId": customer_gid(anan)}})

    assert data["data"]["maLeadScoreRecompute"] == {"errors": [], "leadScore": {"value": 35}}
    async with unicrm_state.db.session() as session:
        customer = await session.get_one(Customer, anan)
        lead = await session.scalar(select(Lead).where(Lead.customer_id == anan))
        events = list(
            await session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "ma.lead_qualified")
            )
        )
        kinds = set(await session.scalars(select(TimelineEntry.kind)))
    assert customer.lifecycle_stage is LifecycleStage.MARKETING_QUALIFIED
    assert lead.temperature is LeadTemperature.HOT
    [event] = events
    assert event.customer_id == anan
    assert event.payload["score"] == 35 and event.payload["threshold"] == 30
    assert event.payload["lead_id"] == str(lead.id)
    assert event.payload["reasons"] == ["Asked for a demo", "Retail business", "Viewed pricing"]
    assert "ma.lead_qualified" in kinds

    # more points above the threshold qualify nobody again; a repeat recompute changes nothing
    await _visit(anonymous_client, visitor, "https://shop.test/pricing#faq")
    again = await gql(recompute, {"input": {"customerId": customer_gid(anan)}})
    assert again["data"]["maLeadScoreRecompute"]["leadScore"] == {"value": 40}
    assert await count(unicrm_state, OutboxEvent, OutboxEvent.type == "ma.lead_qualified") == 1
    assert await count(unicrm_state, ScoreChange) == 4


async def test_points_decay_by_half_life_and_the_nightly_job_lowers_stored_scores(
    unicrm_state, gql
):
    await _save(gql, halfLifeDays=10, rules=RULES[1:])
    anan = await _prospect(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        session.add(
            TrackingEvent(
                kind=EngagementKind.FORM_SUBMIT,
                customer_id=anan,
                occurred_at=utcnow() - timedelta(days=10),
            )
        )
    recompute = "mutation($i: MaLeadScoreRecomputeInput!) { maLeadScoreRecompute(input: $i) { leadScore { value explanation { points currentPoints } } } }"

    data = await gql(recompute, {"i": {"customerId": customer_gid(anan)}})

    score = data["data"]["maLeadScoreRecompute"]["leadScore"]
    assert score["value"] == 10  # 20 points, one half-life ago
    assert score["explanation"] == [{"points": 20, "currentPoints": 10.0}]

    async with unicrm_state.db.transaction() as session:
        change = await session.scalar(select(ScoreChange))
        change.at -= timedelta(days=10)  # another half-life passes
        run = JobRun(uuid.uuid4(), "ma.decay_scores", {}, 1, 3, None)
        await decay_scores(run, session)
    async with unicrm_state.db.session() as session:
        assert (await session.scalar(select(LeadScore.value))) == 5


async def test_a_profile_that_stops_matching_takes_its_points_back(unicrm_state, gql, client):
    await _save(gql)
    anan = await _prospect(unicrm_state)
    await gql(
        "mutation($i: MaLeadScoreRecomputeInput!) { maLeadScoreRecompute(input: $i) { errors { code } } }",
        {"i": {"customerId": customer_gid(anan)}},
    )
    assert (await _score(gql, anan))["leadScore"]["value"] == 10

    update = "mutation($input: CustomerUpdateInput!) { customerUpdate(input: $input) { errors { code } } }"
    data = await gql(update, {"input": {"id": customer_gid(anan), "industry": "Banking"}})
    assert data["data"]["customerUpdate"]["errors"] == []

    score = (await _score(gql, anan))["leadScore"]
    assert score["value"] == 0
    assert [(r["rule"], r["points"]) for r in score["explanation"]] == [
        ("retail", -10),
        ("retail", 10),
    ]
    assert score["explanation"][0]["reason"] == "Retail business: profile no longer matches"


async def test_bot_hits_never_score(unicrm_state, gql, anonymous_client):
    await _save(gql, rules=RULES[1:])
    anan = await _prospect(unicrm_state)
    visitor = uuid.uuid4()
    async with unicrm_state.db.transaction() as session:
        await identify(session, visitor, anan)
    await anonymous_client.get(
        "/t/v",
        params={"u": "https://shop.test/pricing", "vid": str(visitor)},
        headers={"User-Agent": "Googlebot/2.1"},
    )
    assert await count(unicrm_state, ScoreChange) == 0


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"key": "B 2 B"}, "key", "INVALID"),
        ({"threshold": 0}, "threshold", "INVALID"),
        ({"halfLifeDays": 0}, "halfLifeDays", "INVALID"),
        ({"rules": []}, "rules", "REQUIRED"),
        ({"rules": [RULES[0], RULES[0]]}, "rules.1.key", "DUPLICATE"),
        ({"rules": [{**RULES[0], "points": 0}]}, "rules.0.points", "INVALID"),
        ({"rules": [{**RULES[0], "attribute": "password"}]}, "rules.0.attribute", "INVALID"),
        ({"rules": [{**RULES[0], "op": None}]}, "rules.0.op", "INVALID"),
        ({"rules": [{**RULES[0], "op": "GTE", "value": "big"}]}, "rules.0.value", "INVALID"),
        ({"rules": [{**RULES[0], "op": "IN", "value": []}]}, "rules.0.value", "INVALID"),
        ({"rules": [{**RULES[1], "event": None}]}, "rules.0.event", "INVALID"),
        ({"rules": [{**RULES[1], "cap": -1}]}, "rules.0.cap", "INVALID"),
    ],
)
async def test_a_bad_model_is_refused_with_typed_errors_and_nothing_saved(
    unicrm_state, gql, changes, field, code
):
    result = await _save(gql, **changes)
    assert result["model"] is None
    assert (result["errors"][0]["field"], result["errors"][0]["code"]) == (field, code)
    data = await gql("{ maScoringModels { key } }")
    assert data["data"]["maScoringModels"] == []


async def test_one_model_is_active_and_recompute_refuses_without_one(unicrm_state, gql):
    anan = await _prospect(unicrm_state)
    recompute = "mutation($i: MaLeadScoreRecomputeInput!) { maLeadScoreRecompute(input: $i) { errors { field code } leadScore { value } } }"
    none = await gql(recompute, {"i": {"customerId": customer_gid(anan)}})
    assert none["data"]["maLeadScoreRecompute"]["errors"] == [
        {"field": None, "code": "NO_ACTIVE_MODEL"}
    ]
    await _save(gql)
    await _save(gql, key="b2c", name="B2C")
    models = (await gql("{ maScoringModels { key active } }"))["data"]["maScoringModels"]
    assert models == [{"key": "b2c", "active": True}, {"key": "b2b", "active": False}]
    bad = await gql(recompute, {"i": {"customerId": "nope"}})
    assert bad["data"]["maLeadScoreRecompute"]["errors"][0]["code"] == "INVALID_ID"
    missing = await gql(recompute, {"i": {"customerId": customer_gid(uuid.uuid4())}})
    assert missing["data"]["maLeadScoreRecompute"]["errors"] == [
        {"field": "customerId", "code": "NOT_FOUND"}
    ]


async def test_concurrent_hits_of_one_customer_respect_the_cap(unicrm_state, gql, anonymous_client):
    """Scoring locks the customer: hits scored at once never overshoot a rule's cap, and each
    hit is scored once (on PostgreSQL the four transactions really overlap)."""
    await _save(gql, rules=RULES[1:2])  # pricing: 5 points a view, capped at 10
    anan = await _prospect(unicrm_state)
    visitor = uuid.uuid4()
    async with unicrm_state.db.transaction() as session:
        await identify(session, visitor, anan)

    await asyncio.gather(
        *(_visit(anonymous_client, visitor, f"https://shop.test/pricing?v={i}") for i in range(4))
    )

    assert await count(unicrm_state, ScoreChange) == 2
    assert (await _score(gql, anan))["leadScore"]["value"] == 10
