"""``Customer.service``: purchases with the lifetime value, products owned, contracts and
cases in one query, at a statement count that does not grow with the page (no N+1)."""

from __future__ import annotations

from executor.support import both
from sqlalchemy import select, update

from plugins.crm_support import asset, order, product
from plugins.support import add_customers, add_rows, customer_gid
from unicrm.core.db.types import utcnow
from unicrm.core.graph.orders.models import Order, OrderStatus
from unicrm.core.testing.statements import StatementCounter
from unicrm.plugins.crm.models import Case, Survey

PAGE = """query($first: Int!) { customers(first: $first) { edges { node { displayName
    service {
      recentOrders(limit: 2) { id }
      purchases { orderCount firstOrderAt lastOrderAt lifetimeValue { amount currency } }
      assets { serialNumber product { sku } }
      contracts { id }
      cases { subject status }
      satisfaction { answered averageScore }
    } } } } }"""


async def _seed(state, n: int) -> list:
    ids = await add_customers(state, *(f"Customer {i}" for i in range(n)))
    router = await product(state, f"ROUTER-{n}")
    for i, customer_id in enumerate(ids):
        await order(state, customer_id)
        await order(state, customer_id)
        await asset(state, customer_id, router, f"SN-{n}-{i}")
        case = Case(customer_id=customer_id, subject=f"Case {i}", reopen_count=0)
        await add_rows(state, case)
        await add_rows(state, Survey(case_id=case.id, score=1 + i % 5, answered_at=utcnow()))
    return ids


async def _count(state, gql, first: int) -> tuple[int, dict]:
    with StatementCounter(state) as counter:
        body = await gql(PAGE, {"first": first})
    return counter.count, body


async def test_the_service_view_costs_the_same_for_3_or_12_customers(gql, unicrm_state):
    await _seed(unicrm_state, 12)

    small, _ = await _count(unicrm_state, gql, 3)
    large, body = await _count(unicrm_state, gql, 12)

    assert "errors" not in body, body
    nodes = [e["node"] for e in body["data"]["customers"]["edges"]]
    assert len(nodes) == 12
    assert all(len(n["service"]["recentOrders"]) == 2 for n in nodes)
    assert all(n["service"]["cases"] and n["service"]["assets"] for n in nodes)
    assert sorted(n["service"]["satisfaction"]["averageScore"] for n in nodes)[-1] == 5.0
    assert large == small


async def test_lifetime_value_counts_placed_orders_only(gql, unicrm_state):
    [malee] = await _seed(unicrm_state, 1)
    await order(unicrm_state, malee)
    async with unicrm_state.db.transaction() as session:
        await session.execute(
            update(Order)
            .where(Order.id == (await order_of(session, malee)))
            .values(status=OrderStatus.CANCELLED)
        )

    body = await gql(
        "query($id: ID!) { customer(id: $id) { service { purchases { orderCount "
        "lifetimeValue { amount currency } } assets { serialNumber } } } }",
        {"id": customer_gid(malee)},
    )

    service = body["data"]["customer"]["service"]
    assert service["purchases"] == {
        "orderCount": 2,
        "lifetimeValue": [{"amount": "200.0000", "currency": "THB"}],
    }
    assert service["assets"] == [{"serialNumber": "SN-1-0"}]


async def order_of(session, customer_id):
    return await session.scalar(
        select(Order.id).where(Order.customer_id == customer_id).order_by(Order.id.desc()).limit(1)
    )


FULL = """query($first: Int!) { customers(first: $first) { edges { node { displayName
    cases { subject mergedInto { id } }
    service {
      recentOrders(limit: 2) { id }
      purchases { orderCount lifetimeValue { amount currency } }
      assets { serialNumber }
      contracts { id }
      satisfaction { answered averageScore }
      value { rfm churnRisk predictedValue { amount } }
      cases {
        id subject status priority channel category serialNumber openedAt reopenCount
        customer { displayName } team { name } assignee { email } product { sku }
        asset { serialNumber } order { id } mergedInto { id }
        messages { kind body author { email } attachments { filename } delivery { status } }
        attachments { filename } statusHistory { fromStatus toStatus }
        sla { resolutionDueAt policy { name } }
        visits { status case { id } booking { id } team { name } technician { email } }
        survey { score link }
      }
    } } } } }"""


async def test_customer_queries_selecting_service_fields_run_compiled(client, unicrm_state):
    """Every CRM field on customers is declared for the compiled executor: no fallback, the
    same answer as strawberry's execution."""
    await _seed(unicrm_state, 3)
    body = await both(client, FULL, {"first": 3})
    assert "errors" not in body, body
    nodes = [e["node"] for e in body["data"]["customers"]["edges"]]
    assert all(n["service"]["cases"][0]["survey"]["score"] for n in nodes)
