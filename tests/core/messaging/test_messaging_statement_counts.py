"""``Customer.messages`` over a page of customers costs the same statements whatever its size."""

from __future__ import annotations

from messaging_support import add_customer, add_templates

from unicrm.core.messaging import services
from unicrm.core.messaging.models import MessagePurpose
from unicrm.core.testing.statements import StatementCounter

PAGE = """query($first: Int!) { customers(first: $first) { edges { node {
  displayName
  messages(first: 3) { pageInfo { hasNextPage } nodes { channel status history { status } } }
} } } }"""


async def _statements_for(state, gql, first: int) -> tuple[int, dict]:
    state.departments.invalidate()
    await state.departments.get(None)
    with StatementCounter(state) as counter:
        body = await gql(PAGE, {"first": first})
    return counter.count, body


async def test_customer_messages_cost_no_statement_per_customer(unicrm_state, gql, configure):
    await add_templates(unicrm_state)
    for i in range(20):
        customer = await add_customer(unicrm_state, f"P{i:02d}", email=f"p{i}@example.co.th")
        async with unicrm_state.db.transaction() as session:
            for n in range(4):
                await services.send(
                    session,
                    customer_id=customer,
                    channel="sms" if n % 2 else "email",
                    purpose=MessagePurpose.SERVICE,
                    template="welcome",
                    sender_key=f"job:{n}",
                    context={"code": str(n)},
                )

    small, small_body = await _statements_for(unicrm_state, gql, 3)
    large, large_body = await _statements_for(unicrm_state, gql, 20)

    assert "errors" not in large_body, large_body
    nodes = [e["node"] for e in large_body["data"]["customers"]["edges"]]
    assert len(nodes) == 20
    assert all(len(n["messages"]["nodes"]) == 3 for n in nodes)
    assert all(n["messages"]["pageInfo"]["hasNextPage"] for n in nodes)
    assert all(
        m["history"] == [{"status": "QUEUED"}] for n in nodes for m in n["messages"]["nodes"]
    )
    assert len(small_body["data"]["customers"]["edges"]) == 3
    assert large == small
