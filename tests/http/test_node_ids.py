"""Global ids, ``node``/``nodes`` and page arguments as clients send them."""

from __future__ import annotations

import base64
import uuid

import pytest
from http_helpers import create_customer
from sqlalchemy import event

from unicrm.core.db.ids import uuid7
from unicrm.core.graph.ids import to_global_id

CUSTOMER = "query($id: ID!) { customer(id: $id) { id displayName } }"
NODE = "query($id: ID!) { node(id: $id) { __typename id ... on Customer { displayName } } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Customer { displayName } } }"


def forged(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def bad_request(body: dict, field: str) -> str:
    assert body["data"] is None or body["data"][field] is None
    error = body["errors"][0]
    assert error["path"] == [field]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    return error["message"]


FIXED_UUID = uuid.UUID("0190a3c8-6f2b-7c3e-9a4d-1b2c3d4e5f60")

MALFORMED = [
    "nope",
    "",
    "%%%",
    forged("Customer"),
    forged("Customer:"),
    forged("Customer:not-a-uuid"),
    forged(f"Customer:{FIXED_UUID}"),  # hyphenated: not the form ids are issued in
    forged(f"Customer:{FIXED_UUID.hex.upper()}"),
    forged(f":{FIXED_UUID.hex}"),
    forged(f"Cust omer:{FIXED_UUID.hex}"),
    to_global_id("Customer", FIXED_UUID) + "==",
]


@pytest.mark.parametrize("global_id", MALFORMED)
async def test_malformed_id_in_customer_is_a_bad_request(gql, global_id):
    message = bad_request(await gql(CUSTOMER, {"id": global_id}), "customer")
    assert "is not a valid id" in message


@pytest.mark.parametrize("global_id", MALFORMED)
async def test_malformed_id_in_node_is_a_bad_request(gql, global_id):
    bad_request(await gql(NODE, {"id": global_id}), "node")


async def test_id_of_another_type_in_customer_is_a_bad_request(gql):
    product_id = forged(f"Product:{uuid7().hex}")
    message = bad_request(await gql(CUSTOMER, {"id": product_id}), "customer")
    assert message == f"{product_id!r} is not the id of a Customer"


@pytest.mark.parametrize("type_name", ["NoSuchType", "PageInfo", "Node", "Query", "String"])
async def test_node_id_of_a_type_that_is_no_node_is_a_bad_request(gql, type_name):
    global_id = to_global_id(type_name, uuid7())
    message = bad_request(await gql(NODE, {"id": global_id}), "node")
    assert "is not the id of an object this API serves" in message


async def test_well_formed_unknown_customer_id_is_null(gql):
    body = await gql(CUSTOMER, {"id": to_global_id("Customer", uuid7())})
    assert body == {"data": {"customer": None}}


async def test_well_formed_unknown_node_id_is_null(gql):
    body = await gql(NODE, {"id": to_global_id("Customer", uuid7())})
    assert body == {"data": {"node": None}}


async def test_node_returns_the_customer_behind_its_id(gql):
    customer_id = await create_customer(gql, "Anan")
    body = await gql(NODE, {"id": customer_id})
    assert body == {
        "data": {"node": {"__typename": "Customer", "id": customer_id, "displayName": "Anan"}}
    }


async def test_nodes_keep_the_order_given_and_null_the_unknown(gql):
    first = await create_customer(gql, "Boon")
    second = await create_customer(gql, "Chai")
    unknown = to_global_id("Customer", uuid7())
    body = await gql(NODES, {"ids": [second, unknown, first, second]})
    assert body == {
        "data": {
            "nodes": [
                {"id": second, "displayName": "Chai"},
                None,
                {"id": first, "displayName": "Boon"},
                {"id": second, "displayName": "Chai"},
            ]
        }
    }


async def test_nodes_load_in_one_batch_whatever_their_number(gql, unicrm_state):
    ids = [await create_customer(gql, name) for name in ("Dao", "Ekk", "Fah", "Gun")]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = unicrm_state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        await gql(NODES, {"ids": ids[:1]})
        one = len(statements)
        statements.clear()
        await gql(NODES, {"ids": ids})
        four = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert four == one


async def test_nodes_with_one_malformed_id_is_a_bad_request(gql):
    customer_id = await create_customer(gql, "Hong")
    bad_request(await gql(NODES, {"ids": [customer_id, "nope"]}), "nodes")


async def test_nodes_over_the_page_size_is_a_bad_request(gql, unicrm_state):
    limit = unicrm_state.settings.limits.max_page_size
    ids = [to_global_id("Customer", uuid7()) for _ in range(limit + 1)]
    message = bad_request(await gql(NODES, {"ids": ids}), "nodes")
    assert message == f"at most {limit} ids"


PAGE = (
    "query($first: Int, $after: String) { customers(first: $first, after: $after) { totalCount } }"
)


@pytest.mark.parametrize("first", [1000, 101, -1])
async def test_page_size_out_of_range_is_a_bad_request(gql, first):
    message = bad_request(await gql(PAGE, {"first": first}), "customers")
    assert message == "first must be between 0 and 100"


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",  # "not json"
        forged("[]"),
        forged('[["v", "Anan"]]'),
        forged('[["d", "abc"], ["u", "00"]]'),
        forged('[["v", "Anan"], ["u", 5]]'),
        forged('[["v", "Anan"], {"u": 1}]'),
        forged('[["t", "2024-01-01T00:00:00"], ["u", "' + FIXED_UUID.hex + '"]]'),
    ],
)
async def test_malformed_cursor_is_a_bad_request(gql, cursor):
    message = bad_request(await gql(PAGE, {"first": 2, "after": cursor}), "customers")
    assert message == "after is not a valid cursor"
