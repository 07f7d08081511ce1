"""Cases: opening with their links, the status machine with reopening, the conversation,
typed errors that write nothing, the support agent's queue scope, and the customer's data."""

from __future__ import annotations

from datetime import timedelta

from core.lead_support import count, staff
from sqlalchemy import select, update

from plugins.crm_support import MESSAGE, OPEN, STATUS, asset, codes, gid, order, product, team
from plugins.support import add_customers, customer_gid
from unicrm.core.db.types import utcnow
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.notifications.models import Notification
from unicrm.core.graph.timeline.models import TimelineEntry
from unicrm.plugins.crm.models import (
    Case,
    CaseAttachment,
    CaseMessage,
    CaseStatusChange,
)

FILE = {
    "filename": "receipt.jpg",
    "contentType": "image/jpeg",
    "sizeBytes": 2048,
    "url": "https://files.example.com/receipt.jpg",
}


async def test_a_case_opens_with_its_queue_product_item_and_order(gql, unicrm_state):
    state = unicrm_state
    [malee] = await add_customers(state, "Malee")
    router = await product(state, "ROUTER-1")
    item = await asset(state, malee, router, "SN-123")
    bought = await order(state, malee)
    async with staff(state, "ploy@unicrm.test", "support_agent") as ploy:
        queue = await team(state, "Internet support", [ploy.pk])
        payload = (
            await gql(
                OPEN,
                {
                    "input": {
                        "customerId": customer_gid(malee),
                        "subject": "  Internet drops every evening ",
                        "channel": "PHONE",
                        "priority": "HIGH",
                        "category": "Internet/Outage",
                        "teamId": gid("Team", queue),
                        "assigneeId": ploy.gid,
                        "assetId": gid("Asset", item),
                        "orderId": gid("Order", bought),
                        "attachments": [FILE],
                    }
                },
            )
        )["data"]["caseOpen"]
        inbox = await count(state, Notification, Notification.user_id == ploy.pk)

    assert payload["errors"] == []
    case = payload["case"]
    assert case["subject"] == "Internet drops every evening"
    assert (case["status"], case["priority"], case["channel"]) == ("NEW", "HIGH", "PHONE")
    assert case["category"] == "internet/outage"
    assert case["serialNumber"] == "SN-123"  # from the item
    assert case["product"] == {"sku": "ROUTER-1"}
    assert case["team"] == {"name": "Internet support"}
    assert case["assignee"] == {"id": ploy.gid}
    assert case["order"] == {"id": gid("Order", bought)}
    assert inbox == 1
    async with state.db.session() as session:
        event = await session.scalar(
            select(OutboxEvent).where(OutboxEvent.type == "crm.case_opened")
        )
        entry = await session.scalar(
            select(TimelineEntry).where(TimelineEntry.kind == "crm.case_opened")
        )
    assert event.customer_id == malee
    assert event.payload["priority"] == "high"
    assert event.payload["team_id"] == gid("Team", queue)
    assert entry.title == "Case opened: Internet drops every evening"
    assert await count(state, CaseAttachment) == 1


async def test_bad_input_opens_nothing(gql, unicrm_state):
    state = unicrm_state
    malee, anan = await add_customers(state, "Malee", "Anan")
    router = await product(state, "ROUTER-2")
    anans_item = await asset(state, anan, router, "SN-9")
    anans_order = await order(state, anan)
    async with staff(state, "nok@unicrm.test", "support_agent") as nok:
        other_queue = await team(state, "Billing", [])
        cases = [
            ({"subject": " "}, [("subject", "REQUIRED")]),
            ({"subject": "x" * 301}, [("subject", "TOO_LONG")]),
            ({"category": "Bad Category!"}, [("category", "INVALID")]),
            (
                {"attachments": [{**FILE, "sizeBytes": 0, "url": "ftp://x"}]},
                [("attachments.0.sizeBytes", "INVALID"), ("attachments.0.url", "INVALID")],
            ),
            ({"assetId": gid("Asset", anans_item)}, [("assetId", "NOT_FOUND")]),
            ({"orderId": gid("Order", anans_order)}, [("orderId", "NOT_FOUND")]),
            (
                {"teamId": gid("Team", other_queue), "assigneeId": nok.gid},
                [("assigneeId", "NOT_IN_TEAM")],
            ),
            ({"customerId": gid("Team", other_queue)}, [("customerId", "INVALID_ID")]),
        ]
        for given, expected in cases:
            variables = {
                "input": {
                    "customerId": customer_gid(malee),
                    "subject": "Broken",
                    "channel": "EMAIL",
                    **given,
                }
            }
            payload = (await gql(OPEN, variables))["data"]["caseOpen"]
            assert codes(payload) == expected, given
            assert payload["case"] is None

    assert await count(state, Case) == 0
    assert await count(state, OutboxEvent, OutboxEvent.type == "crm.case_opened") == 0


async def _open(gql, customer, **extra) -> str:
    variables = {
        "input": {"customerId": customer_gid(customer), "subject": "Screen", "channel": "CHAT"}
    }
    variables["input"].update(extra)
    payload = (await gql(OPEN, variables))["data"]["caseOpen"]
    assert payload["errors"] == []
    return payload["case"]["id"]


async def test_status_machine_resolves_closes_and_reopens_within_the_window(gql, unicrm_state):
    [malee] = await add_customers(unicrm_state, "Malee")
    case_id = await _open(gql, malee)

    async def move(status: str) -> dict:
        return (await gql(STATUS, {"id": case_id, "status": status}))["data"]["caseStatusSet"]

    illegal = await move("CLOSED")
    assert codes(illegal) == [("status", "INVALID_TRANSITION")]
    for status in ("OPEN", "PENDING_CUSTOMER", "PENDING_INTERNAL", "RESOLVED"):
        assert (await move(status))["case"]["status"] == status
    closed = await move("CLOSED")
    assert closed["case"]["closedAt"] is not None
    assert codes(await move("CLOSED")) == [("status", "INVALID_TRANSITION")]
    reopened = await move("OPEN")
    assert reopened["case"] == {
        "status": "OPEN",
        "resolvedAt": None,
        "closedAt": None,
        "reopenCount": 1,
    }

    await move("RESOLVED")
    await move("CLOSED")
    async with unicrm_state.db.transaction() as session:
        await session.execute(
            update(Case).values(closed_at=utcnow() - timedelta(days=8))
        )  # crm.reopen_days is 7
    late = await move("OPEN")
    assert codes(late) == [("status", "REOPEN_WINDOW_PASSED")]
    assert late["case"] is None

    history = (
        await gql(
            "query($id: ID!) { case(id: $id) { status statusHistory { fromStatus toStatus } } }",
            {"id": case_id},
        )
    )["data"]["case"]
    assert history["status"] == "CLOSED"
    assert [h["toStatus"] for h in history["statusHistory"]] == [
        "NEW",
        "OPEN",
        "PENDING_CUSTOMER",
        "PENDING_INTERNAL",
        "RESOLVED",
        "CLOSED",
        "OPEN",
        "RESOLVED",
        "CLOSED",
    ]
    kinds = await count(
        unicrm_state, TimelineEntry, TimelineEntry.kind == "crm.case_status_changed"
    )
    assert kinds == 8


async def test_conversation_replies_notes_and_customer_messages(gql, unicrm_state):
    [malee] = await add_customers(unicrm_state, "Malee")
    case_id = await _open(gql, malee)

    async def add(kind: str, body: str, **extra) -> dict:
        variables = {"input": {"caseId": case_id, "kind": kind, "body": body, **extra}}
        return (await gql(MESSAGE, variables))["data"]["caseMessageAdd"]

    note = await add("NOTE", "Checked the line: fine")
    assert note["case"] == {"status": "NEW", "firstResponseAt": None}
    reply = await add(
        "REPLY", "Could you restart the router?", thenStatus="PENDING_CUSTOMER", attachments=[FILE]
    )
    assert reply["errors"] == []
    assert reply["message"]["kind"] == "REPLY"
    assert reply["message"]["attachments"] == [{"filename": "receipt.jpg", "sizeBytes": 2048}]
    assert reply["case"]["status"] == "PENDING_CUSTOMER"
    assert reply["case"]["firstResponseAt"] is not None
    answer = await add("CUSTOMER", "Done, still broken")
    assert answer["case"]["status"] == "OPEN"
    assert codes(await add("NOTE", "   ")) == [("body", "REQUIRED")]

    body = await gql(
        "query($id: ID!) { case(id: $id) { messages { kind body } attachments { filename } } }",
        {"id": case_id},
    )
    assert [m["kind"] for m in body["data"]["case"]["messages"]] == ["NOTE", "REPLY", "CUSTOMER"]
    assert body["data"]["case"]["attachments"] == [{"filename": "receipt.jpg"}]


async def test_a_closed_case_takes_no_reply_and_nothing_is_written(gql, unicrm_state):
    [malee] = await add_customers(unicrm_state, "Malee")
    case_id = await _open(gql, malee)
    for status in ("RESOLVED", "CLOSED"):
        await gql(STATUS, {"id": case_id, "status": status})
    before = await count(unicrm_state, CaseMessage)

    payload = (
        await gql(
            MESSAGE,
            {"input": {"caseId": case_id, "kind": "REPLY", "body": "Hello", "attachments": [FILE]}},
        )
    )["data"]["caseMessageAdd"]

    assert codes(payload) == [("caseId", "CASE_CLOSED")]
    assert payload["message"] is None
    assert await count(unicrm_state, CaseMessage) == before
    assert await count(unicrm_state, CaseAttachment) == 0
    update_closed = (
        await gql(
            """mutation($id: ID!) { caseUpdate(input: {id: $id, subject: "New"}) {
            errors { field code } } }""",
            {"id": case_id},
        )
    )["data"]["caseUpdate"]
    assert codes(update_closed) == [("id", "CASE_CLOSED")]


async def test_update_and_assign(gql, unicrm_state):
    state = unicrm_state
    [malee] = await add_customers(state, "Malee")
    case_id = await _open(gql, malee)
    async with staff(state, "joy@unicrm.test", "support_agent") as joy:
        queue = await team(state, "Devices", [joy.pk])
        updated = (
            await gql(
                """mutation($id: ID!) { caseUpdate(input: {id: $id, priority: URGENT,
                category: "device", description: null}) {
                errors { field code } case { priority category description } } }""",
                {"id": case_id},
            )
        )["data"]["caseUpdate"]
        assert updated == {
            "errors": [],
            "case": {"priority": "URGENT", "category": "device", "description": None},
        }
        assign = """mutation($input: CaseAssignInput!) { caseAssign(input: $input) {
            errors { field code } case { team { name } assignee { id } } } }"""
        done = (
            await gql(
                assign,
                {"input": {"id": case_id, "teamId": gid("Team", queue), "assigneeId": joy.gid}},
            )
        )["data"]["caseAssign"]
        assert done == {
            "errors": [],
            "case": {"team": {"name": "Devices"}, "assignee": {"id": joy.gid}},
        }
        bad = (await gql(assign, {"input": {"id": case_id, "assigneeId": customer_gid(malee)}}))[
            "data"
        ]["caseAssign"]
        assert codes(bad) == [("assigneeId", "INVALID_ID")]
        assert await count(state, Notification, Notification.user_id == joy.pk) == 1
    assert await count(state, OutboxEvent, OutboxEvent.type == "crm.case_assigned") == 1


async def test_support_agents_see_and_work_only_their_queues_cases(gql, unicrm_state):
    state = unicrm_state
    [malee] = await add_customers(state, "Malee")
    async with (
        staff(state, "a@unicrm.test", "support_agent") as ann,
        staff(state, "b@unicrm.test", "support_agent") as ben,
        staff(state, "t@unicrm.test", "technician") as tom,
    ):
        internet = await team(state, "Internet", [ann.pk])
        billing = await team(state, "Billing", [ben.pk])
        mine = await _open(gql, malee, teamId=gid("Team", internet), subject="Line down")
        theirs = await _open(gql, malee, teamId=gid("Team", billing), subject="Invoice")
        tom_queue = await team(state, "Field", [tom.pk])
        await _open(gql, malee, teamId=gid("Team", tom_queue), assigneeId=tom.gid, subject="Visit")
        listing = "{ cases(first: 10) { totalCount edges { node { subject } } } }"

        seen = (await ann.gql(listing))["data"]["cases"]
        assert [e["node"]["subject"] for e in seen["edges"]] == ["Line down"]
        assert seen["totalCount"] == 1
        assert (await ann.gql("query($id: ID!) { node(id: $id) { id } }", {"id": theirs}))["data"][
            "node"
        ] is None
        customer_view = await ann.gql(
            "query($id: ID!) { customer(id: $id) { cases { subject } } }",
            {"id": customer_gid(malee)},
        )
        assert customer_view["data"]["customer"]["cases"] == [{"subject": "Line down"}]
        denied = (await ann.gql(STATUS, {"id": theirs, "status": "OPEN"}))["data"]
        assert codes(denied["caseStatusSet"]) == [("id", "NOT_FOUND")]
        allowed = (await ann.gql(STATUS, {"id": mine, "status": "OPEN"}))["data"]
        assert allowed["caseStatusSet"]["case"]["status"] == "OPEN"
        moved_out = (
            await ann.gql(
                """mutation($id: ID!, $team: ID!) { caseAssign(input: {id: $id, teamId: $team})
                { errors { field code } } }""",
                {"id": mine, "team": gid("Team", billing)},
            )
        )["data"]["caseAssign"]
        assert codes(moved_out) == [("teamId", "OUT_OF_SCOPE")]

        tom_sees = (await tom.gql(listing))["data"]["cases"]
        assert [e["node"]["subject"] for e in tom_sees["edges"]] == ["Visit"]
    async with state.db.session() as session:
        team_of_mine = await session.scalar(select(Case.team_id).where(Case.subject == "Line down"))
    assert team_of_mine == internet


async def test_an_agent_opens_cases_into_their_primary_team(unicrm_state):
    state = unicrm_state
    [malee] = await add_customers(state, "Malee")
    async with staff(state, "p@unicrm.test", "support_agent") as pim:
        await team(state, "Front desk", [pim.pk])
        payload = (
            await pim.gql(
                OPEN,
                {
                    "input": {
                        "customerId": customer_gid(malee),
                        "subject": "Walk-in question",
                        "channel": "WALK_IN",
                    }
                },
            )
        )["data"]["caseOpen"]
    assert payload["errors"] == []
    assert payload["case"]["team"] == {"name": "Front desk"}


async def test_export_and_erase_cover_the_conversation(gql, unicrm_state):
    from unicrm.plugins.crm.services import privacy

    [malee] = await add_customers(unicrm_state, "Malee")
    case_id = await _open(gql, malee)
    await gql(
        MESSAGE,
        {"input": {"caseId": case_id, "kind": "CUSTOMER", "body": "Hi", "attachments": [FILE]}},
    )
    async with unicrm_state.db.transaction() as session:
        exported = await privacy.export(session, malee)
        await privacy.erase(session, malee)

    [case] = exported["cases"]
    assert case["subject"] == "Screen"
    assert [m["body"] for m in case["messages"]] == ["Hi"]
    assert [a["filename"] for a in case["attachments"]] == ["receipt.jpg"]
    assert [s["to_status"] for s in case["status_history"]] == ["new"]
    for model in (Case, CaseMessage, CaseAttachment, CaseStatusChange):
        assert await count(unicrm_state, model) == 0
