"""Live feeds of queues and agents over graphql-transport-ws: a case opened in my queue, a
case assigned to me, each only when the subscriber may see it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
from sqlalchemy import select
from subscriptions.support import live, ws_client

from plugins.crm_support import OPEN, gid, team
from plugins.support import add_customers, customer_gid
from unicrm.core.app import create_app
from unicrm.core.db.types import utcnow
from unicrm.core.graph.users.models import User
from unicrm.core.jobs.contracts import JobRun
from unicrm.core.jobs.queue import enqueue
from unicrm.core.testing.pytest_plugin import sign_in_as
from unicrm.core.testing.servers import serve

QUEUE = """subscription($team: ID!) { caseOpenedInQueue(teamId: $team) { subject
    team { name } } }"""
MINE = "subscription { caseAssignedToMe { id subject } }"
ASSIGN = """mutation($id: ID!, $team: ID, $user: ID) {
    caseAssign(input: {id: $id, teamId: $team, assigneeId: $user}) { errors { code } } }"""


@pytest_asyncio.fixture(loop_scope="session")
async def server(unicrm_state) -> AsyncIterator[str]:
    async with serve(create_app(state=unicrm_state), scheme="ws") as base:
        yield base


async def _user(state, email: str):
    async with state.db.session() as session:
        return await session.scalar(select(User.id).where(User.email == email))


async def _open(gql, customer, subject: str, team_id) -> str:
    variables = {
        "input": {
            "customerId": customer_gid(customer),
            "subject": subject,
            "channel": "PHONE",
            "teamId": gid("Team", team_id),
        }
    }
    result = (await gql(OPEN, variables))["data"]["caseOpen"]
    assert result["errors"] == []
    return result["case"]["id"]


async def test_an_agent_hears_of_new_cases_in_the_queue_and_of_cases_given_to_them(
    server, gql, unicrm_state
):
    state = unicrm_state
    token = await sign_in_as(state, "nok@unicrm.test", "support_agent")
    nok = await _user(state, "nok@unicrm.test")
    internet = await team(state, "Internet", [nok])
    billing = await team(state, "Billing")
    [malee] = await add_customers(state, "Malee")

    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("queue", QUEUE, {"team": gid("Team", internet)})
        await ws.subscribe("mine", MINE)
        await live(state, 2)
        await _open(gql, malee, "Wrong bill", billing)  # another queue: not heard
        await _open(gql, malee, "No internet", internet)
        later = await _open(gql, malee, "Slow internet", billing)
        moved = await gql(
            ASSIGN, {"id": later, "team": gid("Team", internet), "user": gid("User", nok)}
        )
        assert moved["data"]["caseAssign"]["errors"] == []
        received = [await ws.receive(), await ws.receive()]

    by_feed = {m["id"]: m["payload"]["data"] for m in received}
    assert by_feed == {
        "queue": {"caseOpenedInQueue": {"subject": "No internet", "team": {"name": "Internet"}}},
        "mine": {"caseAssignedToMe": {"id": later, "subject": "Slow internet"}},
    }


async def test_a_queue_that_does_not_exist_is_refused(server, unicrm_state):
    token = await sign_in_as(unicrm_state, "ann@unicrm.test", "support_agent")
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe(
            "q", QUEUE, {"team": gid("Team", await _user(unicrm_state, "ann@unicrm.test"))}
        )
        answer = await ws.receive()
    assert answer["type"] == "error"
    assert answer["payload"][0]["extensions"]["code"] == "NOT_FOUND"


ALERT = """subscription($team: ID!) { caseSlaAlert(teamId: $team) { id subject } }"""


async def test_a_queue_hears_of_its_sla_alerts(server, gql, unicrm_state):
    state = unicrm_state
    token = await sign_in_as(state, "pim@unicrm.test", "support_agent")
    pim = await _user(state, "pim@unicrm.test")
    internet = await team(state, "Internet", [pim])
    [malee] = await add_customers(state, "Malee")
    policy = {"name": "Default", "firstResponseMinutes": 60, "resolutionMinutes": 480}
    set_policy = """mutation($input: SlaPolicySetInput!) { slaPolicySet(input: $input) {
        errors { code } } }"""
    assert (await gql(set_policy, {"input": policy}))["data"]["slaPolicySet"]["errors"] == []
    case_id = await _open(gql, malee, "No internet", internet)

    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("alerts", ALERT, {"team": gid("Team", internet)})
        await live(state, 1)
        async with state.db.transaction() as session:  # a month later: warned and breached
            job = await enqueue(session, "crm.sla_scan", {})
        later = utcnow() + timedelta(days=30)
        run = JobRun(job.id, job.type, {"now": later.isoformat()}, 1, 5, None)
        async with state.db.transaction() as session:
            await state.registry.job_types["crm.sla_scan"].handler(run, session)
        await state.events.after_commit()
        alert = await ws.receive()

    assert alert["payload"]["data"]["caseSlaAlert"] == {"id": case_id, "subject": "No internet"}
