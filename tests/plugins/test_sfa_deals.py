"""Deals through GraphQL: open, edit, move through stages (history, lost reasons, version
conflicts) and contacts with roles; every bad input is a typed error that writes nothing."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from executor.support import both
from sqlalchemy import func, select

from plugins.sfa_support import add_team, b2b, gid
from plugins.support import add_customers, customer_gid
from unicrm.core.errors import DomainError
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.timeline.models import TimelineEntry
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as
from unicrm.plugins.sfa.models import Deal, DealContact, StageChange, StageKind
from unicrm.plugins.sfa.services import deals as deal_services
from unicrm.plugins.sfa.services.pipelines import StageSpec, create_pipeline, stages_of

DEAL_FIELDS = """id title version source nextStep lostReason closedAt expectedCloseDate
  amount { amount currency } stage { name } pipeline { name } owner { email }
  company { displayName } team { name } contacts { role person { displayName } }
  stageHistory { fromStage { name } toStage { name } changedBy secondsInStage }"""
CREATE = f"""mutation($input: DealCreateInput!) {{ dealCreate(input: $input) {{
  deal {{ {DEAL_FIELDS} }} errors {{ field code message }} }} }}"""
MOVE = f"""mutation($input: DealMoveStageInput!) {{ dealMoveStage(input: $input) {{
  deal {{ {DEAL_FIELDS} }} errors {{ field code message }} }} }}"""
UPDATE = f"""mutation($input: DealUpdateInput!) {{ dealUpdate(input: $input) {{
  deal {{ {DEAL_FIELDS} }} errors {{ field code message }} }} }}"""
CONTACT_SET = f"""mutation($input: DealContactSetInput!) {{ dealContactSet(input: $input) {{
  deal {{ {DEAL_FIELDS} }} errors {{ field code message }} }} }}"""
CONTACT_REMOVE = f"""mutation($input: DealContactRemoveInput!) {{
  dealContactRemove(input: $input) {{ deal {{ {DEAL_FIELDS} }} errors {{ field code }} }} }}"""


async def company(state, name: str) -> uuid.UUID:
    async with state.db.transaction() as session:
        row = await create_customer(
            session, CustomerData(kind=CustomerKind.COMPANY, company_name=name)
        )
    return row.id


async def count(state, what) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(what)) or 0)


async def open_deal(gql, customer_id: uuid.UUID, **extra) -> dict:
    body = await gql(
        CREATE,
        {"input": {"customerId": customer_gid(customer_id), "title": "POS rollout", **extra}},
    )
    payload = body["data"]["dealCreate"]
    assert payload["errors"] == [], payload
    return payload["deal"]


async def test_a_new_deal_starts_in_the_default_pipeline_owned_by_its_creator(gql, unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")

    deal = await open_deal(gql, somchai, amount={"amount": "150000.50"}, nextStep="Demo")

    assert deal["stage"] == {"name": "Opportunity"}
    assert deal["pipeline"] == {"name": "B2B"}
    assert deal["owner"] == {"email": "admin@unicrm.test"}
    assert deal["amount"] == {"amount": "150000.5000", "currency": "THB"}
    assert deal["source"] == "MANUAL"
    assert deal["nextStep"] == "Demo"
    assert deal["version"] == 1
    assert deal["stageHistory"] == [
        {
            "fromStage": None,
            "toStage": {"name": "Opportunity"},
            "changedBy": "admin",
            "secondsInStage": None,
        }
    ]
    async with unicrm_state.db.session() as session:
        kinds = (await session.scalars(select(TimelineEntry.kind))).all()
        events = (await session.scalars(select(OutboxEvent.type))).all()
    assert "sfa.deal_opened" in kinds
    assert "deal.created" in events


async def test_a_deal_has_a_company_a_team_and_contacts_with_roles(gql, unicrm_state):
    somchai, malee = await add_customers(unicrm_state, "Somchai", "Malee")
    acme = await company(unicrm_state, "Acme Thailand")
    team_id = gid("Team", await add_team(unicrm_state, "Bangkok field sales"))

    deal = await open_deal(
        gql,
        somchai,
        companyId=customer_gid(acme),
        teamId=team_id,
        source="MA_HANDOFF",
        expectedCloseDate="2030-03-31",
        contacts=[
            {"customerId": customer_gid(somchai), "role": "DECISION_MAKER"},
            {"customerId": customer_gid(malee), "role": "INFLUENCER"},
        ],
    )

    assert deal["company"] == {"displayName": "Acme Thailand"}
    assert deal["team"] == {"name": "Bangkok field sales"}
    assert deal["source"] == "MA_HANDOFF"
    assert deal["expectedCloseDate"] == "2030-03-31"
    assert deal["contacts"] == [
        {"role": "DECISION_MAKER", "person": {"displayName": "Somchai"}},
        {"role": "INFLUENCER", "person": {"displayName": "Malee"}},
    ]


async def test_deal_create_refuses_bad_input_and_writes_nothing(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    acme = await company(unicrm_state, "Acme")
    async with unicrm_state.db.transaction() as session:
        other = await create_pipeline(
            session,
            "Retail",
            [
                StageSpec("New", 10),
                StageSpec("Won", 100, StageKind.WON),
                StageSpec("Lost", 0, StageKind.LOST),
            ],
        )
    other_stage = gid("PipelineStage", (await first_stage_of(unicrm_state, other.id)).id)
    cases = [
        ({"title": "  "}, "title", "REQUIRED"),
        ({"amount": {"amount": "-1"}}, "amount", "INVALID_AMOUNT"),
        ({"amount": {"amount": "10", "currency": "baht"}}, "amount.currency", "INVALID_AMOUNT"),
        ({"companyId": customer_gid(somchai)}, "companyId", "WRONG_KIND"),
        ({"customerId": customer_gid(uuid.UUID(int=5))}, "customerId", "NOT_FOUND"),
        ({"customerId": "nonsense"}, "customerId", "INVALID_ID"),
        (
            {
                "pipelineId": gid("Pipeline", stages["Opportunity"].pipeline_id),
                "stageId": other_stage,
            },
            "stageId",
            "STAGE_NOT_IN_PIPELINE",
        ),
        ({"stageId": gid("PipelineStage", stages["Closed Won"].id)}, "stageId", "STAGE_CLOSED"),
        (
            {"contacts": [{"customerId": customer_gid(acme), "role": "INFLUENCER"}]},
            "contacts.0.customerId",
            "WRONG_KIND",
        ),
        ({"nextStep": "x" * 501}, "nextStep", "TOO_LONG"),
    ]
    for extra, field, code in cases:
        body = await gql(
            CREATE,
            {"input": {"customerId": customer_gid(somchai), "title": "Fleet", **extra}},
        )
        payload = body["data"]["dealCreate"]
        assert payload["deal"] is None, extra
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)], extra

    assert await count(unicrm_state, Deal) == 0
    assert await count(unicrm_state, StageChange) == 0


async def first_stage_of(state, pipeline_id: uuid.UUID):
    async with state.db.session() as session:
        return (await stages_of(session, pipeline_id))[0]


async def test_moving_a_deal_records_from_to_who_and_time_in_stage(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    deal = await open_deal(gql, somchai)

    body = await gql(
        MOVE,
        {
            "input": {
                "id": deal["id"],
                "stageId": gid("PipelineStage", stages["Negotiation"].id),
                "expectedVersion": 1,
            }
        },
    )

    moved = body["data"]["dealMoveStage"]
    assert moved["errors"] == []
    assert moved["deal"]["stage"] == {"name": "Negotiation"}
    assert moved["deal"]["version"] == 2
    assert moved["deal"]["closedAt"] is None
    [_opening, move] = moved["deal"]["stageHistory"]
    assert move["fromStage"] == {"name": "Opportunity"}
    assert move["toStage"] == {"name": "Negotiation"}
    assert move["changedBy"] == "admin"
    assert int(move["secondsInStage"]) >= 0
    async with unicrm_state.db.session() as session:
        entry = await session.scalar(
            select(TimelineEntry).where(TimelineEntry.kind == "sfa.deal_stage_changed")
        )
        event = await session.scalar(
            select(OutboxEvent).where(OutboxEvent.type == "deal.stage_changed")
        )
    assert entry is not None and entry.title == "POS rollout: Opportunity → Negotiation"
    assert event is not None and event.payload["to_stage_id"] == str(stages["Negotiation"].id)


async def test_closing_lost_needs_a_reason_and_reopening_clears_it(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    deal = await open_deal(gql, somchai)
    lost = gid("PipelineStage", stages["Closed Lost"].id)

    refused = await gql(MOVE, {"input": {"id": deal["id"], "stageId": lost, "expectedVersion": 1}})
    payload = refused["data"]["dealMoveStage"]
    assert payload["deal"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("lostReason", "LOST_REASON_REQUIRED")
    ]
    assert await count(unicrm_state, StageChange) == 1

    closed = await gql(
        MOVE,
        {
            "input": {
                "id": deal["id"],
                "stageId": lost,
                "expectedVersion": 1,
                "lostReason": "Chose a competitor",
            }
        },
    )
    deal = closed["data"]["dealMoveStage"]["deal"]
    assert deal["lostReason"] == "Chose a competitor"
    assert deal["closedAt"] is not None

    reopened = await gql(
        MOVE,
        {
            "input": {
                "id": deal["id"],
                "stageId": gid("PipelineStage", stages["Qualify"].id),
                "expectedVersion": 2,
            }
        },
    )
    deal = reopened["data"]["dealMoveStage"]["deal"]
    assert (deal["lostReason"], deal["closedAt"], deal["version"]) == (None, None, 3)


async def test_a_stage_of_another_pipeline_is_refused_and_nothing_changes(gql, unicrm_state):
    await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    deal = await open_deal(gql, somchai)
    async with unicrm_state.db.transaction() as session:
        retail = await create_pipeline(
            session,
            "Retail",
            [
                StageSpec("New", 10),
                StageSpec("Won", 100, StageKind.WON),
                StageSpec("Lost", 0, StageKind.LOST),
            ],
        )
    elsewhere = await first_stage_of(unicrm_state, retail.id)

    body = await gql(
        MOVE,
        {
            "input": {
                "id": deal["id"],
                "stageId": gid("PipelineStage", elsewhere.id),
                "expectedVersion": 1,
            }
        },
    )

    payload = body["data"]["dealMoveStage"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("stageId", "STAGE_NOT_IN_PIPELINE")
    ]
    after = await gql(
        "query($id: ID!) { node(id: $id) { ... on Deal { version stage { name } } } }",
        {"id": deal["id"]},
    )
    assert after["data"]["node"] == {"version": 1, "stage": {"name": "Opportunity"}}
    assert await count(unicrm_state, StageChange) == 1


async def test_a_move_based_on_an_old_version_is_a_conflict(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    deal = await open_deal(gql, somchai)
    qualify = gid("PipelineStage", stages["Qualify"].id)
    negotiation = gid("PipelineStage", stages["Negotiation"].id)
    first = await gql(MOVE, {"input": {"id": deal["id"], "stageId": qualify, "expectedVersion": 1}})
    assert first["data"]["dealMoveStage"]["errors"] == []

    second = await gql(
        MOVE, {"input": {"id": deal["id"], "stageId": negotiation, "expectedVersion": 1}}
    )

    payload = second["data"]["dealMoveStage"]
    assert payload["deal"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("expectedVersion", "CONFLICT")]
    assert await count(unicrm_state, StageChange) == 2


async def test_unknown_or_malformed_ids_in_a_move_are_typed_errors(gql, unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    deal = await open_deal(gql, somchai)
    cases = [
        ({"id": gid("Deal", uuid.UUID(int=9))}, "id", "NOT_FOUND"),
        ({"stageId": gid("PipelineStage", uuid.UUID(int=9))}, "stageId", "NOT_FOUND"),
        ({"stageId": customer_gid(somchai)}, "stageId", "INVALID_ID"),
        ({"lostReason": "y" * 501}, "lostReason", "TOO_LONG"),
    ]
    for extra, field, code in cases:
        body = await gql(
            MOVE,
            {
                "input": {
                    "id": deal["id"],
                    "stageId": gid("PipelineStage", stages["Qualify"].id),
                    "expectedVersion": 1,
                    **extra,
                }
            },
        )
        errors = body["data"]["dealMoveStage"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [(field, code)], extra
    assert await count(unicrm_state, StageChange) == 1


async def test_concurrent_moves_of_one_deal_end_in_one_conflict_on_postgres(unicrm_state):
    if unicrm_state.db.is_sqlite:
        pytest.skip("one writer at a time on SQLite: concurrency is PostgreSQL's")
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    async with unicrm_state.db.transaction() as session:
        deal = await deal_services.create_deal(
            session, deal_services.DealData(customer_id=somchai, title="Fleet")
        )
    holding = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with unicrm_state.db.transaction() as session:
            await deal_services.move_stage(
                session, deal.id, stages["Qualify"].id, expected_version=1
            )
            holding.set()
            await release.wait()

    async def second() -> DomainError | None:
        await holding.wait()
        try:
            async with unicrm_state.db.transaction() as session:
                # Reads version 1 (the first move is not committed), then waits on the row.
                await deal_services.move_stage(
                    session, deal.id, stages["Negotiation"].id, expected_version=1
                )
        except DomainError as error:
            return error
        return None

    task_one = asyncio.create_task(first())
    task_two = asyncio.create_task(second())
    await holding.wait()
    await asyncio.sleep(0.3)  # the second move now waits for the first one's row lock
    release.set()
    await task_one
    error = await task_two

    assert error is not None and [e.code for e in error.errors] == ["CONFLICT"]
    async with unicrm_state.db.session() as session:
        row = await session.get_one(Deal, deal.id)
        moves = await session.scalar(select(func.count()).where(StageChange.deal_id == deal.id))
    assert (row.stage_id, row.version, moves) == (stages["Qualify"].id, 2, 2)


async def test_deal_update_changes_details_and_refuses_stale_or_bad_edits(gql, unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    deal = await open_deal(gql, somchai)

    body = await gql(
        UPDATE,
        {
            "input": {
                "id": deal["id"],
                "expectedVersion": 1,
                "title": "POS rollout, 12 branches",
                "amount": {"amount": "990000"},
                "nextStep": None,
            }
        },
    )
    updated = body["data"]["dealUpdate"]
    assert updated["errors"] == []
    assert updated["deal"]["title"] == "POS rollout, 12 branches"
    assert updated["deal"]["amount"]["amount"] == "990000.0000"
    assert updated["deal"]["version"] == 2

    cases = [
        ({"expectedVersion": 1, "title": "Stale"}, "expectedVersion", "CONFLICT"),
        ({"amount": None}, "amount", "REQUIRED"),
        ({"amount": {"amount": "-5"}}, "amount", "INVALID_AMOUNT"),
        ({"title": ""}, "title", "REQUIRED"),
        ({"companyId": customer_gid(somchai)}, "companyId", "WRONG_KIND"),
        ({"teamId": gid("Team", uuid.UUID(int=3))}, "teamId", "NOT_FOUND"),
    ]
    for extra, field, code in cases:
        body = await gql(UPDATE, {"input": {"id": deal["id"], **extra}})
        errors = body["data"]["dealUpdate"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [(field, code)], extra
    after = await gql(
        "query($id: ID!) { node(id: $id) { ... on Deal { version title } } }", {"id": deal["id"]}
    )
    assert after["data"]["node"] == {"version": 2, "title": "POS rollout, 12 branches"}


async def test_contacts_are_set_changed_and_removed(gql, unicrm_state):
    somchai, malee = await add_customers(unicrm_state, "Somchai", "Malee")
    acme = await company(unicrm_state, "Acme")
    deal = await open_deal(gql, somchai)
    contact = {"dealId": deal["id"], "customerId": customer_gid(malee)}

    added = await gql(CONTACT_SET, {"input": {**contact, "role": "INFLUENCER"}})
    changed = await gql(CONTACT_SET, {"input": {**contact, "role": "DECISION_MAKER"}})
    assert changed["data"]["dealContactSet"]["deal"]["contacts"] == [
        {"role": "DECISION_MAKER", "person": {"displayName": "Malee"}}
    ]
    assert added["data"]["dealContactSet"]["errors"] == []

    company_as_contact = await gql(
        CONTACT_SET,
        {"input": {"dealId": deal["id"], "customerId": customer_gid(acme), "role": "USER"}},
    )
    assert [
        (e["field"], e["code"]) for e in company_as_contact["data"]["dealContactSet"]["errors"]
    ] == [("customerId", "WRONG_KIND")]

    removed = await gql(CONTACT_REMOVE, {"input": contact})
    assert removed["data"]["dealContactRemove"]["deal"]["contacts"] == []
    again = await gql(CONTACT_REMOVE, {"input": contact})
    assert [(e["field"], e["code"]) for e in again["data"]["dealContactRemove"]["errors"]] == [
        ("customerId", "NOT_FOUND")
    ]
    assert await count(unicrm_state, DealContact) == 0


async def test_a_field_rep_moves_only_their_own_deals(unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    token = await sign_in_as(unicrm_state, "field@unicrm.test", "field_sales")
    async with unicrm_state.db.transaction() as session:
        theirs = await deal_services.create_deal(
            session, deal_services.DealData(customer_id=somchai, title="Someone else's")
        )
    async with client_for(unicrm_state, token) as http:
        mine = (
            await http.post(
                "/graphql",
                json={
                    "query": CREATE,
                    "variables": {"input": {"customerId": customer_gid(somchai), "title": "Mine"}},
                },
            )
        ).json()["data"]["dealCreate"]["deal"]
        moves = [
            (
                await http.post(
                    "/graphql",
                    json={
                        "query": MOVE,
                        "variables": {
                            "input": {
                                "id": deal_id,
                                "stageId": gid("PipelineStage", stages["Qualify"].id),
                                "expectedVersion": 1,
                            }
                        },
                    },
                )
            ).json()["data"]["dealMoveStage"]
            for deal_id in (mine["id"], gid("Deal", theirs.id))
        ]
        listed = (await http.post("/graphql", json={"query": "{ deals { totalCount } }"})).json()

    assert moves[0]["errors"] == [] and moves[0]["deal"]["stage"] == {"name": "Qualify"}
    assert [(e["field"], e["code"]) for e in moves[1]["errors"]] == [("id", "NOT_FOUND")]
    assert listed["data"]["deals"]["totalCount"] == 1


CUSTOMER_DEALS = f"""query($id: ID!) {{ customer(id: $id) {{ displayName
  deals {{ {DEAL_FIELDS} assignmentHistory {{ kind toOwner {{ email }} }}
    quotes {{ id }} activities {{ id }} }}
  salesActivities(limit: 5) {{ id }} }} }}"""


async def test_a_customer_with_deals_and_stages_runs_on_the_compiled_executor(
    client, gql, unicrm_state
):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    deal = await open_deal(gql, somchai)

    body = await both(client, CUSTOMER_DEALS, {"id": customer_gid(somchai)})

    [seen] = body["data"]["customer"]["deals"]
    assert seen["id"] == deal["id"]
    assert seen["stage"] == {"name": "Opportunity"}
    assert [c["toStage"]["name"] for c in seen["stageHistory"]] == ["Opportunity"]
