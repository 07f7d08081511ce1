"""CRM's first slice: the ``cases`` connection, ``Customer.cases`` and the ``Case`` node."""

from __future__ import annotations

from datetime import timedelta

from plugins.support import add_customers, add_rows, customer_gid
from unicrm.core.db.types import utcnow
from unicrm.core.graph.ids import to_global_id
from unicrm.plugins.crm.models import Case, CasePriority, CaseStatus


def case(customer_id, subject: str, *, minutes: int = 0, **extra) -> Case:
    return Case(
        customer_id=customer_id,
        subject=subject,
        opened_at=utcnow() + timedelta(minutes=minutes),
        **extra,
    )


async def test_cases_are_newest_first_and_filter_by_status(gql, unicrm_state):
    [malee] = await add_customers(unicrm_state, "Malee")
    await add_rows(
        unicrm_state,
        case(malee, "Refund", minutes=1, status=CaseStatus.OPEN),
        case(malee, "Login", minutes=2),
        case(malee, "Invoice", minutes=3, status=CaseStatus.OPEN, priority=CasePriority.URGENT),
    )
    query = """query($status: CaseStatus) { cases(first: 10, status: $status) {
        edges { node { subject status priority } } totalCount } }"""

    everything = (await gql(query))["data"]["cases"]
    opened = (await gql(query, {"status": "OPEN"}))["data"]["cases"]

    assert [e["node"]["subject"] for e in everything["edges"]] == ["Invoice", "Login", "Refund"]
    assert everything["edges"][1]["node"] == {
        "subject": "Login",
        "status": "NEW",
        "priority": "NORMAL",
    }
    assert [e["node"]["subject"] for e in opened["edges"]] == ["Invoice", "Refund"]
    assert opened["totalCount"] == 2


async def test_customer_cases_lists_only_that_customers_cases(gql, unicrm_state):
    malee, anan = await add_customers(unicrm_state, "Malee", "Anan")
    await add_rows(unicrm_state, case(malee, "Warranty"), case(anan, "Other"))
    query = "query($id: ID!) { customer(id: $id) { cases { subject } } }"

    body = await gql(query, {"id": customer_gid(malee)})

    assert body == {"data": {"customer": {"cases": [{"subject": "Warranty"}]}}}


async def test_a_case_is_a_node_with_its_customer(gql, unicrm_state):
    [malee] = await add_customers(unicrm_state, "Malee")
    row = case(malee, "Warranty")
    await add_rows(unicrm_state, row)
    query = "query($id: ID!) { node(id: $id) { ... on Case { subject customer { displayName } } } }"

    body = await gql(query, {"id": to_global_id("Case", row.id)})

    assert body == {"data": {"node": {"subject": "Warranty", "customer": {"displayName": "Malee"}}}}
