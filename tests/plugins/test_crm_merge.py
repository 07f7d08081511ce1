"""Merging duplicate cases: the duplicate's conversation and history move to the survivor,
the duplicate is closed and points to it, the merge is audited; bad merges change nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from plugins.crm_support import MESSAGE, OPEN, STATUS, codes
from plugins.support import add_customers, customer_gid
from unicrm.core.audit.models import AuditEntry
from unicrm.core.events.models import OutboxEvent
from unicrm.plugins.crm.models import Case, CaseMessage, CaseStatusChange

MERGE = """mutation($source: ID!, $target: ID!) {
    caseMerge(input: {sourceId: $source, targetId: $target}) {
    errors { field code message } case { id status messages { kind body } } } }"""
CASE = """query($id: ID!) { case(id: $id) { status closedAt mergedInto { id }
    statusHistory { toStatus } } }"""


async def _count(state, model, *where) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def _case(gql, customer, subject: str, message: str) -> str:
    variables = {
        "input": {"customerId": customer_gid(customer), "subject": subject, "channel": "PHONE"}
    }
    case_id = (await gql(OPEN, variables))["data"]["caseOpen"]["case"]["id"]
    await gql(MESSAGE, {"input": {"caseId": case_id, "kind": "CUSTOMER", "body": message}})
    return case_id


async def test_a_duplicate_moves_into_the_survivor(gql, unicrm_state):
    state = unicrm_state
    [malee] = await add_customers(state, "Malee")
    survivor = await _case(gql, malee, "No internet", "Since this morning.")
    duplicate = await _case(gql, malee, "Internet down", "Called twice already.")

    merged = (await gql(MERGE, {"source": duplicate, "target": survivor}))["data"]["caseMerge"]
    assert merged["errors"] == []
    bodies = [(m["kind"], m["body"]) for m in merged["case"]["messages"]]
    assert ("CUSTOMER", "Since this morning.") in bodies
    assert ("CUSTOMER", "Called twice already.") in bodies
    assert bodies[-1][0] == "NOTE" and duplicate in bodies[-1][1]

    gone = (await gql(CASE, {"id": duplicate}))["data"]["case"]
    assert gone["status"] == "CLOSED" and gone["closedAt"] is not None
    assert gone["mergedInto"] == {"id": survivor}
    assert [h["toStatus"] for h in gone["statusHistory"]] == ["CLOSED"]
    history = (await gql(CASE, {"id": survivor}))["data"]["case"]["statusHistory"]
    assert [h["toStatus"] for h in history].count("NEW") == 2  # both cases' openings
    assert await _count(state, AuditEntry, AuditEntry.action == "crm.case_merge") == 1
    assert await _count(state, OutboxEvent, OutboxEvent.type == "crm.case_merged") == 1


async def test_bad_merges_change_nothing(gql, unicrm_state):
    state = unicrm_state
    malee, somchai = await add_customers(state, "Malee", "Somchai")
    first = await _case(gql, malee, "No internet", "Since this morning.")
    other = await _case(gql, somchai, "Bill wrong", "Charged twice.")
    closed = await _case(gql, malee, "Old", "Old problem.")
    for status in ("RESOLVED", "CLOSED"):
        await gql(STATUS, {"id": closed, "status": status})
    before = (
        await _count(state, CaseMessage),
        await _count(state, CaseStatusChange),
        await _count(state, Case, Case.status == "closed"),
    )

    cases = [
        ((first, first), [("targetId", "SAME_CASE")]),
        ((first, other), [("targetId", "DIFFERENT_CUSTOMER")]),
        ((first, closed), [("targetId", "CASE_CLOSED")]),
        ((closed, first), [("sourceId", "CASE_CLOSED")]),
        ((first, customer_gid(malee)), [("targetId", "INVALID_ID")]),
    ]
    for (source, target), expected in cases:
        result = await gql(MERGE, {"source": source, "target": target})
        assert codes(result["data"]["caseMerge"]) == expected, (source, target)
    assert (
        await _count(state, CaseMessage),
        await _count(state, CaseStatusChange),
        await _count(state, Case, Case.status == "closed"),
    ) == before
    assert await _count(state, AuditEntry, AuditEntry.action == "crm.case_merge") == 0
