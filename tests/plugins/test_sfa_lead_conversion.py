"""SFA opens one deal per converted lead; core converts leads without SFA installed."""

from __future__ import annotations

from sqlalchemy import func, select

from plugins.support import add_customers, add_department, customer_gid
from unicrm.core.authz.store import load_policies
from unicrm.core.events.models import OutboxEvent
from unicrm.core.events.outbox import Event
from unicrm.core.state import create_state
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as
from unicrm.plugins.sfa.models import Deal, DealSource
from unicrm.plugins.sfa.services.conversions import open_deal_for_converted_lead

CREATE = """mutation($input: LeadCreateInput!) {
  leadCreate(input: $input) { lead { id owner { id } } errors { code } } }"""
CONVERT = """mutation($id: ID!) { leadConvert(input: {id: $id}) {
  lead { status customer { lifecycleStage } } errors { code } } }"""


async def deals(state) -> list[Deal]:
    async with state.db.session() as session:
        return list((await session.scalars(select(Deal))).all())


async def converted_lead_event(state) -> Event:
    async with state.db.session() as session:
        row = await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "lead.converted"))
    return Event.from_row(row)


async def test_a_converted_lead_opens_one_deal_even_when_delivered_twice(gql, unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    created = await gql(
        CREATE,
        {"input": {"customerId": customer_gid(somchai), "source": "EVENT", "temperature": "HOT"}},
    )
    lead = created["data"]["leadCreate"]["lead"]
    converted = await gql(CONVERT, {"id": lead["id"]})
    assert converted["data"]["leadConvert"]["errors"] == []

    [deal] = await deals(unicrm_state)
    assert deal.customer_id == somchai
    assert deal.source is DealSource.LEAD_CONVERSION
    assert deal.title == "Somchai (event lead)"
    assert deal.owner_id is not None

    event = await converted_lead_event(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        await open_deal_for_converted_lead(event, session)
    await unicrm_state.events.dispatch_pending()
    assert len(await deals(unicrm_state)) == 1

    body = await gql(
        "query($id: ID!) { customer(id: $id) { deals { stage { name } pipeline { isDefault } stageHistory { fromStage { name } toStage { name } changedBy } } timeline(first: 1) { edges { node { kind title } } } } }",
        {"id": customer_gid(somchai)},
    )
    customer = body["data"]["customer"]
    assert customer["deals"] == [
        {
            "stage": {"name": "Opportunity"},
            "pipeline": {"isDefault": True},
            "stageHistory": [
                {"fromStage": None, "toStage": {"name": "Opportunity"}, "changedBy": "system"}
            ],
        }
    ]
    assert customer["timeline"]["edges"][0]["node"] == {
        "kind": "sfa.deal_opened",
        "title": "Deal opened from a hot event lead",
    }


async def test_conversion_works_with_only_core_installed(unicrm_state, unicrm_session_state):
    core_only = create_state(
        unicrm_state.settings,
        plugins={},
        schema_factory=unicrm_session_state.schema_factory,
        db=unicrm_state.db,
    )
    token = await sign_in_as(core_only, "core-admin@unicrm.test", "admin")
    await load_policies(core_only)
    [malee] = await add_customers(unicrm_state, "Malee")
    await add_department(unicrm_state, "counter", [])
    async with client_for(core_only, token) as http:

        async def gql(query: str, variables: dict) -> dict:
            return (
                await http.post("/graphql/counter", json={"query": query, "variables": variables})
            ).json()

        created = await gql(
            CREATE, {"input": {"customerId": customer_gid(malee), "source": "IMPORT"}}
        )
        lead = created["data"]["leadCreate"]["lead"]
        converted = (await gql(CONVERT, {"id": lead["id"]}))["data"]["leadConvert"]

    assert converted == {
        "lead": {"status": "CONVERTED", "customer": {"lifecycleStage": "OPPORTUNITY"}},
        "errors": [],
    }
    assert await deals(unicrm_state) == []
    async with unicrm_state.db.session() as session:
        emitted = await session.scalar(
            select(func.count()).where(OutboxEvent.type == "lead.converted")
        )
    assert emitted == 1
