from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from commerce.support import statements_for
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.orders.models import OrderSource
from unicrm.core.graph.orders.services import LineData, OrderData, create_order
from unicrm.core.graph.products.services import Price, ProductData, create_product
from unicrm.core.graph.stores.models import Store

CREATE = """
mutation($input: StoreCreateInput!) {
  storeCreate(input: $input) {
    store { id code name province provinceCode region phone timezone taxBranch active
            openingHours { weekday opens closes overnight } }
    errors { field code message }
  }
}
"""

UPDATE = """
mutation($input: StoreUpdateInput!) {
  storeUpdate(input: $input) {
    store { code name region openingHours { weekday opens closes } active }
    errors { field code message }
  }
}
"""


def store_input(code: str = "BKK-01", **extra) -> dict:
    return {
        "code": code,
        "name": "Siam Square",
        "line1": "99 Rama I Rd",
        "district": "Pathum Wan",
        "province": "กรุงเทพมหานคร",
        "postalCode": "10330",
        "phone": "02-123-4567",
        "openingHours": [
            {"weekday": "MONDAY", "opens": "10:00", "closes": "22:00"},
            {"weekday": "FRIDAY", "opens": "18:00", "closes": "02:00"},
        ],
        **extra,
    }


async def store_count(state) -> int:
    async with state.db.session() as session:
        return await session.scalar(select(func.count()).select_from(Store))


async def test_a_store_gets_its_region_phone_and_the_business_time_zone(gql):
    body = await gql(CREATE, {"input": store_input()})
    payload = body["data"]["storeCreate"]
    assert payload["errors"] == []
    store = payload["store"]
    assert store["provinceCode"] == "TH-10"
    assert store["region"] == "central"
    assert store["phone"] == "+6621234567"
    assert store["timezone"] == "Asia/Bangkok"
    assert store["taxBranch"] == "00000"
    assert store["openingHours"] == [
        {"weekday": "MONDAY", "opens": "10:00", "closes": "22:00", "overnight": False},
        {"weekday": "FRIDAY", "opens": "18:00", "closes": "02:00", "overnight": True},
    ]


async def test_bad_store_input_is_a_typed_error_and_writes_nothing(gql, unicrm_state):
    bad = store_input(
        code="no spaces",
        postalCode="1033",
        timezone="Mars/Olympus",
        openingHours=[
            {"weekday": "FRIDAY", "opens": "18:00", "closes": "11:00"},
            {"weekday": "SATURDAY", "opens": "10:00", "closes": "22:00"},
        ],
    )
    body = await gql(CREATE, {"input": bad})
    assert body["data"]["storeCreate"]["errors"] == [
        {
            "field": "openingHours",
            "code": "OVERLAP",
            "message": "opening intervals overlap (an overnight interval runs into the next day)",
        }
    ]
    bad["openingHours"] = [{"weekday": "MONDAY", "opens": "25:00", "closes": "22:00"}]
    errors = (await gql(CREATE, {"input": bad}))["data"]["storeCreate"]["errors"]
    assert {(e["field"], e["code"]) for e in errors} == {("openingHours.0.opens", "INVALID")}
    bad["openingHours"] = []
    errors = (await gql(CREATE, {"input": bad}))["data"]["storeCreate"]["errors"]
    assert {(e["field"], e["code"]) for e in errors} == {
        ("code", "INVALID"),
        ("timezone", "INVALID"),
        ("postalCode", "INVALID"),
    }
    assert await store_count(unicrm_state) == 0


async def test_a_store_code_is_unique(gql, unicrm_state):
    await gql(CREATE, {"input": store_input()})
    body = await gql(CREATE, {"input": store_input(name="Another")})
    assert body["data"]["storeCreate"]["errors"][0]["code"] == "DUPLICATE"
    assert await store_count(unicrm_state) == 1


async def test_update_changes_only_what_is_given(gql):
    created = await gql(CREATE, {"input": store_input()})
    store_id = created["data"]["storeCreate"]["store"]["id"]
    body = await gql(
        UPDATE,
        {
            "input": {
                "id": store_id,
                "province": "Chiang Mai",
                "postalCode": "50000",
                "openingHours": [],
                "active": False,
            }
        },
    )
    payload = body["data"]["storeUpdate"]
    assert payload["errors"] == []
    assert payload["store"] == {
        "code": "BKK-01",
        "name": "Siam Square",
        "region": "north",
        "openingHours": [],
        "active": False,
    }


async def test_bad_updates_are_typed_errors_and_change_nothing(gql):
    created = await gql(CREATE, {"input": store_input()})
    await gql(CREATE, {"input": store_input("CNX-01", province="Chiang Mai", postalCode="50000")})
    store_id = created["data"]["storeCreate"]["store"]["id"]
    bad = await gql(UPDATE, {"input": {"id": store_id, "timezone": "Nowhere", "taxBranch": "1"}})
    assert {(e["field"], e["code"]) for e in bad["data"]["storeUpdate"]["errors"]} == {
        ("timezone", "INVALID"),
        ("taxBranch", "INVALID"),
    }
    taken = await gql(UPDATE, {"input": {"id": store_id, "code": "CNX-01"}})
    assert taken["data"]["storeUpdate"]["errors"][0]["code"] == "DUPLICATE"
    missing = await gql(UPDATE, {"input": {"id": store_id[:-2] + "AA", "name": "X"}})
    assert missing["data"]["storeUpdate"]["errors"][0]["code"] in {"INVALID_ID", "NOT_FOUND"}
    body = await gql('{ store(code: "BKK-01") { code name } }')
    assert body["data"]["store"] == {"code": "BKK-01", "name": "Siam Square"}


LIST = """
query($filter: StoreFilterInput) {
  stores(first: 10, filter: $filter) { totalCount edges { node { code region } } }
}
"""


async def test_stores_filter_by_region_and_province_and_look_up_by_code(gql):
    await gql(CREATE, {"input": store_input("BKK-01")})
    await gql(CREATE, {"input": store_input("CNX-01", province="Chiang Mai", postalCode="50000")})
    await gql(CREATE, {"input": store_input("HKT-01", province="TH-83", postalCode="83000")})
    body = await gql(LIST, {"filter": {"regions": ["north", "south"]}})
    assert body["data"]["stores"]["totalCount"] == 2
    assert [e["node"]["code"] for e in body["data"]["stores"]["edges"]] == ["CNX-01", "HKT-01"]
    body = await gql(LIST, {"filter": {"provinces": ["Bangkok"]}})
    assert [e["node"] for e in body["data"]["stores"]["edges"]] == [
        {"code": "BKK-01", "region": "central"}
    ]
    body = await gql(LIST, {"filter": {"regions": ["atlantis"]}})
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    body = await gql('{ store(code: "CNX-01") { code region } }')
    assert body["data"]["store"] == {"code": "CNX-01", "region": "north"}


ORDERS = """{ customers(first: 50) { edges { node {
  latestOrders(limit: 2) { storeCode store { code name } } } } } }"""


async def test_order_store_is_loaded_in_one_batch(gql, unicrm_state):
    await gql(CREATE, {"input": store_input("BKK-01")})
    await gql(CREATE, {"input": store_input("CNX-01", province="Chiang Mai", postalCode="50000")})

    async def seed(n: int, sku: str) -> None:
        async with unicrm_state.db.transaction() as session:
            product = await create_product(
                session, ProductData(sku=sku, name="Tea", price=Price(Decimal("25"), "THB"))
            )
            for i in range(n):
                customer = await create_customer(
                    session, CustomerData(kind=CustomerKind.PERSON, first_name=f"P{i}")
                )
                for code in ("BKK-01", "CNX-01"):
                    await create_order(
                        session,
                        OrderData(
                            customer.id,
                            OrderSource.POS,
                            "THB",
                            [LineData(product.id, 1)],
                            store_code=code,
                        ),
                    )

    await seed(2, "TEA-1")
    small, _ = await statements_for(unicrm_state, gql, ORDERS)
    await seed(20, "TEA-2")
    large, body = await statements_for(unicrm_state, gql, ORDERS)
    nodes = [e["node"] for e in body["data"]["customers"]["edges"]]
    assert len(nodes) == 22
    assert all(
        {o["store"]["code"] for o in n["latestOrders"]} == {"BKK-01", "CNX-01"} for n in nodes
    )
    assert large == small
