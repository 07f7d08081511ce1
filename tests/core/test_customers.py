from __future__ import annotations

from sqlalchemy import func, select

from unicrm.core.graph.customers.models import Customer

CREATE = """
mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) {
    customer { id kind displayName firstName lastName }
    errors { field code message }
  }
}
"""


async def count_customers(state) -> int:
    async with state.db.session() as session:
        return await session.scalar(select(func.count()).select_from(Customer))


async def test_create_person_returns_customer_with_display_name(gql, unicrm_state):
    body = await gql(
        CREATE, {"input": {"kind": "PERSON", "firstName": " Somchai ", "lastName": "Jaidee"}}
    )
    payload = body["data"]["customerCreate"]
    assert payload["errors"] == []
    assert payload["customer"]["displayName"] == "Somchai Jaidee"
    assert await count_customers(unicrm_state) == 1


async def test_create_person_without_name_is_rejected_and_writes_nothing(gql, unicrm_state):
    body = await gql(CREATE, {"input": {"kind": "PERSON"}})
    payload = body["data"]["customerCreate"]
    assert payload["customer"] is None
    assert payload["errors"] == [
        {"field": "firstName", "code": "REQUIRED", "message": "a person needs a first or last name"}
    ]
    assert await count_customers(unicrm_state) == 0


async def test_customers_pages_by_cursor_in_name_order(gql):
    for name in ["Dao", "Anan", "Chai", "Boon", "Ekk"]:
        await gql(CREATE, {"input": {"kind": "PERSON", "firstName": name}})
    query = """query($after: String) { customers(first: 2, after: $after) {
        edges { cursor node { displayName } } pageInfo { hasNextPage endCursor } totalCount } }"""
    seen, after = [], None
    while True:
        page = (await gql(query, {"after": after}))["data"]["customers"]
        assert page["totalCount"] == 5
        seen += [e["node"]["displayName"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["Anan", "Boon", "Chai", "Dao", "Ekk"]


async def test_malformed_cursor_is_a_bad_request(gql):
    body = await gql('{ customers(first: 2, after: "%%%") { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_plugin_field_on_customer_resolves(gql):
    created = await gql(CREATE, {"input": {"kind": "COMPANY", "companyName": "Siam Widgets"}})
    cid = created["data"]["customerCreate"]["customer"]["id"]
    body = await gql(
        "query($id: ID!) { customer(id: $id) { displayName leadScore { value } } }", {"id": cid}
    )
    assert body == {"data": {"customer": {"displayName": "Siam Widgets", "leadScore": None}}}


async def test_customer_owner_and_department_are_set_and_shown(gql, unicrm_state):
    from unicrm.core.graph.ids import to_global_id
    from unicrm.core.graph.users.services import create_user

    async with unicrm_state.db.transaction() as session:
        user = await create_user(session, email="Nok@Example.com", display_name="Nok")
    department = await unicrm_state.departments.get(None)
    body = await gql(
        CREATE,
        {
            "input": {
                "kind": "PERSON",
                "firstName": "Anan",
                "ownerId": to_global_id("User", user.id),
                "departmentId": to_global_id("Department", department.id),
            }
        },
    )
    cid = body["data"]["customerCreate"]["customer"]["id"]
    query = """query($id: ID!) { customer(id: $id) {
        owner { email displayName } department { slug plugins } } }"""
    customer = (await gql(query, {"id": cid}))["data"]["customer"]
    assert customer["owner"] == {"email": "nok@example.com", "displayName": "Nok"}
    assert customer["department"]["slug"] == department.slug


async def test_unknown_owner_is_rejected_and_writes_nothing(gql, unicrm_state):
    from unicrm.core.db.ids import uuid7
    from unicrm.core.graph.ids import to_global_id

    body = await gql(
        CREATE,
        {"input": {"kind": "PERSON", "firstName": "A", "ownerId": to_global_id("User", uuid7())}},
    )
    assert body["data"]["customerCreate"]["errors"] == [
        {"field": "ownerId", "code": "NOT_FOUND", "message": "no active user with that id"}
    ]
    assert await count_customers(unicrm_state) == 0
