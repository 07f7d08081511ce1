from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from unicrm.core.db.ids import uuid7
from unicrm.core.errors import DomainError
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.products.models import Product
from unicrm.core.graph.products.services import Price, ProductData, create_product

CREATE = """
mutation($input: ProductCreateInput!) {
  productCreate(input: $input) {
    product { id sku name category price { amount currency } active description }
    errors { field code message }
  }
}
"""

UPDATE = """
mutation($input: ProductUpdateInput!) {
  productUpdate(input: $input) {
    product { id sku name category price { amount currency } active }
    errors { field code message }
  }
}
"""

LIST = """
query($first: Int, $after: String, $filter: ProductFilterInput) {
  products(first: $first, after: $after, filter: $filter) {
    edges { node { sku } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""


async def count_products(state) -> int:
    async with state.db.session() as session:
        return await session.scalar(select(func.count()).select_from(Product))


async def seed(state, *items: tuple[str, str, str | None, bool]) -> None:
    async with state.db.transaction() as session:
        for sku, name, category, active in items:
            data = ProductData(
                sku=sku,
                name=name,
                category=category,
                price=Price(Decimal("10"), "THB"),
                active=active,
            )
            await create_product(session, data)


async def test_create_product_normalizes_fields_and_defaults_currency(gql, unicrm_state):
    body = await gql(
        CREATE,
        {
            "input": {
                "sku": " NDL-001 ",
                "name": " Tom  Yum  Noodles ",
                "category": " Food / Noodles/ ",
                "price": {"amount": "59.50"},
            }
        },
    )
    payload = body["data"]["productCreate"]
    assert payload["errors"] == []
    assert payload["product"] | {"id": None} == {
        "id": None,
        "sku": "NDL-001",
        "name": "Tom Yum Noodles",
        "category": "Food/Noodles",
        "price": {"amount": "59.5000", "currency": "THB"},
        "active": True,
        "description": None,
    }
    assert await count_products(unicrm_state) == 1


async def test_duplicate_sku_is_rejected_and_writes_nothing(gql, unicrm_state):
    await seed(unicrm_state, ("NDL-001", "Noodles", None, True))
    body = await gql(
        CREATE, {"input": {"sku": "NDL-001", "name": "Other", "price": {"amount": "1"}}}
    )
    payload = body["data"]["productCreate"]
    assert payload["product"] is None
    assert payload["errors"] == [
        {"field": "sku", "code": "DUPLICATE", "message": "sku 'NDL-001' is already used"}
    ]
    assert await count_products(unicrm_state) == 1


async def test_negative_price_and_bad_currency_are_rejected_and_write_nothing(gql, unicrm_state):
    body = await gql(
        CREATE,
        {"input": {"sku": "X", "name": "X", "price": {"amount": "-1", "currency": "BAHT"}}},
    )
    payload = body["data"]["productCreate"]
    assert payload["product"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("price", "INVALID"),
        ("price.currency", "INVALID"),
    ]
    assert await count_products(unicrm_state) == 0


async def test_blank_sku_and_name_are_required(gql, unicrm_state):
    body = await gql(CREATE, {"input": {"sku": "  ", "name": "", "price": {"amount": "1"}}})
    errors = body["data"]["productCreate"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("sku", "REQUIRED"), ("name", "REQUIRED")]
    assert await count_products(unicrm_state) == 0


async def test_update_changes_only_given_fields(gql, unicrm_state):
    created = await gql(
        CREATE,
        {"input": {"sku": "A-1", "name": "Rice", "category": "food", "price": {"amount": "20"}}},
    )
    pid = created["data"]["productCreate"]["product"]["id"]
    body = await gql(UPDATE, {"input": {"id": pid, "price": {"amount": "25.25"}, "active": False}})
    payload = body["data"]["productUpdate"]
    assert payload["errors"] == []
    assert payload["product"]["price"] == {"amount": "25.2500", "currency": "THB"}
    assert payload["product"]["active"] is False
    assert payload["product"]["name"] == "Rice"
    assert payload["product"]["category"] == "food"


async def test_update_to_a_taken_sku_is_rejected_and_changes_nothing(gql, unicrm_state):
    await seed(unicrm_state, ("A-1", "Rice", None, True))
    created = await gql(CREATE, {"input": {"sku": "B-1", "name": "Tea", "price": {"amount": "5"}}})
    pid = created["data"]["productCreate"]["product"]["id"]
    body = await gql(UPDATE, {"input": {"id": pid, "sku": "A-1", "price": {"amount": "-2"}}})
    errors = body["data"]["productUpdate"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("price", "INVALID")]
    body = await gql(UPDATE, {"input": {"id": pid, "sku": "A-1"}})
    errors = body["data"]["productUpdate"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("sku", "DUPLICATE")]
    async with unicrm_state.db.session() as session:
        skus = sorted((await session.scalars(select(Product.sku))).all())
    assert skus == ["A-1", "B-1"]


async def test_update_of_unknown_or_malformed_id_is_a_payload_error(gql, unicrm_state):

    body = await gql(UPDATE, {"input": {"id": to_global_id("Product", uuid7()), "name": "X"}})
    assert body["data"]["productUpdate"]["errors"][0]["code"] == "NOT_FOUND"
    body = await gql(UPDATE, {"input": {"id": "nope", "name": "X"}})
    assert body["data"]["productUpdate"]["errors"][0]["code"] == "INVALID_ID"


async def test_products_filter_by_category_subtree_active_and_search(gql, unicrm_state):
    await seed(
        unicrm_state,
        ("NDL-1", "Tom Yum Noodles", "food/noodles", True),
        ("NDL-2", "Boat Noodles", "food/noodles/boat", True),
        ("FD-1", "Fried Rice", "food", True),
        ("FDX-1", "Seasonal Dish", "foodstuff", True),
        ("DRK-1", "Thai Tea", "drinks", False),
    )

    async def skus(filter: dict) -> list[str]:
        page = (await gql(LIST, {"filter": filter}))["data"]["products"]
        return [e["node"]["sku"] for e in page["edges"]]

    assert await skus({"category": "food/noodles"}) == ["NDL-2", "NDL-1"]
    assert await skus({"category": "food"}) == ["NDL-2", "FD-1", "NDL-1"]
    assert await skus({"active": False}) == ["DRK-1"]
    assert await skus({"search": "noodles"}) == ["NDL-2", "NDL-1"]
    assert await skus({"search": "fd"}) == ["FD-1", "FDX-1"]
    assert await skus({"search": "%"}) == []


async def test_products_page_by_cursor_in_name_order(gql, unicrm_state):
    names = ["Durian", "Apple", "Coconut", "Banana", "Egg"]
    await seed(unicrm_state, *[(f"S-{n}", n, None, True) for n in names])
    seen, after = [], None
    while True:
        page = (await gql(LIST, {"first": 2, "after": after}))["data"]["products"]
        assert page["totalCount"] == 5
        seen += [e["node"]["sku"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"S-{n}" for n in sorted(names)]


async def test_oversized_page_is_a_bad_request(gql):
    body = await gql(LIST, {"first": 1000})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_product_resolves_by_id_and_through_node(gql, unicrm_state):
    created = await gql(CREATE, {"input": {"sku": "A-1", "name": "Rice", "price": {"amount": "1"}}})
    pid = created["data"]["productCreate"]["product"]["id"]
    body = await gql(
        "query($id: ID!) { product(id: $id) { sku } node(id: $id) { ... on Product { name } } }",
        {"id": pid},
    )
    assert body == {"data": {"product": {"sku": "A-1"}, "node": {"name": "Rice"}}}


async def test_racing_creates_of_one_sku_end_in_one_product_and_a_duplicate_error(unicrm_state):
    db = unicrm_state.db
    data = ProductData(sku="RACE-1", name="Race", price=Price(Decimal(1), "THB"))

    async def second() -> None:
        async with db.transaction() as session:
            await create_product(session, data)

    async with db.transaction() as session:
        await create_product(session, data)
        loser = asyncio.create_task(second())
        await asyncio.sleep(0.3)  # the second insert now waits for this transaction
    with pytest.raises(DomainError) as raised:
        await loser
    assert [(e.field, e.code) for e in raised.value.errors] == [("sku", "DUPLICATE")]
    assert await count_products(unicrm_state) == 1
