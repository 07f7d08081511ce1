"""`customerUpdated(id)` and `timelineEntryAdded(customerId)`: one customer's changes and new
timeline entries, live, for subscribers who may see that customer."""

from __future__ import annotations

from subscriptions.support import live, ws_client
from unicrm.core.testing.pytest_plugin import sign_in_as

CREATE = """
mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { customer { id } } }
"""
UPDATE = """
mutation($input: CustomerUpdateInput!) { customerUpdate(input: $input) { errors { code } } }
"""
TAG = """
mutation($input: CustomerTagInput!) { customerTagAdd(input: $input) { errors { code } } }
"""
UPDATED = "subscription($id: ID!) { customerUpdated(id: $id) { id displayName tags { name } } }"
ENTRIES = """
subscription($id: ID!) { timelineEntryAdded(customerId: $id) { id kind title } }
"""


async def gql(http, query: str, variables: dict) -> dict:
    body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
    assert "errors" not in body, body
    return body["data"]


async def person(http, name: str) -> str:
    data = await gql(http, CREATE, {"input": {"kind": "PERSON", "firstName": name}})
    return data["customerCreate"]["customer"]["id"]


async def test_customer_updated_sends_the_customer_as_it_is_after_each_change(
    server, client, unicrm_state
):
    token = await sign_in_as(unicrm_state, "watcher@unicrm.test", "admin")
    somchai = await person(client, "Somchai")
    other = await person(client, "Other")
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", UPDATED, {"id": somchai})
        await live(unicrm_state, 1)
        await gql(client, UPDATE, {"input": {"id": other, "firstName": "Ignored"}})
        await gql(client, UPDATE, {"input": {"id": somchai, "firstName": "Somsak"}})
        renamed = await ws.receive()
        await gql(client, TAG, {"input": {"customerId": somchai, "name": "vip"}})
        tagged = await ws.receive()

    assert renamed["payload"]["data"]["customerUpdated"]["id"] == somchai
    assert renamed["payload"]["data"]["customerUpdated"]["displayName"].startswith("Somsak")
    assert tagged["payload"]["data"]["customerUpdated"]["tags"] == [{"name": "vip"}]


async def test_timeline_entry_added_sends_each_new_entry_of_the_customer(
    server, client, unicrm_state
):
    token = await sign_in_as(unicrm_state, "watcher@unicrm.test", "admin")
    somchai = await person(client, "Somchai")
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", ENTRIES, {"id": somchai})
        await live(unicrm_state, 1)
        await gql(client, TAG, {"input": {"customerId": somchai, "name": "vip"}})
        message = await ws.receive()

    entry = message["payload"]["data"]["timelineEntryAdded"]
    assert entry["kind"] == "core.tag_added"
    assert entry["title"]


async def test_a_customer_outside_the_subscriber_s_scope_is_not_found(server, client, unicrm_state):
    somchai = await person(client, "Somchai")  # owned by the admin, not by the rep
    token = await sign_in_as(unicrm_state, "rep@unicrm.test", "field_sales")
    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", UPDATED, {"id": somchai})
        message = await ws.receive()

    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"
