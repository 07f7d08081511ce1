"""Customer 360 and customer lists through both executors, over HTTP on SQLite and PostgreSQL:
the same JSON for admins, masked roles and roles denied a field, for cursors, ``first: 0``
and unknown ids; a fixed number of statements whatever the page size; random queries."""

from __future__ import annotations

import random
import uuid

import pytest

from executor.generate import QueryGenerator
from executor.support import both, executed, post
from unicrm.core.graph.ids import to_global_id
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as
from unicrm.core.testing.statements import StatementCounter

CREATE = """
mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { customer { id } } }
"""
EMAIL = """
mutation($input: CustomerEmailAddInput!) { customerEmailAdd(input: $input) { errors { code } } }
"""
PHONE = """
mutation($input: CustomerPhoneAddInput!) { customerPhoneAdd(input: $input) { errors { code } } }
"""

CUSTOMER_360 = """
query($id: ID!) {
  customer(id: $id) {
    __typename id kind displayName firstName lastName companyName createdAt
    ...Contact
    parent { id displayName }
    identities { id }
    consents { purpose channel status }
    tags { name }
    lifecycleStage
    lead { id }
    latestOrders(limit: 10) { id }
    invoices(limit: 10) { id }
    bookings(limit: 10) { id }
    owner { id }
    deals { id }
    cases { id }
    loyaltyMember { id }
  }
}
fragment Contact on Customer {
  email phone
  emails { address isPrimary }
  phones { number isPrimary }
  primaryEmail { address }
  addresses { province country }
}
"""

LIST = """
query($first: Int, $after: String) {
  customers(first: $first, after: $after) {
    edges { cursor node { id displayName email phones { number } tags { name } parent { id } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def _customers(gql, count: int) -> list[str]:
    company = await gql(CREATE, {"input": {"kind": "COMPANY", "companyName": "Siam Widgets"}})
    parent = company["data"]["customerCreate"]["customer"]["id"]
    ids = [parent]
    for index in range(count - 1):
        body = await gql(
            CREATE,
            {"input": {"kind": "COMPANY", "companyName": f"Anan{index}", "parentId": parent}},
        )
        customer = body["data"]["customerCreate"]["customer"]["id"]
        address = f"anan{index}@example.com"
        email = {"customerId": customer, "address": address, "isPrimary": True}
        await gql(EMAIL, {"input": email})
        number = f"081 234 56{index:02d}"
        await gql(PHONE, {"input": {"customerId": customer, "number": number, "isPrimary": True}})
        ids.append(customer)
    return ids


async def _as(state, role: str):
    token = await sign_in_as(state, f"{role}-{uuid.uuid4().hex[:8]}@unicrm.test", role)
    return client_for(state, token)


async def test_customer_360_answers_the_same(client, gql):
    ids = await _customers(gql, 3)

    body = await both(client, CUSTOMER_360, {"id": ids[1]})

    customer = body["data"]["customer"]
    assert customer["emails"] == [{"address": "anan0@example.com", "isPrimary": True}]
    assert customer["parent"]["displayName"] == "Siam Widgets"


async def test_lists_page_by_cursor_the_same(client, gql):
    await _customers(gql, 5)

    first = await both(client, LIST, {"first": 2})
    after = first["data"]["customers"]["pageInfo"]["endCursor"]
    second = await both(client, LIST, {"first": 2, "after": after})
    empty = await both(client, LIST, {"first": 0})

    assert [e["node"]["displayName"] for e in second["data"]["customers"]["edges"]] == [
        "Anan2",
        "Anan3",
    ]
    assert empty["data"]["customers"]["edges"] == []
    bad = await both(client, LIST, {"first": 2, "after": "%%%"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_unknown_and_malformed_ids_answer_the_same(client, gql):
    ids = await _customers(gql, 2)
    gone = to_global_id("Customer", uuid.uuid4())

    body = await both(
        client,
        """query($a: ID!, $b: ID!) { a: node(id: $a) { id ... on Customer { displayName } }
        b: customer(id: $b) { id } c: nodes(ids: [$a, $b]) { __typename id } }""",
        {"a": ids[0], "b": gone},
    )
    bad = await both(client, '{ customer(id: "nope") { id } }')

    assert body["data"]["a"]["displayName"] == "Siam Widgets"
    assert body["data"]["b"] is None
    assert bad["data"] == {"customer": None}
    assert bad["errors"][0]["path"] == ["customer"]


async def test_masked_fields_are_masked_the_same(gql, unicrm_state):
    ids = await _customers(gql, 2)

    contacts = "{ customers(first: 5) { edges { node { phone emails { address } } } } }"

    async with await _as(unicrm_state, "store_staff") as staff:
        await both(staff, CUSTOMER_360, {"id": ids[1]})
        body = await both(staff, contacts)

    assert body["data"]["customers"]["edges"][0]["node"] == {
        "phone": "08x-xxx-5600",
        "emails": [{"address": "a***@example.com"}],
    }


@pytest.mark.parametrize(
    "query",
    [
        LIST,
        "query($first: Int) { customers(first: $first) { edges { node { id ...P } } } }"
        " fragment P on Customer { kind email }",
        "query($first: Int) { customers(first: $first) { edges { node { ... on Customer "
        "{ kind emails { address } } } } } }",
    ],
    ids=["non-null-denied", "fragment", "inline-fragment"],
)
async def test_denied_fields_are_null_and_forbidden_the_same(gql, unicrm_state, query):
    await _customers(gql, 3)

    async with await _as(unicrm_state, "analyst") as analyst:
        body = await both(analyst, query, {"first": 3})

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def _statements(state, client, first: int) -> int:
    await post(client, LIST, {"first": first})  # warm: sessions, policies, plans
    with executed() as outcome, StatementCounter(state) as counter:
        response = await post(client, LIST, {"first": first})
    assert response.status_code == 200
    assert outcome.compiled == 1
    return counter.count


async def test_a_list_costs_the_same_statements_whatever_its_size(client, gql, unicrm_state):
    await _customers(gql, 8)

    small = await _statements(unicrm_state, client, 2)
    large = await _statements(unicrm_state, client, 8)

    assert small == large


async def test_customer_360_statements_do_not_grow_with_rows(client, gql, unicrm_state):
    ids = await _customers(gql, 3)
    await gql(EMAIL, {"input": {"customerId": ids[1], "address": "second@example.com"}})

    async def count(customer: str) -> int:
        await post(client, CUSTOMER_360, {"id": customer})
        with executed() as outcome, StatementCounter(unicrm_state) as counter:
            await post(client, CUSTOMER_360, {"id": customer})
        assert outcome.compiled == 1
        return counter.count

    assert await count(ids[1]) == await count(ids[2])


CUSTOMER_FIELDS = {
    "Customer": None,
    "CustomerEmail": None,
    "CustomerPhone": None,
    "CustomerIdentity": None,
    "Tag": None,
}


def _customer_only(type_name: str, field_name: str, field) -> bool:
    from graphql import get_named_type, is_leaf_type

    named = get_named_type(field.type)
    if field.args:
        return False
    if type_name not in CUSTOMER_FIELDS or field_name in ("national",):
        return False
    return is_leaf_type(named) or named.name in CUSTOMER_FIELDS


async def test_random_customer_queries_answer_the_same(client, gql, unicrm_state):
    ids = await _customers(gql, 3)
    rng = random.Random(20261123)
    schema = unicrm_state.schema_for(frozenset(unicrm_state.settings.plugins))._schema
    compiled = 0
    for _ in range(12):
        generator = QueryGenerator(schema, rng, _customer_only)
        root = rng.choice(["customer(id: $id)", "customers(first: 3)"])
        if root.startswith("customers"):
            text, variables = _list_query(generator, rng)
        else:
            text, variables = generator.query(root, depth=2)
            variables["id"] = rng.choice(ids)
        with executed() as outcome:
            await both(client, text, variables, planned=False)
        compiled += outcome.compiled
    assert compiled >= 4


def _list_query(generator: QueryGenerator, rng: random.Random) -> tuple[str, dict]:
    body = generator.selection("Customer", 2)
    declared = [f"${name}: Boolean!" for name in generator.variables]
    head = f"query Q({', '.join(declared)})" if declared else "query Q"
    text = f"{head} {{ customers(first: 3) {{ edges {{ cursor node {body} }} }} }}\n"
    return text + "\n".join(generator.fragments), dict(generator.variables)
