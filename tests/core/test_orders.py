from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from unicrm.core.db.ids import uuid7
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.customers.models import CustomerAlias, CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import from_global_id, to_global_id
from unicrm.core.graph.orders.models import Order, OrderLine, OrderSource
from unicrm.core.graph.orders.services import LineData, OrderData, create_order
from unicrm.core.graph.products.services import Price, ProductData, create_product
from unicrm.core.graph.tags.services import TagRef, add_tag
from unicrm.core.graph.timeline.models import TimelineEntry
from unicrm.core.testing.statements import StatementCounter

CREATE = """
mutation($input: OrderCreateInput!) {
  orderCreate(input: $input) {
    created
    order {
      id source externalId storeCode status total { amount currency }
      customer { displayName }
      lines { sku name quantity unitPrice { amount } lineTotal { amount } modifiers
              product { sku } }
    }
    errors { field code message }
  }
}
"""


async def counts(state) -> dict[str, int]:
    async with state.db.session() as session:

        async def n(model, *where) -> int:
            stmt = select(func.count()).select_from(model)
            return await session.scalar(stmt.where(*where) if where else stmt)

        return {
            "orders": await n(Order),
            "lines": await n(OrderLine),
            # the order's own entry (its buyer's lifecycle move writes one more)
            "timeline": await n(TimelineEntry, TimelineEntry.kind == "core.order_placed"),
            "events": await n(OutboxEvent, OutboxEvent.type == "order.placed"),
        }


NOTHING = {"orders": 0, "lines": 0, "timeline": 0, "events": 0}


@pytest.fixture
async def shop(unicrm_state) -> dict[str, str]:
    """A customer, two products for sale and one withdrawn, as global ids."""
    async with unicrm_state.db.transaction() as session:
        customer = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Somchai")
        )
        ids = {"customer": to_global_id("Customer", customer.id)}
        for key, sku, price, active in (
            ("noodles", "NDL-1", "59.50", True),
            ("tea", "TEA-1", "25", True),
            ("old", "OLD-1", "10", False),
        ):
            data = ProductData(
                sku=sku, name=sku.title(), price=Price(Decimal(price), "THB"), active=active
            )
            ids[key] = to_global_id("Product", (await create_product(session, data)).id)
    return ids


def order_input(shop: dict[str, str], **extra) -> dict:
    return {
        "customerId": shop["customer"],
        "source": "POS",
        "storeCode": "BKK-01",
        "lines": [
            {"productId": shop["noodles"], "quantity": 2, "modifiers": ["no coriander"]},
            {"productId": shop["tea"], "quantity": 1, "unitPrice": {"amount": "20"}},
        ],
        **extra,
    }


async def test_order_totals_its_lines_and_is_recorded_on_the_timeline(gql, unicrm_state, shop):
    body = await gql(CREATE, {"input": order_input(shop, externalId="R-1")})
    payload = body["data"]["orderCreate"]
    assert payload["errors"] == []
    assert payload["created"] is True
    order = payload["order"]
    assert order["total"] == {"amount": "139.0000", "currency": "THB"}
    assert order["status"] == "PLACED"
    assert order["customer"] == {"displayName": "Somchai"}
    assert order["lines"] == [
        {
            "sku": "NDL-1",
            "name": "Ndl-1",
            "quantity": 2,
            "unitPrice": {"amount": "59.5000"},
            "lineTotal": {"amount": "119.0000"},
            "modifiers": ["no coriander"],
            "product": {"sku": "NDL-1"},
        },
        {
            "sku": "TEA-1",
            "name": "Tea-1",
            "quantity": 1,
            "unitPrice": {"amount": "20.0000"},
            "lineTotal": {"amount": "20.0000"},
            "modifiers": [],
            "product": {"sku": "TEA-1"},
        },
    ]
    assert await counts(unicrm_state) == {"orders": 1, "lines": 2, "timeline": 1, "events": 1}
    async with unicrm_state.db.session() as session:
        entry = await session.scalar(select(TimelineEntry))
    assert (entry.kind, entry.title, entry.summary) == (
        "core.order_placed",
        "Order placed at BKK-01",
        "3 items, 139.00 THB",
    )
    assert to_global_id(entry.ref_type, entry.ref_id) == order["id"]


async def test_order_with_negative_or_zero_quantity_is_rejected_and_writes_nothing(
    gql, unicrm_state, shop
):
    data = order_input(shop)
    data["lines"][0]["quantity"] = -1
    data["lines"][1]["quantity"] = 0
    payload = (await gql(CREATE, {"input": data}))["data"]["orderCreate"]
    assert payload["order"] is None
    assert payload["created"] is False
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("lines.0.quantity", "INVALID"),
        ("lines.1.quantity", "INVALID"),
    ]
    assert await counts(unicrm_state) == NOTHING


async def test_order_with_unknown_product_is_rejected_and_writes_nothing(gql, unicrm_state, shop):
    data = order_input(shop)
    data["lines"][1]["productId"] = to_global_id("Product", uuid7())
    payload = (await gql(CREATE, {"input": data}))["data"]["orderCreate"]
    assert payload["errors"] == [
        {"field": "lines.1.productId", "code": "NOT_FOUND", "message": "no such product"}
    ]
    data["lines"][1]["productId"] = shop["customer"]
    payload = (await gql(CREATE, {"input": data}))["data"]["orderCreate"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("lines.1.productId", "INVALID_ID")
    ]
    assert await counts(unicrm_state) == NOTHING


async def test_order_with_inactive_product_is_rejected_and_writes_nothing(gql, unicrm_state, shop):
    data = order_input(shop)
    data["lines"][0]["productId"] = shop["old"]
    payload = (await gql(CREATE, {"input": data}))["data"]["orderCreate"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("lines.0.productId", "INACTIVE_PRODUCT")
    ]
    assert await counts(unicrm_state) == NOTHING


async def test_order_for_unknown_customer_or_without_lines_is_rejected(gql, unicrm_state, shop):
    data = order_input(shop, customerId=shop["noodles"])
    payload = (await gql(CREATE, {"input": data}))["data"]["orderCreate"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("customerId", "INVALID_ID")]
    data = order_input(shop, lines=[])
    payload = (await gql(CREATE, {"input": data}))["data"]["orderCreate"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("lines", "REQUIRED")]
    assert await counts(unicrm_state) == NOTHING


async def test_order_for_a_merged_away_customer_id_goes_to_the_survivor(gql, unicrm_state, shop):
    old_id = uuid7()
    async with unicrm_state.db.transaction() as session:
        session.add(CustomerAlias(old_id=old_id, customer_id=from_global_id(shop["customer"])[1]))
    data = order_input(shop, customerId=to_global_id("Customer", old_id))
    payload = (await gql(CREATE, {"input": data}))["data"]["orderCreate"]
    assert payload["errors"] == []
    assert payload["order"]["customer"] == {"displayName": "Somchai"}


async def test_unit_price_in_another_currency_or_negative_is_rejected(gql, unicrm_state, shop):
    data = order_input(shop)
    data["lines"][1]["unitPrice"] = {"amount": "-1"}
    data["lines"][0]["unitPrice"] = {"amount": "3", "currency": "USD"}
    payload = (await gql(CREATE, {"input": data}))["data"]["orderCreate"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("lines.0.unitPrice.currency", "CURRENCY_MISMATCH"),
        ("lines.1.unitPrice", "INVALID"),
    ]
    payload = (await gql(CREATE, {"input": order_input(shop, currency="USD")}))["data"]
    assert [(e["field"], e["code"]) for e in payload["orderCreate"]["errors"]] == [
        ("lines.0.unitPrice", "CURRENCY_MISMATCH"),
    ]
    assert await counts(unicrm_state) == NOTHING


async def test_second_order_with_same_external_id_returns_the_first_and_writes_nothing(
    gql, unicrm_state, shop
):
    first = (await gql(CREATE, {"input": order_input(shop, externalId="R-9")}))["data"]
    before = await counts(unicrm_state)
    retry = order_input(shop, externalId=" R-9 ")
    retry["lines"] = retry["lines"][:1]
    again = (await gql(CREATE, {"input": retry}))["data"]["orderCreate"]
    assert again["errors"] == []
    assert again["created"] is False
    assert again["order"] == first["orderCreate"]["order"]
    assert (
        await counts(unicrm_state)
        == before
        == {
            "orders": 1,
            "lines": 2,
            "timeline": 1,
            "events": 1,
        }
    )
    other_source = await gql(
        CREATE, {"input": order_input(shop, externalId="R-9", source="ECOMMERCE")}
    )
    assert other_source["data"]["orderCreate"]["created"] is True


async def test_concurrent_creates_with_same_external_id_make_one_order(gql, unicrm_state, shop):
    results = await asyncio.gather(
        *[gql(CREATE, {"input": order_input(shop, externalId="R-RACE")}) for _ in range(4)]
    )
    payloads = [r["data"]["orderCreate"] for r in results]
    assert all(p["errors"] == [] for p in payloads)
    assert sorted(p["created"] for p in payloads) == [False, False, False, True]
    assert len({p["order"]["id"] for p in payloads}) == 1
    assert await counts(unicrm_state) == {"orders": 1, "lines": 2, "timeline": 1, "events": 1}


async def test_an_insert_that_loses_the_race_returns_the_winners_order(unicrm_state, shop):
    """The loser's check runs before the winner commits, so only the insert can catch it."""
    db = unicrm_state.db
    data = OrderData(
        customer_id=from_global_id(shop["customer"])[1],
        source=OrderSource.POS,
        currency="THB",
        external_id="R-LOCK",
        lines=[LineData(product_id=from_global_id(shop["tea"])[1], quantity=1)],
    )

    async def loser() -> tuple[Order, bool]:
        async with db.transaction() as session:
            return await create_order(session, data)

    async with db.transaction() as session:
        winner, created = await create_order(session, data)
        assert created
        racing = asyncio.create_task(loser())
        await asyncio.sleep(0.3)  # the loser has checked, found nothing, and now waits
        assert not racing.done()
    order, created = await racing
    assert (order.id, created) == (winner.id, False)
    assert await counts(unicrm_state) == {"orders": 1, "lines": 1, "timeline": 1, "events": 1}


async def place(session, customer_id, product_id, n: int, *, start: datetime) -> list[Order]:
    orders = []
    for i in range(n):
        data = OrderData(
            customer_id=customer_id,
            source=OrderSource.POS,
            currency="THB",
            placed_at=start + timedelta(days=i),
            lines=[LineData(product_id=product_id, quantity=i + 1)],
        )
        orders.append((await create_order(session, data))[0])
    return orders


async def test_customer_orders_newest_first_latest_orders_and_root_order(gql, unicrm_state, shop):
    customer_id = from_global_id(shop["customer"])[1]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    async with unicrm_state.db.transaction() as session:
        placed = await place(session, customer_id, from_global_id(shop["tea"])[1], 5, start=start)
    newest = [to_global_id("Order", o.id) for o in reversed(placed)]
    query = """query($id: ID!, $after: String) { customer(id: $id) {
        orders(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor }
                                          totalCount }
        latestOrders(limit: 2) { id lines { quantity } } } }"""
    seen, after = [], None
    while True:
        body = await gql(query, {"id": shop["customer"], "after": after})
        customer = body["data"]["customer"]
        assert customer["latestOrders"] == [
            {"id": newest[0], "lines": [{"quantity": 5}]},
            {"id": newest[1], "lines": [{"quantity": 4}]},
        ]
        page = customer["orders"]
        assert page["totalCount"] == 5
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == newest
    body = await gql(
        "query($id: ID!) { order(id: $id) { placedAt total { amount } } }", {"id": newest[-1]}
    )
    assert body["data"]["order"] == {
        "placedAt": "2024-01-01T00:00:00+00:00",
        "total": {"amount": "25.0000"},
    }


async def test_oversized_orders_page_or_latest_limit_is_a_bad_request(gql, shop):
    body = await gql(
        "query($id: ID!) { customer(id: $id) { orders(first: 1000) { totalCount } } }",
        {"id": shop["customer"]},
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    body = await gql(
        "query($id: ID!) { customer(id: $id) { latestOrders(limit: 1000) { id } } }",
        {"id": shop["customer"]},
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def seed_customers(state, n: int) -> None:
    """``n`` customers, each with two tags and three orders of two lines; one transaction."""
    async with state.db.transaction() as session:
        products = [
            await create_product(
                session, ProductData(sku=f"P-{i}", name=f"P{i}", price=Price(Decimal(5), "THB"))
            )
            for i in range(2)
        ]
        lines = [LineData(product_id=p.id, quantity=1) for p in products]
        for i in range(n):
            customer = await create_customer(
                session, CustomerData(kind=CustomerKind.PERSON, first_name=f"C{i:03}")
            )
            for tag in ("VIP", "Wholesale"):
                await add_tag(session, customer.id, TagRef(name=tag))
            for _ in range(3):
                data = OrderData(
                    customer_id=customer.id, source=OrderSource.MANUAL, currency="THB", lines=lines
                )
                await create_order(session, data)


async def statements_for(state, gql, n: int) -> int:
    query = """query($n: Int!) { customers(first: $n) { edges { node {
        displayName tags { name } latestOrders(limit: 2) { total { amount } lines { sku } } } } } }"""
    state.departments.invalidate()  # each request then reloads the departments exactly once
    with StatementCounter(state) as counter:
        body = await gql(query, {"n": n})
    nodes = [e["node"] for e in body["data"]["customers"]["edges"]]
    assert len(nodes) == n
    assert all(len(c["tags"]) == 2 and len(c["latestOrders"]) == 2 for c in nodes)
    assert all(len(o["lines"]) == 2 for c in nodes for o in c["latestOrders"])
    return counter.count


async def test_fifty_customers_with_tags_and_latest_orders_cost_what_five_do(gql, unicrm_state):
    await seed_customers(unicrm_state, 50)
    assert await statements_for(unicrm_state, gql, 50) == await statements_for(unicrm_state, gql, 5)
