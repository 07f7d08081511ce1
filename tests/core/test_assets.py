"""Assets: registration by hand and from orders, duplicate serials (also racing), updates,
lists with filters, the daily warranty reminder, and access for support roles."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from unicrm.core.errors import DomainError
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.assets.jobs import remind_warranties
from unicrm.core.graph.assets.models import Asset, AssetStatus
from unicrm.core.graph.assets.services import (
    AssetData,
    LineSerials,
    add_months,
    assets_from_order,
    register_asset,
)
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import from_global_id, to_global_id
from unicrm.core.graph.orders.models import OrderLine as OrderLineRow
from unicrm.core.graph.orders.models import OrderSource
from unicrm.core.graph.orders.services import LineData, OrderData, create_order
from unicrm.core.graph.products.services import Price, ProductData, create_product
from unicrm.core.jobs.contracts import JobRun
from unicrm.core.jobs.queue import enqueue
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as

REGISTER = """
mutation($input: AssetRegisterInput!) {
  assetRegister(input: $input) {
    asset { id serialNumber purchaseDate warrantyEnd status location notes
            customer { displayName } product { sku } order { id } }
    errors { field code message }
  }
}
"""
FROM_ORDER = """
mutation($input: AssetsFromOrderInput!) {
  assetsFromOrder(input: $input) {
    assets { serialNumber purchaseDate warrantyEnd orderLineId order { id } product { sku } }
    errors { field code message }
  }
}
"""
UPDATE = """
mutation($input: AssetUpdateInput!) {
  assetUpdate(input: $input) {
    asset { status warrantyEnd location notes }
    errors { field code message }
  }
}
"""


async def counts(state) -> dict[str, int]:
    async with state.db.session() as session:
        assets = await session.scalar(select(func.count()).select_from(Asset))
        events = await session.scalar(select(func.count()).where(OutboxEvent.type.like("asset.%")))
    return {"assets": assets, "events": events}


@pytest.fixture
async def shop(unicrm_state) -> dict[str, str]:
    """A customer, a fridge with a 24-month warranty, a cable without one, and an order of
    two fridges and a cable placed on 10 January 2026 at 20:00 UTC (the 11th in Bangkok)."""
    async with unicrm_state.db.transaction() as session:
        customer = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Somsak")
        )
        fridge = await create_product(
            session,
            ProductData(
                sku="FRIDGE-1", name="Fridge", price=Price(Decimal(9900), "THB"), warranty_months=24
            ),
        )
        cable = await create_product(
            session, ProductData(sku="CABLE-1", name="Cable", price=Price(Decimal(90), "THB"))
        )
        order, _ = await create_order(
            session,
            OrderData(
                customer_id=customer.id,
                source=OrderSource.POS,
                currency="THB",
                placed_at=datetime(2026, 1, 10, 20, 0, tzinfo=UTC),
                lines=[LineData(fridge.id, 2), LineData(cable.id, 1)],
            ),
        )
        await session.flush()
        lines = sorted(
            (
                await session.execute(
                    select(OrderLineRow.id, OrderLineRow.position).where(
                        OrderLineRow.order_id == order.id
                    )
                )
            ).all(),
            key=lambda r: r.position,
        )
    return {
        "customer": to_global_id("Customer", customer.id),
        "fridge": to_global_id("Product", fridge.id),
        "cable": to_global_id("Product", cable.id),
        "order": to_global_id("Order", order.id),
        "fridge_line": to_global_id("OrderLine", lines[0].id),
        "cable_line": to_global_id("OrderLine", lines[1].id),
    }


def pk(global_id: str) -> uuid.UUID:
    return from_global_id(global_id)[1]


async def test_registering_an_asset_takes_the_warranty_from_the_product(gql, unicrm_state, shop):
    body = await gql(
        REGISTER,
        {
            "input": {
                "customerId": shop["customer"],
                "productId": shop["fridge"],
                "serialNumber": " sn 0001 ",
                "purchaseDate": "2025-08-31",
                "location": "Kitchen",
            }
        },
    )
    payload = body["data"]["assetRegister"]
    assert payload["errors"] == []
    assert payload["asset"] | {"id": None} == {
        "id": None,
        "serialNumber": "SN0001",
        "purchaseDate": "2025-08-31",
        "warrantyEnd": "2027-08-31",
        "status": "ACTIVE",
        "location": "Kitchen",
        "notes": None,
        "customer": {"displayName": "Somsak"},
        "product": {"sku": "FRIDGE-1"},
        "order": None,
    }
    async with unicrm_state.db.session() as session:
        event = await session.scalar(
            select(OutboxEvent).where(OutboxEvent.type == "asset.registered")
        )
    assert event.customer_id == pk(shop["customer"])
    assert event.payload["serial_number"] == "SN0001"
    assert event.payload["warranty_end"] == "2027-08-31"

    explicit = await gql(
        REGISTER,
        {
            "input": {
                "customerId": shop["customer"],
                "productId": shop["cable"],
                "purchaseDate": "2026-02-01",
                "warrantyEnd": "2026-05-01",
            }
        },
    )
    assert explicit["data"]["assetRegister"]["asset"]["warrantyEnd"] == "2026-05-01"
    no_warranty = await gql(
        REGISTER, {"input": {"customerId": shop["customer"], "productId": shop["cable"]}}
    )
    asset = no_warranty["data"]["assetRegister"]["asset"]
    assert asset["warrantyEnd"] is None and asset["serialNumber"] is None


def test_months_are_added_by_the_calendar() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)


async def test_a_serial_registered_twice_for_a_product_is_a_duplicate_and_writes_nothing(
    gql, unicrm_state, shop
):
    first = {"customerId": shop["customer"], "productId": shop["fridge"], "serialNumber": "X-1"}
    assert (await gql(REGISTER, {"input": first}))["data"]["assetRegister"]["errors"] == []
    before = await counts(unicrm_state)
    again = await gql(REGISTER, {"input": first | {"serialNumber": "x-1"}})
    assert again["data"]["assetRegister"] == {
        "asset": None,
        "errors": [
            {
                "field": "serialNumber",
                "code": "DUPLICATE",
                "message": "serial number X-1 of FRIDGE-1 is already registered",
            }
        ],
    }
    assert await counts(unicrm_state) == before
    other_product = await gql(REGISTER, {"input": first | {"productId": shop["cable"]}})
    assert other_product["data"]["assetRegister"]["errors"] == []


async def test_bad_registrations_are_typed_errors_and_write_nothing(gql, unicrm_state, shop):
    future = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    cases = [
        ({"productId": shop["customer"]}, [("productId", "INVALID_ID")]),
        ({"productId": to_global_id("Product", uuid.uuid4())}, [("productId", "NOT_FOUND")]),
        ({"customerId": to_global_id("Customer", uuid.uuid4())}, [("customerId", "NOT_FOUND")]),
        ({"purchaseDate": future}, [("purchaseDate", "INVALID")]),
        (
            {"purchaseDate": "2026-01-10", "warrantyEnd": "2026-01-09"},
            [("warrantyEnd", "INVALID")],
        ),
        ({"serialNumber": "S" * 101}, [("serialNumber", "TOO_LONG")]),
        ({"location": "L" * 301}, [("location", "TOO_LONG")]),
    ]
    base = {"customerId": shop["customer"], "productId": shop["fridge"]}
    for change, expected in cases:
        body = await gql(REGISTER, {"input": base | change})
        payload = body["data"]["assetRegister"]
        assert payload["asset"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, change
    assert await counts(unicrm_state) == {"assets": 0, "events": 0}


async def test_racing_registrations_of_one_serial_make_one_asset_and_one_duplicate(
    unicrm_state, shop
):
    db = unicrm_state.db
    data = AssetData(
        customer_id=pk(shop["customer"]),
        product_id=pk(shop["fridge"]),
        purchase_date=date(2026, 1, 1),
        serial_number="RACE-1",
    )

    async def second() -> None:
        async with db.transaction() as session:
            await register_asset(session, data, date(2026, 1, 2))

    async with db.transaction() as session:
        await register_asset(session, data, date(2026, 1, 2))
        loser = asyncio.create_task(second())
        await asyncio.sleep(0.3)  # the second insert now waits for this transaction
    with pytest.raises(DomainError) as raised:
        await loser
    assert [(e.field, e.code) for e in raised.value.errors] == [("serial_number", "DUPLICATE")]
    assert await counts(unicrm_state) == {"assets": 1, "events": 1}


async def test_concurrent_register_mutations_of_one_serial_on_postgresql(gql, unicrm_state, shop):
    if unicrm_state.db.is_sqlite:
        pytest.skip("SQLite has one writer; the racing transaction test covers it")
    given = {"customerId": shop["customer"], "productId": shop["fridge"], "serialNumber": "P-1"}
    bodies = await asyncio.gather(*[gql(REGISTER, {"input": given}) for _ in range(4)])
    payloads = [b["data"]["assetRegister"] for b in bodies]
    assert sorted(len(p["errors"]) for p in payloads) == [0, 1, 1, 1]
    assert {e["code"] for p in payloads for e in p["errors"]} == {"DUPLICATE"}
    assert await counts(unicrm_state) == {"assets": 1, "events": 1}


async def test_assets_from_an_order_line_take_its_date_and_stop_at_its_quantity(
    gql, unicrm_state, shop
):
    given = {
        "orderId": shop["order"],
        "lines": [
            {"orderLineId": shop["fridge_line"], "serialNumbers": ["F-1"]},
            {"orderLineId": shop["cable_line"], "serialNumbers": ["C-1"]},
        ],
    }
    body = await gql(FROM_ORDER, {"input": given})
    payload = body["data"]["assetsFromOrder"]
    assert payload["errors"] == []
    assert payload["assets"] == [
        {
            "serialNumber": "F-1",
            "purchaseDate": "2026-01-11",
            "warrantyEnd": "2028-01-11",
            "orderLineId": shop["fridge_line"],
            "order": {"id": shop["order"]},
            "product": {"sku": "FRIDGE-1"},
        },
        {
            "serialNumber": "C-1",
            "purchaseDate": "2026-01-11",
            "warrantyEnd": None,
            "orderLineId": shop["cable_line"],
            "order": {"id": shop["order"]},
            "product": {"sku": "CABLE-1"},
        },
    ]
    before = await counts(unicrm_state)
    too_many = await gql(
        FROM_ORDER,
        {
            "input": {
                "orderId": shop["order"],
                "lines": [{"orderLineId": shop["fridge_line"], "serialNumbers": ["F-2", "F-3"]}],
            }
        },
    )
    assert too_many["data"]["assetsFromOrder"] == {
        "assets": [],
        "errors": [
            {
                "field": "lines.0.serialNumbers",
                "code": "QUANTITY_EXCEEDED",
                "message": "the line has 2 items and 1 left to register",
            }
        ],
    }
    assert await counts(unicrm_state) == before
    last = await gql(
        FROM_ORDER,
        {
            "input": {
                "orderId": shop["order"],
                "lines": [{"orderLineId": shop["fridge_line"], "serialNumbers": ["F-2"]}],
            }
        },
    )
    assert last["data"]["assetsFromOrder"]["errors"] == []


async def test_racing_registrations_for_the_last_item_of_a_line_let_one_through(unicrm_state, shop):
    db, zone = unicrm_state.db, unicrm_state.settings.zone
    order, line = pk(shop["order"]), pk(shop["cable_line"])  # one cable

    async def second() -> None:
        async with db.transaction() as session:
            await assets_from_order(session, order, [LineSerials(line, ["C-2"])], zone)

    async with db.transaction() as session:
        await assets_from_order(session, order, [LineSerials(line, ["C-1"])], zone)
        loser = asyncio.create_task(second())
        await asyncio.sleep(0.3)  # the second registration now waits for this transaction
    with pytest.raises(DomainError) as raised:
        await loser
    assert [e.code for e in raised.value.errors] == ["QUANTITY_EXCEEDED"]
    assert await counts(unicrm_state) == {"assets": 1, "events": 1}


async def test_bad_order_registrations_are_typed_errors_and_write_nothing(gql, unicrm_state, shop):
    other_line = to_global_id("OrderLine", uuid.uuid4())
    cases = [
        ({"orderId": to_global_id("Order", uuid.uuid4()), "lines": []}, [("orderId", "NOT_FOUND")]),
        ({"lines": []}, [("lines", "REQUIRED")]),
        (
            {"lines": [{"orderLineId": other_line, "serialNumbers": ["A"]}]},
            [("lines.0.orderLineId", "NOT_FOUND")],
        ),
        (
            {"lines": [{"orderLineId": shop["fridge_line"], "serialNumbers": []}]},
            [("lines.0.serialNumbers", "REQUIRED")],
        ),
        (
            {"lines": [{"orderLineId": shop["fridge_line"], "serialNumbers": ["D-1", "d-1"]}]},
            [("lines.0.serialNumbers", "DUPLICATE")],
        ),
        (
            {"lines": [{"orderLineId": shop["fridge"], "serialNumbers": ["A"]}]},
            [("lines.0.orderLineId", "INVALID_ID")],
        ),
    ]
    for change, expected in cases:
        body = await gql(FROM_ORDER, {"input": {"orderId": shop["order"]} | change})
        payload = body["data"]["assetsFromOrder"]
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, change
        assert payload["assets"] == []
    assert await counts(unicrm_state) == {"assets": 0, "events": 0}


async def register(state, shop, serial: str, warranty_end: date | None, **extra) -> uuid.UUID:
    async with state.db.transaction() as session:
        asset = await register_asset(
            session,
            AssetData(
                customer_id=pk(shop["customer"]),
                product_id=pk(shop["cable"]),
                purchase_date=date(2025, 1, 1),
                serial_number=serial,
                warranty_end=warranty_end,
                **extra,
            ),
            date(2026, 6, 1),
        )
    return asset.id


async def test_updating_an_asset_changes_its_status_and_clears_fields(gql, unicrm_state, shop):
    asset_id = to_global_id("Asset", await register(unicrm_state, shop, "U-1", None, notes="x"))
    body = await gql(
        UPDATE,
        {
            "input": {
                "id": asset_id,
                "status": "REPLACED",
                "warrantyEnd": "2027-01-01",
                "notes": None,
                "location": "  Office  ",
            }
        },
    )
    assert body["data"]["assetUpdate"] == {
        "asset": {
            "status": "REPLACED",
            "warrantyEnd": "2027-01-01",
            "location": "Office",
            "notes": None,
        },
        "errors": [],
    }
    async with unicrm_state.db.session() as session:
        event = await session.scalar(
            select(OutboxEvent).where(OutboxEvent.type == "asset.status_changed")
        )
    assert event.payload == {
        "asset_id": str(pk(asset_id)),
        "from_status": "active",
        "to_status": "replaced",
    }
    bad = await gql(
        UPDATE, {"input": {"id": asset_id, "status": None, "warrantyEnd": "2024-12-31"}}
    )
    assert [(e["field"], e["code"]) for e in bad["data"]["assetUpdate"]["errors"]] == [
        ("status", "REQUIRED"),
        ("warrantyEnd", "INVALID"),
    ]
    missing = await gql(UPDATE, {"input": {"id": to_global_id("Asset", uuid.uuid4())}})
    assert missing["data"]["assetUpdate"]["errors"][0]["code"] == "NOT_FOUND"
    async with unicrm_state.db.session() as session:
        row = await session.get(Asset, pk(asset_id))
    assert (row.status, row.warranty_end) == (AssetStatus.REPLACED, date(2027, 1, 1))


async def test_asset_lists_filter_by_status_and_warranty_end(gql, unicrm_state, shop):
    soon = await register(unicrm_state, shop, "L-1", date(2026, 7, 1))
    later = await register(unicrm_state, shop, "L-2", date(2026, 9, 1))
    await register(unicrm_state, shop, "L-3", date(2026, 6, 15))
    none = await register(unicrm_state, shop, "L-4", None)
    async with unicrm_state.db.transaction() as session:
        (await session.get(Asset, none)).status = AssetStatus.DISPOSED
    query = """query($filter: AssetFilterInput, $after: String) {
      assets(first: 2, after: $after, filter: $filter) {
        totalCount pageInfo { hasNextPage endCursor } nodes { serialNumber } } }"""
    ending = await gql(query, {"filter": {"warrantyEndingBefore": "2026-08-01"}})
    assert ending["data"]["assets"]["nodes"] == [{"serialNumber": "L-3"}, {"serialNumber": "L-1"}]
    assert ending["data"]["assets"]["totalCount"] == 2
    assert ending["data"]["assets"]["pageInfo"]["hasNextPage"] is False
    everything = await gql(query, {})
    page = everything["data"]["assets"]
    assert [n["serialNumber"] for n in page["nodes"]] == ["L-4", "L-3"]
    rest = await gql(query, {"after": page["pageInfo"]["endCursor"]})
    assert [n["serialNumber"] for n in rest["data"]["assets"]["nodes"]] == ["L-2", "L-1"]
    disposed = await gql(query, {"filter": {"status": ["DISPOSED"], "serialNumber": "l-4"}})
    assert disposed["data"]["assets"]["nodes"] == [{"serialNumber": "L-4"}]
    by_customer = await gql(
        """query($id: ID!) { node(id: $id) { ... on Customer {
             assets(status: [ACTIVE]) { serialNumber } all: assets { serialNumber } } } }""",
        {"id": shop["customer"]},
    )
    node = by_customer["data"]["node"]
    assert [a["serialNumber"] for a in node["assets"]] == ["L-3", "L-2", "L-1"]
    assert len(node["all"]) == 4
    one = await gql(
        "query($id: ID!) { asset(id: $id) { serialNumber } node(id: $id) { id } }",
        {"id": to_global_id("Asset", later)},
    )
    assert one["data"] == {
        "asset": {"serialNumber": "L-2"},
        "node": {"id": to_global_id("Asset", later)},
    }
    assert soon


async def warranty_events(state) -> list[tuple[str, int, int]]:
    async with state.db.session() as session:
        rows = await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.type == "asset.warranty_ending")
            .order_by(OutboxEvent.id)
        )
        return [
            (r.payload["serial_number"], r.payload["threshold_days"], r.payload["days_left"])
            for r in rows
        ]


async def run_reminders(state, today: date, thresholds=(30, 7)) -> int:
    async with state.db.transaction() as session:
        job = await enqueue(session, "core.asset_warranty_reminders", {})
        return await remind_warranties(session, job.id, today, list(thresholds))


async def test_warranty_reminders_go_once_per_asset_and_threshold(unicrm_state, shop):
    today = date(2026, 6, 1)
    await register(unicrm_state, shop, "W-30", today + timedelta(days=30))
    await register(unicrm_state, shop, "W-5", today + timedelta(days=5))
    await register(unicrm_state, shop, "W-90", today + timedelta(days=90))
    await register(unicrm_state, shop, "W-PAST", today - timedelta(days=1))
    returned = await register(unicrm_state, shop, "W-RET", today + timedelta(days=3))
    async with unicrm_state.db.transaction() as session:
        (await session.get(Asset, returned)).status = AssetStatus.RETURNED

    assert await run_reminders(unicrm_state, today) == 2
    assert await warranty_events(unicrm_state) == [("W-5", 7, 5), ("W-30", 30, 30)]
    assert await run_reminders(unicrm_state, today) == 0  # the same day again: nothing new
    assert await run_reminders(unicrm_state, today + timedelta(days=1)) == 0
    assert await run_reminders(unicrm_state, today + timedelta(days=23)) == 1
    assert await run_reminders(unicrm_state, today + timedelta(days=60)) == 1
    assert await warranty_events(unicrm_state) == [
        ("W-5", 7, 5),
        ("W-30", 30, 30),
        ("W-30", 7, 7),
        ("W-90", 30, 30),
    ]


async def test_the_warranty_job_applies_its_effects_once_when_run_again(unicrm_state, shop):
    """A second run of the same job (a retry after a crash) emits nothing twice."""
    await register(unicrm_state, shop, "J-1", date(2026, 6, 10))
    async with unicrm_state.db.transaction() as session:
        job = await enqueue(session, "core.asset_warranty_reminders", {})
    run = JobRun(
        id=job.id,
        type=job.type,
        payload={"today": "2026-06-01", "days": [30]},
        attempt=1,
        max_attempts=5,
        unique_key=None,
    )
    handler = unicrm_state.registry.job_types["core.asset_warranty_reminders"].handler
    for _ in range(2):
        async with unicrm_state.db.transaction() as session:
            await handler(run, session)
    assert await warranty_events(unicrm_state) == [("J-1", 30, 9)]
    assert "core.asset_warranty_reminders" in unicrm_state.registry.schedules


async def test_support_and_technicians_read_assets_store_staff_do_not(unicrm_state, shop):
    asset_id = to_global_id("Asset", await register(unicrm_state, shop, "R-1", None))
    query = "query($id: ID!) { asset(id: $id) { serialNumber location } }"
    for role, readable in (("support_agent", True), ("technician", True), ("store_staff", False)):
        token = await sign_in_as(unicrm_state, f"{role}@unicrm.test", role)
        async with client_for(unicrm_state, token) as http:
            body = (
                await http.post("/graphql", json={"query": query, "variables": {"id": asset_id}})
            ).json()
        if readable:
            assert body["data"]["asset"] == {"serialNumber": "R-1", "location": None}, role
        else:
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
