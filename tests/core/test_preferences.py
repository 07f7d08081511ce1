"""Preferences and notes: setting, validation, sensitive notes masked for store staff, and
favourites and modifiers derived from orders for a whole page of customers at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import from_global_id, to_global_id
from unicrm.core.graph.orders.models import Order, OrderSource, OrderStatus
from unicrm.core.graph.orders.services import LineData, OrderData, create_order
from unicrm.core.graph.preferences.models import CustomerPreference, NoteKind, PreferenceNote
from unicrm.core.graph.preferences.services import NoteData, add_note
from unicrm.core.graph.products.services import Price, ProductData, create_product
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as
from unicrm.core.testing.statements import StatementCounter

SET = """
mutation($input: CustomerPreferencesSetInput!) {
  customerPreferencesSet(input: $input) {
    preferences { preferredChannel preferredLanguage preferredStoreCode
                  contactWindows { weekday start end } }
    errors { field code message }
  }
}
"""
ADD_NOTE = """
mutation($input: PreferenceNoteAddInput!) {
  preferenceNoteAdd(input: $input) {
    note { id kind severity sensitive text sensitiveText createdBy }
    errors { field code message }
  }
}
"""
READ = """
query($id: ID!) { node(id: $id) { ... on Customer { preferences {
  preferredChannel preferredStoreCode
  notes { kind severity sensitive text sensitiveText } } } } }
"""


async def counts(state) -> dict[str, int]:
    async with state.db.session() as session:
        return {
            "preferences": await session.scalar(
                select(func.count()).select_from(CustomerPreference)
            ),
            "notes": await session.scalar(select(func.count()).select_from(PreferenceNote)),
        }


@pytest.fixture
async def customer(unicrm_state) -> str:
    async with unicrm_state.db.transaction() as session:
        row = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Nok")
        )
    return to_global_id("Customer", row.id)


async def test_preferences_are_set_in_part_and_cleared_with_null(gql, unicrm_state, customer):
    body = await gql(
        SET,
        {
            "input": {
                "customerId": customer,
                "preferredChannel": "LINE",
                "preferredLanguage": "th",
                "preferredStoreCode": " bkk-01 ",
                "contactWindows": [
                    {"weekday": 5, "start": "10:00:00", "end": "12:00:00"},
                    {"weekday": 0, "start": "18:00:00", "end": "20:30:00"},
                ],
            }
        },
    )
    assert body["data"]["customerPreferencesSet"] == {
        "preferences": {
            "preferredChannel": "LINE",
            "preferredLanguage": "th",
            "preferredStoreCode": "BKK-01",
            "contactWindows": [
                {"weekday": 0, "start": "18:00:00", "end": "20:30:00"},
                {"weekday": 5, "start": "10:00:00", "end": "12:00:00"},
            ],
        },
        "errors": [],
    }
    partly = await gql(SET, {"input": {"customerId": customer, "preferredLanguage": None}})
    preferences = partly["data"]["customerPreferencesSet"]["preferences"]
    assert preferences["preferredLanguage"] is None
    assert preferences["preferredChannel"] == "LINE"
    assert len(preferences["contactWindows"]) == 2
    assert await counts(unicrm_state) == {"preferences": 1, "notes": 0}


async def test_concurrent_first_settings_make_one_row(gql, unicrm_state, customer):
    channels = ["SMS", "LINE", "EMAIL"]
    bodies = await asyncio.gather(
        *[
            gql(SET, {"input": {"customerId": customer, "preferredChannel": channel}})
            for channel in channels
        ]
    )
    assert all(b["data"]["customerPreferencesSet"]["errors"] == [] for b in bodies)
    assert await counts(unicrm_state) == {"preferences": 1, "notes": 0}


async def test_bad_preferences_are_typed_errors_and_write_nothing(gql, unicrm_state, customer):
    cases = [
        ({"preferredStoreCode": "BKK 01!"}, [("preferredStoreCode", "INVALID")]),
        ({"preferredLanguage": "thai language"}, [("preferredLanguage", "INVALID")]),
        (
            {"contactWindows": [{"weekday": 7, "start": "09:00:00", "end": "10:00:00"}]},
            [("contactWindows.0.weekday", "INVALID")],
        ),
        (
            {"contactWindows": [{"weekday": 1, "start": "10:00:00", "end": "09:00:00"}]},
            [("contactWindows.0.end", "INVALID")],
        ),
        ({"customerId": to_global_id("Customer", uuid.uuid4())}, [("customerId", "NOT_FOUND")]),
        ({"customerId": to_global_id("Product", uuid.uuid4())}, [("customerId", "INVALID_ID")]),
    ]
    for change, expected in cases:
        body = await gql(SET, {"input": {"customerId": customer} | change})
        payload = body["data"]["customerPreferencesSet"]
        assert payload["preferences"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, change
    assert await counts(unicrm_state) == {"preferences": 0, "notes": 0}


async def test_notes_are_unique_per_kind_and_allergies_are_sensitive(gql, unicrm_state, customer):
    dietary = await gql(
        ADD_NOTE, {"input": {"customerId": customer, "kind": "DIETARY", "text": "No pork skin"}}
    )
    assert dietary["data"]["preferenceNoteAdd"]["note"] | {"id": None} == {
        "id": None,
        "kind": "DIETARY",
        "severity": None,
        "sensitive": False,
        "text": "No pork skin",
        "sensitiveText": None,
        "createdBy": "admin",
    }
    allergy = await gql(
        ADD_NOTE,
        {
            "input": {
                "customerId": customer,
                "kind": "ALLERGY",
                "text": "peanut allergy",
                "severity": "SEVERE",
            }
        },
    )
    note = allergy["data"]["preferenceNoteAdd"]["note"]
    assert (note["sensitive"], note["text"], note["sensitiveText"], note["severity"]) == (
        True,
        None,
        "peanut allergy",
        "SEVERE",
    )
    before = await counts(unicrm_state)
    cases = [
        ({"kind": "DIETARY", "text": "  no PORK skin "}, [("text", "DUPLICATE")]),
        ({"kind": "DIETARY", "text": "   "}, [("text", "REQUIRED")]),
        ({"kind": "DIETARY", "text": "x" * 301}, [("text", "TOO_LONG")]),
        (
            {"kind": "DIETARY", "text": "no coriander", "severity": "MILD"},
            [("severity", "INVALID")],
        ),
    ]
    for change, expected in cases:
        body = await gql(ADD_NOTE, {"input": {"customerId": customer} | change})
        payload = body["data"]["preferenceNoteAdd"]
        assert payload["note"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, change
    assert await counts(unicrm_state) == before

    remove = """mutation($input: PreferenceNoteRemoveInput!) { preferenceNoteRemove(input: $input) {
      removedId customer { preferences { notes { kind } } } errors { field code } } }"""
    removed = await gql(remove, {"input": {"customerId": customer, "id": note["id"]}})
    assert removed["data"]["preferenceNoteRemove"] == {
        "removedId": note["id"],
        "customer": {"preferences": {"notes": [{"kind": "DIETARY"}]}},
        "errors": [],
    }
    again = await gql(remove, {"input": {"customerId": customer, "id": note["id"]}})
    assert again["data"]["preferenceNoteRemove"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]


async def test_store_staff_see_allergies_masked_and_may_add_notes(gql, unicrm_state, customer):
    async with unicrm_state.db.transaction() as session:
        customer_pk = from_global_id(customer)[1]
        await add_note(session, customer_pk, NoteData(NoteKind.DIETARY, "no coriander"))
        await add_note(session, customer_pk, NoteData(NoteKind.ALLERGY, "peanut allergy"))
        await add_note(
            session, customer_pk, NoteData(NoteKind.RESTRICTION, "diabetic", sensitive=True)
        )
    token = await sign_in_as(unicrm_state, "till@unicrm.test", "store_staff")
    async with client_for(unicrm_state, token) as http:
        staff = (
            await http.post("/graphql", json={"query": READ, "variables": {"id": customer}})
        ).json()
        added = (
            await http.post(
                "/graphql",
                json={
                    "query": ADD_NOTE,
                    "variables": {
                        "input": {"customerId": customer, "kind": "OTHER", "text": "window seat"}
                    },
                },
            )
        ).json()
    assert "errors" not in staff, staff
    notes = staff["data"]["node"]["preferences"]["notes"]
    assert [(n["kind"], n["text"], n["sensitiveText"]) for n in notes] == [
        ("DIETARY", "no coriander", None),
        ("ALLERGY", None, "p***"),
        ("RESTRICTION", None, "d***"),
    ]
    assert added["data"]["preferenceNoteAdd"]["errors"] == []
    admin = await gql(READ, {"id": customer})
    clear = [n["sensitiveText"] for n in admin["data"]["node"]["preferences"]["notes"]]
    assert clear == [None, "peanut allergy", "diabetic", None]

    token = await sign_in_as(unicrm_state, "tech@unicrm.test", "technician")
    async with client_for(unicrm_state, token) as http:
        denied = (
            await http.post("/graphql", json={"query": READ, "variables": {"id": customer}})
        ).json()
    assert denied["data"]["node"]["preferences"] is None
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def seed_orders(state, customers: int) -> list[uuid.UUID]:
    """Each customer: 3 orders of rice (2 each), 1 of tea (5), 1 cancelled order of cake (9);
    rice lines say "No coriander" or "no coriander", the tea line "less sugar"."""
    start = datetime(2026, 3, 1, 5, 0, tzinfo=UTC)
    ids = []
    async with state.db.transaction() as session:
        products = {
            sku: (
                await create_product(
                    session, ProductData(sku=sku, name=sku, price=Price(Decimal(50), "THB"))
                )
            ).id
            for sku in ("RICE", "TEA", "CAKE")
        }
        for c in range(customers):
            customer = await create_customer(
                session, CustomerData(kind=CustomerKind.PERSON, first_name=f"Buyer{c:03d}")
            )
            ids.append(customer.id)
            plan = [
                ("RICE", 2, ("No coriander",)),
                ("RICE", 2, ("no coriander", "extra egg")),
                ("RICE", 2, ()),
                ("TEA", 5, ("less sugar",)),
                ("CAKE", 9, ("no coriander",)),
            ]
            for i, (sku, quantity, modifiers) in enumerate(plan):
                order, _ = await create_order(
                    session,
                    OrderData(
                        customer_id=customer.id,
                        source=OrderSource.POS,
                        currency="THB",
                        placed_at=start + timedelta(days=i),
                        lines=[LineData(products[sku], quantity, modifiers=modifiers)],
                    ),
                )
                if sku == "CAKE":
                    await session.execute(
                        update(Order)
                        .where(Order.id == order.id)
                        .values(status=OrderStatus.CANCELLED)
                    )
    return ids


async def test_favourites_and_modifiers_are_derived_from_placed_orders(gql, unicrm_state):
    (customer,) = await seed_orders(unicrm_state, 1)
    body = await gql(
        """query($id: ID!) { node(id: $id) { ... on Customer {
             favouriteProducts(first: 5) { product { sku } quantity orders lastBoughtAt }
             frequentModifiers { modifier times lastUsedAt }
             top: favouriteProducts(first: 1) { product { sku } } } } }""",
        {"id": to_global_id("Customer", customer)},
    )
    node = body["data"]["node"]
    assert node["favouriteProducts"] == [
        {
            "product": {"sku": "RICE"},
            "quantity": 6,
            "orders": 3,
            "lastBoughtAt": "2026-03-03T05:00:00+00:00",
        },
        {
            "product": {"sku": "TEA"},
            "quantity": 5,
            "orders": 1,
            "lastBoughtAt": "2026-03-04T05:00:00+00:00",
        },
    ]
    assert node["frequentModifiers"] == [
        {"modifier": "no coriander", "times": 2, "lastUsedAt": "2026-03-02T05:00:00+00:00"},
        {"modifier": "less sugar", "times": 1, "lastUsedAt": "2026-03-04T05:00:00+00:00"},
        {"modifier": "extra egg", "times": 1, "lastUsedAt": "2026-03-02T05:00:00+00:00"},
    ]
    assert node["top"] == [{"product": {"sku": "RICE"}}]
    too_many = await gql(
        "query($id: ID!) { node(id: $id) { ... on Customer { favouriteProducts(first: 101) { quantity } } } }",
        {"id": to_global_id("Customer", customer)},
    )
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


PAGE = """query($first: Int!) { customers(first: $first) { nodes {
  displayName
  favouriteProducts(first: 3) { quantity product { sku } }
  frequentModifiers(first: 3) { modifier times }
  preferences { preferredChannel notes { kind text } }
  assets { serialNumber }
  contracts { name history { toStatus } }
} } }"""


async def test_a_page_of_customers_with_favourites_costs_a_fixed_number_of_statements(
    gql, unicrm_state
):
    ids = await seed_orders(unicrm_state, 30)
    async with unicrm_state.db.transaction() as session:
        for customer_id in ids:
            await add_note(session, customer_id, NoteData(NoteKind.DIETARY, "no pork skin"))

    async def statements(first: int) -> tuple[int, dict]:
        unicrm_state.departments.invalidate()
        await unicrm_state.departments.get(None)
        with StatementCounter(unicrm_state) as counter:
            body = await gql(PAGE, {"first": first})
        return counter.count, body

    small, _ = await statements(5)
    large, body = await statements(30)
    assert "errors" not in body, body
    nodes = body["data"]["customers"]["nodes"]
    assert len(nodes) == 30
    assert all(
        [f["product"]["sku"] for f in n["favouriteProducts"]] == ["RICE", "TEA"]
        and n["frequentModifiers"][0] == {"modifier": "no coriander", "times": 2}
        and n["preferences"]["notes"] == [{"kind": "DIETARY", "text": "no pork skin"}]
        for n in nodes
    )
    assert large == small
