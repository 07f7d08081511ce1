"""What each role sees over HTTP: masked and denied fields, however they are reached, and
rows outside a role's scope (see docs/field-access.md)."""

from __future__ import annotations

import uuid

import pytest

from unicrm.core.graph.customers.models import Customer
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
CONTACTS = "{ customers { edges { node { email phone emails { address } } } } }"
NULLABLE_CONTACTS = "{ customers { edges { node { email phone } } } }"


async def somchai(gql) -> str:
    body = await gql(CREATE, {"input": {"kind": "PERSON", "firstName": "Somchai"}})
    customer = body["data"]["customerCreate"]["customer"]["id"]
    email = {"customerId": customer, "address": "somchai@example.com", "isPrimary": True}
    await gql(EMAIL, {"input": email})
    await gql(
        PHONE, {"input": {"customerId": customer, "number": "081 234 5678", "isPrimary": True}}
    )
    return customer


async def as_role(state, role: str, query: str, variables: dict | None = None) -> dict:
    token = await sign_in_as(state, f"{role}-{uuid.uuid4().hex[:8]}@unicrm.test", role)
    async with client_for(state, token) as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


async def test_store_staff_see_contacts_masked_and_managers_in_clear(gql, unicrm_state):
    await somchai(gql)

    staff = await as_role(unicrm_state, "store_staff", CONTACTS)
    manager = await as_role(unicrm_state, "manager", CONTACTS)

    assert "errors" not in staff, staff
    assert staff["data"]["customers"]["edges"][0]["node"] == {
        "email": "s***@example.com",
        "phone": "08x-xxx-5678",
        "emails": [{"address": "s***@example.com"}],
    }
    assert manager["data"]["customers"]["edges"][0]["node"]["phone"] == "+66812345678"


@pytest.mark.parametrize(
    "query",
    [
        "{ customers { edges { node { email } } } }",
        "{ customers { edges { node { mail: email } } } }",
        "{ customers { edges { node { ...Contact } } } } fragment Contact on Customer { email }",
        "{ customers { edges { node { ... on Customer { email } } } } }",
    ],
    ids=["field", "alias", "fragment", "inline-fragment"],
)
async def test_a_role_without_pii_gets_null_and_forbidden_however_it_asks(gql, unicrm_state, query):
    await somchai(gql)

    body = await as_role(unicrm_state, "analyst", query)

    node = body["data"]["customers"]["edges"][0]["node"]
    assert list(node.values()) == [None]
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"][:3] == ["customers", "edges", 0]


async def test_get_requests_get_the_same_decisions_and_batches_are_refused_whole(gql, unicrm_state):
    await somchai(gql)
    token = await sign_in_as(unicrm_state, "get-analyst@unicrm.test", "analyst")
    staff = await sign_in_as(unicrm_state, "get-staff@unicrm.test", "store_staff")

    async with client_for(unicrm_state, token) as analyst:
        denied = (await analyst.get("/graphql", params={"query": NULLABLE_CONTACTS})).json()
        batch = await analyst.post(
            "/graphql", json=[{"query": CONTACTS}, {"query": "{ viewer { kind } }"}]
        )
    async with client_for(unicrm_state, staff) as clerk:
        masked = (await clerk.get("/graphql", params={"query": CONTACTS})).json()

    assert denied["data"]["customers"]["edges"][0]["node"] == {"email": None, "phone": None}
    assert {e["extensions"]["code"] for e in denied["errors"]} == {"FORBIDDEN"}
    assert masked["data"]["customers"]["edges"][0]["node"]["email"] == "s***@example.com"
    assert batch.status_code == 400
    assert "data" not in batch.json()


async def test_node_refuses_a_kind_of_record_the_role_may_not_read(gql, unicrm_state):
    customer = await somchai(gql)
    deal = to_global_id("Deal", uuid.UUID(int=7))

    by_node = await as_role(unicrm_state, "store_staff", f'{{ node(id: "{deal}") {{ id }} }}')
    allowed = await as_role(unicrm_state, "store_staff", f'{{ node(id: "{customer}") {{ id }} }}')

    assert by_node["data"]["node"] is None
    assert by_node["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert allowed["data"]["node"] == {"id": customer}


async def test_anonymous_callers_get_nothing_and_write_nothing(anonymous_client, unicrm_state):
    read = await anonymous_client.post("/graphql", json={"query": "{ customers { totalCount } }"})
    write = await anonymous_client.post(
        "/graphql",
        json={"query": CREATE, "variables": {"input": {"kind": "PERSON", "firstName": "X"}}},
    )

    assert read.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert write.json()["data"] is None
    assert write.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with unicrm_state.db.session() as session:
        assert await session.get(Customer, uuid.UUID(int=0)) is None
        assert (await session.scalars(Customer.__table__.select())).first() is None


async def test_field_sales_see_only_their_own_customers_in_lists_counts_search_and_node(
    gql, unicrm_state
):
    other = await somchai(gql)
    token = await sign_in_as(unicrm_state, "rep@unicrm.test", "field_sales")
    async with client_for(unicrm_state, token) as rep:
        created = await rep.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": {"kind": "PERSON", "firstName": "Own"}}},
        )
        own = created.json()["data"]["customerCreate"]["customer"]["id"]
        listed = (
            await rep.post(
                "/graphql", json={"query": "{ customers { totalCount edges { node { id } } } }"}
            )
        ).json()
        found = (
            await rep.post(
                "/graphql", json={"query": '{ customerSearch(query: "Somchai") { totalCount } }'}
            )
        ).json()
        hidden = (
            await rep.post("/graphql", json={"query": f'{{ node(id: "{other}") {{ id }} }}'})
        ).json()

    assert listed["data"]["customers"]["totalCount"] == 1
    assert [e["node"]["id"] for e in listed["data"]["customers"]["edges"]] == [own]
    assert found["data"]["customerSearch"]["totalCount"] == 0
    assert hidden["data"]["node"] is None


async def test_viewer_says_what_the_role_may_do(gql, unicrm_state):
    query = """{ viewer { kind roles can(coordinates: ["Customer.phone", "Customer.taxId"],
      permissions: ["core.merge:write"]) { name allowed masked } } }"""

    body = await as_role(unicrm_state, "store_staff", query)

    viewer = body["data"]["viewer"]
    assert viewer["kind"] == "user" and viewer["roles"] == ["store_staff"]
    assert viewer["can"] == [
        {"name": "Customer.phone", "allowed": True, "masked": True},
        {"name": "Customer.taxId", "allowed": False, "masked": False},
        {"name": "core.merge:write", "allowed": False, "masked": False},
    ]


async def test_row_scopes_add_no_statement_per_row(gql, unicrm_state):
    for _ in range(3):
        await somchai(gql)
    token = await sign_in_as(unicrm_state, "scoped@unicrm.test", "field_sales")
    query = "{ customers(first: 50) { totalCount edges { node { id email deals { id } } } } }"
    person = {"query": CREATE, "variables": {"input": {"kind": "PERSON", "firstName": "R"}}}
    async with client_for(unicrm_state, token) as rep:
        await rep.post("/graphql", json=person)
        await rep.post("/graphql", json={"query": query})  # caches the session and schema
        with StatementCounter(unicrm_state) as few:
            await rep.post("/graphql", json={"query": query})
        for _ in range(4):
            await rep.post("/graphql", json=person)
        with StatementCounter(unicrm_state) as more:
            body = (await rep.post("/graphql", json={"query": query})).json()
    assert body["data"]["customers"]["totalCount"] == 5
    assert more.count == few.count, (few.statements, more.statements)
