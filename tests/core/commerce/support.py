"""Shared set-up of the store, invoice and booking tests: a shop with customers and orders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from unicrm.core.graph.contacts.services import AddressData, add_address
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.orders.models import OrderSource
from unicrm.core.graph.orders.services import LineData, OrderData, create_order
from unicrm.core.graph.products.services import Price, ProductData, create_product
from unicrm.core.graph.stores import hours
from unicrm.core.graph.stores.services import StoreData, create_store
from unicrm.core.testing.statements import StatementCounter

EVERY_DAY = [hours.Interval(day, "10:00", "22:00") for day in range(7)]


@dataclass
class Shop:
    stores: dict[str, uuid.UUID]
    customer: uuid.UUID
    noodles: uuid.UUID
    tea: uuid.UUID


async def make_store(
    session, code: str, *, province: str = "Bangkok", postal: str = "10330", opening_hours=EVERY_DAY
) -> uuid.UUID:
    data = StoreData(
        code=code,
        name=f"Store {code}",
        line1="1 Rama I Rd",
        province=province,
        postal_code=postal,
        opening_hours=opening_hours,
    )
    return (await create_store(session, data, "Asia/Bangkok")).id


async def make_shop(state, owner_id: uuid.UUID | None = None) -> Shop:
    async with state.db.transaction() as session:
        stores = {
            "BKK-01": await make_store(session, "BKK-01"),
            "CNX-01": await make_store(session, "CNX-01", province="Chiang Mai", postal="50000"),
        }
        customer = await create_customer(
            session,
            CustomerData(
                kind=CustomerKind.PERSON,
                first_name="Somchai",
                last_name="Jaidee",
                tax_id="1234567890123",
                owner_id=owner_id,
            ),
        )
        await add_address(
            session,
            customer.id,
            AddressData(
                line1="99/1 Sukhumvit Rd",
                district="Khlong Toei",
                province="Bangkok",
                postal_code="10110",
                is_primary=True,
            ),
        )
        noodles = await create_product(
            session, ProductData(sku="NDL", name="Noodles", price=Price(Decimal("59.50"), "THB"))
        )
        tea = await create_product(
            session, ProductData(sku="TEA", name="Tea", price=Price(Decimal("20"), "THB"))
        )
    return Shop(stores, customer.id, noodles.id, tea.id)


async def place_order(
    state, shop: Shop, *, store_code: str | None = "BKK-01", customer: uuid.UUID | None = None
) -> uuid.UUID:
    """An order of 2 noodles and 1 tea: 139.00 THB."""
    async with state.db.transaction() as session:
        order, _ = await create_order(
            session,
            OrderData(
                customer_id=customer or shop.customer,
                source=OrderSource.POS,
                currency="THB",
                store_code=store_code,
                lines=[LineData(shop.noodles, 2), LineData(shop.tea, 1)],
            ),
        )
    return order.id


async def statements_for(state, gql, query: str) -> tuple[int, dict]:
    """The statements one request costs, and its body; the department cache is not part of
    the request's cost."""
    state.departments.invalidate()
    await state.departments.get(None)
    with StatementCounter(state) as counter:
        body = await gql(query)
    return counter.count, body
