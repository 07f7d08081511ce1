"""Custom events: admins register types with a JSON Schema, integrators push events over
POST /events with an API key; accepted events are stored once, published and on the
customer's timeline."""

from __future__ import annotations

import asyncio
import types
import uuid

import orjson
import pytest
from sqlalchemy import func, select

from events.ingest_support import (
    CART_SCHEMA,
    CREATE_TYPE,
    api_key,
    event,
    integration,
    register_type,
)
from unicrm.core.authz.enforcer import Rule
from unicrm.core.authz.policy_models import AuthzRole
from unicrm.core.authz.store import load_policies, to_row
from unicrm.core.config import load_settings
from unicrm.core.events.ingest import MAX_BATCH
from unicrm.core.events.ingest_models import CustomEvent, CustomEventType
from unicrm.core.events.models import OutboxEvent
from unicrm.core.events.outbox import Event
from unicrm.core.graph.contacts.services import add_email
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.identities.services import link_identity
from unicrm.core.graph.merge.services import merge_customers
from unicrm.core.graph.timeline.models import TimelineEntry
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import PluginManifest
from unicrm.core.state import create_state
from unicrm.core.testing.pytest_plugin import TEST_AUTH, client_for

LIST_TYPES = """
query($filter: CustomEventTypeFilterInput) {
  customEventTypes(filter: $filter) { nodes { id name version active schema } totalCount }
}
"""
UPDATE_TYPE = """
mutation($input: CustomEventTypeUpdateInput!) {
  customEventTypeUpdate(input: $input) {
    eventType { id name description schema version active }
    errors { field code message }
  }
}
"""
DEACTIVATE_TYPE = """
mutation($id: ID!) {
  customEventTypeDeactivate(input: {id: $id}) {
    eventType { id active } errors { field code message }
  }
}
"""


@pytest.fixture
async def customer(unicrm_state) -> uuid.UUID:
    """Ploy: email ploy@example.com, POS member M-100."""
    async with unicrm_state.db.transaction() as session:
        row = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Ploy")
        )
        await add_email(session, row.id, "ploy@example.com")
        await link_identity(session, row.id, "pos_member", "M-100")
    return row.id


@pytest.fixture
async def cart_type(gql) -> dict:
    return await register_type(gql, "shop.cart_abandoned")


async def count(state, model) -> int:
    async with state.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_admin_registers_lists_updates_and_deactivates_a_type(gql):
    created = await register_type(gql, "shop.cart_abandoned")
    assert (created["name"], created["version"], created["active"]) == (
        "shop.cart_abandoned",
        1,
        True,
    )
    assert created["schema"] == CART_SCHEMA
    assert created["createdBy"] == "admin"

    looser = {"type": "object"}
    body = await gql(UPDATE_TYPE, {"input": {"id": created["id"], "schema": looser}})
    updated = body["data"]["customEventTypeUpdate"]
    assert updated["errors"] == []
    assert (updated["eventType"]["version"], updated["eventType"]["schema"]) == (2, looser)
    body = await gql(UPDATE_TYPE, {"input": {"id": created["id"], "description": "Left cart"}})
    assert body["data"]["customEventTypeUpdate"]["eventType"]["version"] == 2  # same schema

    body = await gql(DEACTIVATE_TYPE, {"id": created["id"]})
    assert body["data"]["customEventTypeDeactivate"]["eventType"]["active"] is False
    listed = (await gql(LIST_TYPES, {"filter": {"active": False}}))["data"]["customEventTypes"]
    assert [n["name"] for n in listed["nodes"]] == ["shop.cart_abandoned"]
    listed = (await gql(LIST_TYPES, {"filter": {"active": True}}))["data"]["customEventTypes"]
    assert listed["totalCount"] == 0


@pytest.mark.parametrize(
    ("name", "schema", "code"),
    [
        ("shop.cart_abandoned", {"type": "no-such-type"}, "INVALID_SCHEMA"),
        ("shop.cart_abandoned", {"properties": {"a": {"minimum": "zero"}}}, "INVALID_SCHEMA"),
        ("shop.cart_abandoned", [1, 2], "INVALID_SCHEMA"),
        ("shop.cart_abandoned", {"$ref": "https://example.com/cart.json"}, "INVALID_SCHEMA"),
        ("shop.cart_abandoned", {"items": {"$ref": "#/$defs/missing"}}, "INVALID_SCHEMA"),
        ("CartAbandoned", {"type": "object"}, "INVALID_NAME"),
        ("cart_abandoned", {"type": "object"}, "INVALID_NAME"),
        ("customer.created", {"type": "object"}, "CLASH"),
        ("order.cart_abandoned", {"type": "object"}, "CLASH"),
    ],
)
async def test_create_refuses_a_bad_schema_name_or_clash_and_writes_nothing(
    gql, unicrm_state, name, schema, code
):
    body = await gql(CREATE_TYPE, {"input": {"name": name, "schema": schema}})
    payload = body["data"]["customEventTypeCreate"]
    assert payload["eventType"] is None
    assert [e["code"] for e in payload["errors"]] == [code]
    assert await count(unicrm_state, CustomEventType) == 0


async def test_a_registered_name_cannot_be_registered_again(gql, unicrm_state, cart_type):
    body = await gql(CREATE_TYPE, {"input": {"name": "shop.cart_abandoned", "schema": {}}})
    assert [e["code"] for e in body["data"]["customEventTypeCreate"]["errors"]] == ["CLASH"]
    assert await count(unicrm_state, CustomEventType) == 1


async def test_update_and_deactivate_refuse_bad_input_and_change_nothing(gql, cart_type):
    body = await gql(UPDATE_TYPE, {"input": {"id": cart_type["id"], "schema": {"type": 3}}})
    assert [e["code"] for e in body["data"]["customEventTypeUpdate"]["errors"]] == [
        "INVALID_SCHEMA"
    ]
    body = await gql(UPDATE_TYPE, {"input": {"id": "nonsense", "active": False}})
    assert [e["code"] for e in body["data"]["customEventTypeUpdate"]["errors"]] == ["INVALID_ID"]
    body = await gql(DEACTIVATE_TYPE, {"id": cart_type["id"].replace("A", "B", 1)})
    errors = body["data"]["customEventTypeDeactivate"]["errors"]
    assert [e["code"] for e in errors] in (["NOT_FOUND"], ["INVALID_ID"])
    [listed] = (await gql(LIST_TYPES))["data"]["customEventTypes"]["nodes"]
    assert (listed["version"], listed["active"], listed["schema"]) == (1, True, CART_SCHEMA)


async def test_an_accepted_event_is_stored_published_and_on_the_timeline(
    unicrm_state, customer, cart_type
):
    async with integration(unicrm_state) as http:
        response = await http.post("/events", json=event({"id": str(customer)}, "cart-1"))
    assert response.status_code == 207, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 0)
    [result] = body["results"]
    assert (result["index"], result["status"], result["duplicate"]) == (0, "accepted", False)
    event_id = uuid.UUID(result["id"])

    async with unicrm_state.db.session() as session:
        stored = await session.get(CustomEvent, event_id)
        outbox = await session.get(OutboxEvent, event_id)
        entry = await session.scalar(
            select(TimelineEntry).where(TimelineEntry.customer_id == customer)
        )
    assert (stored.type, stored.customer_id, stored.idempotency_key) == (
        "shop.cart_abandoned",
        customer,
        "cart-1",
    )
    assert stored.source.startswith("apikey:")
    assert (outbox.type, outbox.customer_id, outbox.actor) == (
        "shop.cart_abandoned",
        customer,
        "Web shop",
    )
    assert outbox.payload == {
        "occurred_at": "2026-11-20T10:15:00+07:00",
        "data": {"cart_value": 1250.5, "items": [{"sku": "TEA-01", "quantity": 2}]},
    }
    assert (entry.kind, entry.title, entry.ref_type, entry.ref_id) == (
        "core.custom_event",
        "shop.cart_abandoned",
        "CustomEvent",
        event_id,
    )
    assert entry.data["payload"]["cart_value"] == 1250.5


async def test_a_batch_stores_the_good_events_and_reports_each_bad_one(
    unicrm_state, customer, cart_type
):
    batch = [
        event({"source": "pos_member", "externalId": "M-100"}, "k-1"),
        event({"id": str(customer)}, "k-2", type="shop.unknown"),
        event({"id": str(customer)}, "k-3", payload={"cart_value": "much"}),
        event({"id": str(customer)}, "k-4", payload={"cart_value": 1, "items": [{"qty": 1}]}),
        event({"email": "nobody@example.com"}, "k-5"),
        event({"email": " Ploy@Example.com "}, "k-6"),
        event({"id": str(uuid.uuid4())}, "k-7"),
        event({"id": str(customer)}, "k-8", occurredAt="yesterday"),
        event({"id": str(customer)}, "k-9", payload={"cart_value": 1, "coupon": "X"}),
    ]
    async with integration(unicrm_state) as http:
        response = await http.post("/events", json={"events": batch})
    assert response.status_code == 207
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 7)
    by_index = {r["index"]: r for r in body["results"]}
    assert [by_index[i]["status"] for i in (0, 5)] == ["accepted", "accepted"]
    errors = {i: r["error"] for i, r in by_index.items() if r["status"] == "rejected"}
    assert {i: (e["code"], e.get("path")) for i, e in errors.items()} == {
        1: ("UNKNOWN_TYPE", "/type"),
        2: ("INVALID_PAYLOAD", "/cart_value"),
        3: ("INVALID_PAYLOAD", "/items/0"),
        4: ("UNKNOWN_CUSTOMER", "/customer"),
        6: ("UNKNOWN_CUSTOMER", "/customer/id"),
        7: ("INVALID_EVENT", "/occurredAt"),
        8: ("INVALID_PAYLOAD", "/"),
    }
    assert "'sku' is a required property" in errors[3]["message"]

    async with unicrm_state.db.session() as session:
        keys = set((await session.scalars(select(CustomEvent.idempotency_key))).all())
        published = await session.scalar(
            select(func.count()).where(OutboxEvent.type == "shop.cart_abandoned")
        )
    assert keys == {"k-1", "k-6"}
    assert published == 2


async def test_a_repeat_answers_the_first_event_and_is_stored_once(
    unicrm_state, customer, cart_type
):
    pushed = event({"id": str(customer)}, "cart-7")
    async with integration(unicrm_state) as http:
        first = (await http.post("/events", json=pushed)).json()["results"][0]
        again = (await http.post("/events", json={"events": [pushed, pushed]})).json()
        changed = event({"id": str(customer)}, "cart-7", payload={"cart_value": 9})
        clash = (await http.post("/events", json=changed)).json()["results"][0]
    assert [(r["id"], r["duplicate"]) for r in again["results"]] == [(first["id"], True)] * 2
    assert clash["error"]["code"] == "DUPLICATE"
    assert first["id"] in clash["error"]["message"]
    assert await count(unicrm_state, CustomEvent) == 1
    async with unicrm_state.db.session() as session:
        published = await session.scalar(
            select(func.count()).where(OutboxEvent.type == "shop.cart_abandoned")
        )
    assert published == 1

    async with integration(unicrm_state) as other:  # another key has keys of its own
        response = await other.post("/events", json=pushed)
    assert response.json()["results"][0]["duplicate"] is False


async def test_concurrent_pushes_of_one_key_store_one_event(unicrm_state, customer, cart_type):
    if unicrm_state.db.is_sqlite:
        pytest.skip("one writer at a time on SQLite: concurrency is PostgreSQL's")
    pushed = event({"id": str(customer)}, "same-key")
    async with integration(unicrm_state) as http:
        responses = await asyncio.gather(*[http.post("/events", json=pushed) for _ in range(6)])
    results = [r.json()["results"][0] for r in responses]
    assert {r["status"] for r in results} == {"accepted"}
    assert len({r["id"] for r in results}) == 1
    assert sorted(r["duplicate"] for r in results) == [False] + [True] * 5
    assert await count(unicrm_state, CustomEvent) == 1


async def test_a_deactivated_type_takes_no_events(gql, unicrm_state, customer, cart_type):
    await gql(DEACTIVATE_TYPE, {"id": cart_type["id"]})
    async with integration(unicrm_state) as http:
        response = await http.post("/events", json=event({"id": str(customer)}, "k"))
    assert response.json()["results"][0]["error"]["code"] == "UNKNOWN_TYPE"
    assert await count(unicrm_state, CustomEvent) == 0


async def test_pushing_needs_a_valid_credential_with_the_ingest_permission(
    unicrm_state, anonymous_client, client, customer, cart_type
):
    pushed = event({"id": str(customer)}, "k")
    response = await anonymous_client.post("/events", json=pushed)
    assert response.status_code == 401
    response = await anonymous_client.post(
        "/events", json=pushed, headers={"Authorization": "Bearer ucrm_abc_wrong"}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (401, "UNAUTHENTICATED")
    async with integration(unicrm_state, role="store_staff") as http:
        response = await http.post("/events", json=pushed)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "FORBIDDEN")
    response = await client.post("/events", json=pushed)  # an admin's access token may push
    assert response.status_code == 207
    assert await count(unicrm_state, CustomEvent) == 1


async def test_malformed_and_oversized_bodies_are_refused_whole(unicrm_state, customer, cart_type):
    one = event({"id": str(customer)}, "k")
    async with integration(unicrm_state) as http:
        for body in (b"{not json", b"[]", b'{"events": []}', b'{"events": {}}'):
            response = await http.post(
                "/events", content=body, headers={"Content-Type": "application/json"}
            )
            assert (response.status_code, response.json()["error"]["code"]) == (
                400,
                "BAD_REQUEST",
            ), body
        batch = [{**one, "idempotencyKey": f"k-{i}"} for i in range(MAX_BATCH + 1)]
        response = await http.post("/events", json={"events": batch})
        assert (response.status_code, response.json()["error"]["code"]) == (
            413,
            "TOO_MANY_EVENTS",
        )
        limit = unicrm_state.settings.limits_for("default").max_request_bytes
        huge = orjson.dumps({**one, "payload": {"cart_value": 1, "note": "x" * limit}})
        response = await http.post(
            "/events", content=huge, headers={"Content-Type": "application/json"}
        )
        assert (response.status_code, response.json()["error"]["code"]) == (413, "TOO_LARGE")
    assert await count(unicrm_state, CustomEvent) == 0


def _recorder(seen: list[Event]) -> types.ModuleType:
    module = types.ModuleType("shop_listener")

    async def record(event: Event, session) -> None:
        seen.append(event)

    @hookimpl
    def plugin_manifest() -> PluginManifest:
        return PluginManifest(name="shop_listener", version="1", title="Shop listener")

    @hookimpl
    def register_event_handlers() -> dict:
        return {"shop.cart_abandoned": [record]}

    module.plugin_manifest = plugin_manifest
    module.register_event_handlers = register_event_handlers
    return module


async def test_a_pushed_event_reaches_a_registered_handler(unicrm_state, customer, cart_type):
    seen: list[Event] = []
    state = create_state(
        unicrm_state.settings, plugins={"shop_listener": _recorder(seen)}, db=unicrm_state.db
    )
    key = await api_key(unicrm_state)
    await load_policies(state)
    async with client_for(state, key) as http:
        response = await http.post("/events", json=event({"id": str(customer)}, "k"))
    event_id = response.json()["results"][0]["id"]
    await state.events.dispatch_pending()
    [received] = seen
    assert (str(received.id), received.type, received.customer_id) == (
        event_id,
        "shop.cart_abandoned",
        customer,
    )
    assert received.payload["data"]["items"] == [{"sku": "TEA-01", "quantity": 2}]


async def test_an_api_key_over_its_rate_is_refused_with_retry_after(
    unicrm_state, unicrm_plugins, customer, cart_type
):
    settings = load_settings(
        database_url=unicrm_state.settings.database_url,
        plugins=list(unicrm_plugins),
        environment="test",
        auth=TEST_AUTH,
        limits={"requests_per_second": 0.01, "burst": 1},
    )
    state = create_state(settings, plugins=unicrm_plugins, db=unicrm_state.db)
    key = await api_key(unicrm_state)
    await load_policies(state)
    async with client_for(state, key) as http:
        first = await http.post("/events", json=event({"id": str(customer)}, "k-1"))
        second = await http.post("/events", json=event({"id": str(customer)}, "k-2"))
    assert first.status_code == 207
    assert (second.status_code, second.json()["error"]["code"]) == (429, "RATE_LIMITED")
    assert int(second.headers["Retry-After"]) >= 1
    assert await count(unicrm_state, CustomEvent) == 1


async def test_merge_moves_custom_events_export_lists_them_and_erase_deletes_them(
    unicrm_state, customer, cart_type
):
    async with unicrm_state.db.transaction() as session:
        other = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Ploy")
        )
    async with integration(unicrm_state) as http:
        await http.post("/events", json=event({"id": str(other.id)}, "k-1"))
        await http.post("/events", json=event({"id": str(customer)}, "k-2"))
    async with unicrm_state.db.transaction() as session:
        await merge_customers(session, other.id, customer, manager=unicrm_state.manager)
    async with integration(unicrm_state) as http:  # the merged-away id still resolves
        response = await http.post("/events", json=event({"id": str(other.id)}, "k-3"))
    assert response.json()["accepted"] == 1

    manager = unicrm_state.manager
    async with unicrm_state.db.session() as session:
        owners = set((await session.scalars(select(CustomEvent.customer_id))).all())
        [sections] = await manager.acall(
            "customer_export", only=[], customer_id=customer, session=session
        )
    assert owners == {customer}
    assert sorted(e["idempotency_key"] for e in sections["custom_events"]) == [
        "k-1",
        "k-2",
        "k-3",
    ]
    assert sections["custom_events"][0]["payload"]["cart_value"] == 1250.5

    async with unicrm_state.db.transaction() as session:
        await manager.acall("customer_erase", only=[], customer_id=customer, session=session)
    assert await count(unicrm_state, CustomEvent) == 0


async def test_a_department_scoped_key_names_only_its_departments_customers(
    unicrm_state, customer, cart_type
):
    async with unicrm_state.db.transaction() as session:
        session.add(AuthzRole(name="branch_source", description="A branch's POS"))
        session.add(
            to_row(
                Rule.allow("branch_source", "*", "core.event_ingest", "write", scope="department")
            )
        )
        default = await unicrm_state.departments.get(unicrm_state.settings.default_department)
        ours = await create_customer(
            session,
            CustomerData(kind=CustomerKind.PERSON, first_name="Mali", department_id=default.id),
        )
    async with integration(unicrm_state, role="branch_source") as http:
        response = await http.post(
            "/events",
            json={
                "events": [
                    event({"id": str(ours.id)}, "k-1"),
                    event({"id": str(customer)}, "k-2"),  # in no department
                ]
            },
        )
    results = response.json()["results"]
    assert results[0]["status"] == "accepted"
    assert results[1]["error"]["code"] == "UNKNOWN_CUSTOMER"
    assert await count(unicrm_state, CustomEvent) == 1
