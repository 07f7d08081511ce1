"""``myPipeline``: a rep follows their own deals live (created, moved, assigned to them)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import select
from subscriptions.support import live, ws_client

from plugins.sfa_support import b2b
from plugins.support import add_customers
from unicrm.core.app import create_app
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.users.models import User
from unicrm.core.testing.pytest_plugin import sign_in_as
from unicrm.core.testing.servers import serve
from unicrm.plugins.sfa.services import assignment
from unicrm.plugins.sfa.services import deals as deal_services

FEED = "subscription { myPipeline { type deal { id title stage { name } owner { email } } } }"


@pytest_asyncio.fixture(loop_scope="session")
async def server(unicrm_state) -> AsyncIterator[str]:
    async with serve(create_app(state=unicrm_state), scheme="ws") as base:
        yield base


async def test_a_rep_sees_their_own_deals_move_and_arrive_and_nobody_elses(server, unicrm_state):
    stages = await b2b(unicrm_state)
    [somchai] = await add_customers(unicrm_state, "Somchai")
    token = await sign_in_as(unicrm_state, "ann@unicrm.test", "sales_rep")
    await sign_in_as(unicrm_state, "ben@unicrm.test", "sales_rep")
    async with unicrm_state.db.session() as session:
        ids = dict((await session.execute(select(User.email, User.id))).all())
    ann, ben = ids["ann@unicrm.test"], ids["ben@unicrm.test"]

    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", FEED)
        await live(unicrm_state, 1)
        async with unicrm_state.db.transaction() as session:
            await deal_services.create_deal(
                session, deal_services.DealData(customer_id=somchai, title="Ben's", owner_id=ben)
            )
            mine = await deal_services.create_deal(
                session, deal_services.DealData(customer_id=somchai, title="Ann's", owner_id=ann)
            )
            given = await deal_services.create_deal(
                session, deal_services.DealData(customer_id=somchai, title="Handed", owner_id=ben)
            )
        await unicrm_state.events.after_commit()
        created = await ws.receive()
        async with unicrm_state.db.transaction() as session:
            await deal_services.move_stage(
                session, mine.id, stages["Qualify"].id, expected_version=1
            )
            await assignment.hand_off(session, given.id, ann, "Over to you")
        await unicrm_state.events.after_commit()
        moved = await ws.receive()
        handed = await ws.receive()

    def seen(message: dict) -> tuple:
        event = message["payload"]["data"]["myPipeline"]
        return (event["type"], event["deal"]["title"], event["deal"]["stage"]["name"])

    assert seen(created) == ("deal.created", "Ann's", "Opportunity")
    assert seen(moved) == ("deal.stage_changed", "Ann's", "Qualify")
    assert seen(handed) == ("deal.assigned", "Handed", "Opportunity")
    assert created["payload"]["data"]["myPipeline"]["deal"]["id"] == to_global_id("Deal", mine.id)
