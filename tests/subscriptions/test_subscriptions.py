"""Subscribing over graphql-transport-ws against a real server: events reach the subscribers
who may see them, with the same field decisions as queries."""

from __future__ import annotations

from subscriptions.support import live, ws_client
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as

CREATE = """
mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { customer { id } } }
"""
EMAIL = """
mutation($input: CustomerEmailAddInput!) { customerEmailAdd(input: $input) { errors { code } } }
"""
CUSTOMER_EVENTS = """
subscription($id: ID) {
  customerEvents(customerId: $id) { eventId type occurredAt customer { id displayName } }
}
"""


async def create(http, name: str) -> str:
    body = (
        await http.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": {"kind": "PERSON", "firstName": name}}},
        )
    ).json()
    return body["data"]["customerCreate"]["customer"]["id"]


async def test_a_mutation_reaches_a_subscriber(server, client, unicrm_state):
    token = await sign_in_as(unicrm_state, "watcher@unicrm.test", "admin")
    async with ws_client(server) as ws:
        assert (await ws.init(token))["type"] == "connection_ack"
        await ws.subscribe("1", CUSTOMER_EVENTS)
        await live(unicrm_state, 1)
        customer = await create(client, "Somchai")
        message = await ws.receive()

    assert message["id"] == "1" and message["type"] == "next"
    event = message["payload"]["data"]["customerEvents"]
    assert event["type"] == "customer.created"
    assert event["customer"] == {"id": customer, "displayName": "Somchai"}
    assert event["occurredAt"]
    assert "errors" not in message["payload"]


async def test_customer_id_narrows_the_feed_to_one_customer(server, client, unicrm_state):
    token = await sign_in_as(unicrm_state, "watcher@unicrm.test", "admin")
    first = await create(client, "First")
    second = await create(client, "Second")
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", CUSTOMER_EVENTS, {"id": second})
        await live(unicrm_state, 1)
        for customer in (first, second):
            email = {"customerId": customer, "address": "x@example.com", "isPrimary": True}
            await client.post("/graphql", json={"query": EMAIL, "variables": {"input": email}})
        message = await ws.receive()
    assert message["payload"]["data"]["customerEvents"]["customer"]["id"] == second


async def test_the_upgrade_requests_authorization_header_authenticates_too(
    server, client, unicrm_state
):
    token = await sign_in_as(unicrm_state, "watcher@unicrm.test", "admin")
    async with ws_client(server, headers={"Authorization": f"Bearer {token}"}) as ws:
        ack = await ws.init()
        await ws.subscribe("1", 'subscription { domainEvents(types: ["customer.*"]) { type } }')
        await live(unicrm_state, 1)
        await create(client, "Header")
        message = await ws.receive()
    assert ack == {"type": "connection_ack", "payload": {"department": "default"}}
    assert message["payload"]["data"] == {"domainEvents": {"type": "customer.created"}}


async def test_domain_events_filters_by_type_pattern_and_carries_the_payload(
    server, client, unicrm_state
):
    token = await sign_in_as(unicrm_state, "watcher@unicrm.test", "admin")
    query = """subscription($types: [String!]) {
      domainEvents(types: $types) { type customerId actor payload }
    }"""
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", query, {"types": ["order.*", "customer.contact_changed"]})
        await live(unicrm_state, 1)
        customer = await create(client, "Typed")  # customer.created: not asked for
        email = {"customerId": customer, "address": "typed@example.com", "isPrimary": True}
        await client.post("/graphql", json={"query": EMAIL, "variables": {"input": email}})
        message = await ws.receive()
    event = message["payload"]["data"]["domainEvents"]
    assert event["type"] == "customer.contact_changed"
    assert event["customerId"] == customer
    assert event["actor"] == "admin"
    assert event["payload"]["kind"] == "email" and event["payload"]["action"] == "added"


async def test_a_bad_credential_closes_the_connection_with_4403(server):
    async with ws_client(server) as ws:
        await ws.send({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}})
        assert await ws.closed_with() == 4403


async def test_an_unknown_department_closes_the_connection_with_4403(server, unicrm_state):
    token = await sign_in_as(unicrm_state, "watcher@unicrm.test", "admin")
    async with ws_client(server, "/graphql/nowhere") as ws:
        await ws.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        assert await ws.closed_with() == 4403


async def test_the_legacy_graphql_ws_protocol_is_refused(server):
    async with ws_client(server, protocol="graphql-ws") as ws:
        assert await ws.closed_with() == 4406


async def test_a_denied_root_field_is_refused_before_any_event(server, client, unicrm_state):
    token = await sign_in_as(unicrm_state, "rep@unicrm.test", "field_sales")
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", "subscription { domainEvents { type } }")
        refused = await ws.receive()
        # The connection stays usable for what the rep may subscribe to.
        await ws.subscribe("2", "subscription { customerEvents { type } }")
        await live(unicrm_state, 1)
    assert refused["id"] == "1" and refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "FORBIDDEN"
    assert unicrm_state.events.fanout.subscribers == 0


async def test_field_sales_receive_only_their_own_customers_and_denied_fields_are_null(
    server, client, unicrm_state
):
    token = await sign_in_as(unicrm_state, "rep@unicrm.test", "field_sales")
    query = "subscription { customerEvents { type customer { id displayName taxId } } }"
    async with ws_client(server) as ws, client_for(unicrm_state, token) as rep:
        await ws.init(token)
        await ws.subscribe("1", query)
        await live(unicrm_state, 1)
        await create(client, "NotTheRepsOwn")  # the admin's customer: outside the rep's scope
        own = await create(rep, "Own")
        message = await ws.receive()  # the first event the rep gets is about its own customer

    payload = message["payload"]
    assert payload["data"]["customerEvents"]["customer"] == {
        "id": own,
        "displayName": "Own",
        "taxId": None,
    }
    [error] = payload["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["customerEvents", "customer", "taxId"]


async def test_masked_fields_are_masked_in_every_event(server, client, unicrm_state):
    token = await sign_in_as(unicrm_state, "till@unicrm.test", "store_staff")
    customer = await create(client, "Masked")
    query = "subscription($id: ID) { customerEvents(customerId: $id) { customer { email } } }"
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", query, {"id": customer})
        await live(unicrm_state, 1)
        email = {"customerId": customer, "address": "somchai@example.com", "isPrimary": True}
        await client.post("/graphql", json={"query": EMAIL, "variables": {"input": email}})
        message = await ws.receive()
    assert message["payload"]["data"]["customerEvents"]["customer"] == {"email": "s***@example.com"}


async def test_a_revoked_right_ends_the_stream_with_forbidden(server, client, unicrm_state):
    from unicrm.core.authz.enforcer import Rule
    from unicrm.core.authz.store import load_policies, to_row

    token = await sign_in_as(unicrm_state, "watcher@unicrm.test", "analyst")
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", "subscription { customerEvents { type } }")
        await live(unicrm_state, 1)
        async with unicrm_state.db.transaction() as session:
            session.add(to_row(Rule.deny("analyst", "*", "Subscription.customerEvents", "read")))
        await load_policies(unicrm_state)
        await create(client, "AfterRevoke")
        message = await ws.receive()
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"
