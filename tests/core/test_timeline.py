from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import from_global_id, to_global_id
from unicrm.core.graph.orders.models import OrderSource
from unicrm.core.graph.orders.services import LineData, OrderData, create_order
from unicrm.core.graph.products.services import Price, ProductData, create_product
from unicrm.core.graph.timeline.kinds import KINDS
from unicrm.core.graph.timeline.models import TimelineEntry
from unicrm.core.graph.timeline.services import KIND, add_entry

FEED = """
query($id: ID!, $first: Int, $after: String, $kinds: [String!]) {
  customer(id: $id) {
    timeline(first: $first, after: $after, kinds: $kinds) {
      edges { node { kind title summary data source refType refId occurredAt } }
      pageInfo { hasNextPage endCursor }
      totalCount
    }
  }
}
"""

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def customer(unicrm_state) -> str:
    """A customer with six entries, one hour apart, alternating two plugin kinds."""
    async with unicrm_state.db.transaction() as session:
        row = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Ploy")
        )
        for i in range(6):
            add_entry(
                session,
                row.id,
                "ma.email_opened" if i % 2 else "loyalty.points_earned",
                f"Entry {i}",
                summary=f"#{i}",
                data={"i": i},
                occurred_at=START + timedelta(hours=i),
            )
    return to_global_id("Customer", row.id)


async def feed(gql, customer: str, **variables) -> dict:
    body = await gql(FEED, {"id": customer, **variables})
    assert "errors" not in body, body
    return body["data"]["customer"]["timeline"]


async def test_timeline_pages_newest_first(gql, customer):
    titles, after = [], None
    while True:
        page = await feed(gql, customer, first=4, after=after)
        assert page["totalCount"] == 6
        titles += [e["node"]["title"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert titles == [f"Entry {i}" for i in reversed(range(6))]


async def test_entries_at_the_same_instant_keep_insertion_order_newest_first(
    gql, unicrm_state, customer
):
    async with unicrm_state.db.transaction() as session:
        for title in ("Same A", "Same B"):
            add_entry(
                session,
                from_global_id(customer)[1],
                "ma.email_opened",
                title,
                occurred_at=START + timedelta(hours=9),
            )
    page = await feed(gql, customer, first=1)
    second = await feed(gql, customer, first=1, after=page["pageInfo"]["endCursor"])
    assert [page["edges"][0]["node"]["title"], second["edges"][0]["node"]["title"]] == [
        "Same B",
        "Same A",
    ]


async def test_timeline_filters_by_kind(gql, customer):
    page = await feed(gql, customer, kinds=["ma.email_opened"])
    assert [e["node"]["title"] for e in page["edges"]] == ["Entry 5", "Entry 3", "Entry 1"]
    assert page["totalCount"] == 3
    node = page["edges"][0]["node"]
    assert node | {"occurredAt": None} == {
        "kind": "ma.email_opened",
        "title": "Entry 5",
        "summary": "#5",
        "data": {"i": 5},
        "source": "ma",
        "refType": None,
        "refId": None,
        "occurredAt": None,
    }
    assert (await feed(gql, customer, kinds=[]))["edges"] == []


@pytest.mark.parametrize(
    "variables",
    [{"first": 1000}, {"kinds": ["not a kind"]}, {"kinds": ["ma.x"] * 51}, {"after": "%%"}],
    ids=["page-size", "malformed-kind", "too-many-kinds", "bad-cursor"],
)
async def test_bad_timeline_arguments_are_bad_requests(gql, customer, variables):
    body = await gql(FEED, {"id": customer, **variables})
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_placed_order_appears_with_a_resolvable_reference(gql, unicrm_state, customer):
    async with unicrm_state.db.transaction() as session:
        product = await create_product(
            session, ProductData(sku="T-1", name="Tea", price=Price(Decimal("1.5"), "THB"))
        )
        data = OrderData(
            customer_id=from_global_id(customer)[1],
            source=OrderSource.ECOMMERCE,
            currency="THB",
            lines=[LineData(product_id=product.id, quantity=1)],
        )
        await create_order(session, data)
    page = await feed(gql, customer, first=1, kinds=["core.order_placed"])
    node = page["edges"][0]["node"]
    assert (node["title"], node["summary"], node["source"]) == (
        "Order placed",
        "1 item, 1.50 THB",
        "core",
    )
    body = await gql(
        "query($id: ID!) { node(id: $id) { ... on Order { source } } }", {"id": node["refId"]}
    )
    assert body["data"]["node"] == {"source": "ECOMMERCE"}


async def test_malformed_or_undeclared_core_kinds_cannot_be_written(unicrm_state, customer):
    async with unicrm_state.db.session() as session:
        for kind in ("order_placed", "Core.Order", "core.something_new"):
            with pytest.raises(ValueError):
                add_entry(session, from_global_id(customer)[1], kind, "x")
        assert await session.scalar(select(func.count()).select_from(TimelineEntry)) == 6


def test_core_kinds_are_well_formed_and_described():
    assert all(KIND.fullmatch(k) and k.startswith("core.") and d for k, d in KINDS.items())
