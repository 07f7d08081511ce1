from __future__ import annotations

from sqlalchemy import func, select

from unicrm.core.graph.relationships.models import CompanyContact, HouseholdMember

CREATE = """mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } errors { code } } }"""
LINK = """mutation($input: CompanyContactInput!) {
  companyContactSet(input: $input) {
    contact { role isPrimary person { displayName } company { displayName } }
    errors { field code message } } }"""


async def _create(gql, **fields) -> str:
    body = await gql(CREATE, {"input": fields})
    return body["data"]["customerCreate"]["customer"]["id"]


async def _count(state, model) -> int:
    async with state.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_person_linked_to_company_shows_on_both_sides(gql):
    company = await _create(gql, kind="COMPANY", companyName="Siam Cement")
    first = await _create(gql, kind="PERSON", firstName="Anan")
    second = await _create(gql, kind="PERSON", firstName="Boon")
    await gql(LINK, {"input": {"personId": first, "companyId": company, "isPrimary": True}})
    body = await gql(
        LINK,
        {"input": {"personId": second, "companyId": company, "role": "Buyer", "isPrimary": True}},
    )
    assert body["data"]["companyContactSet"]["contact"]["company"]["displayName"] == "Siam Cement"
    query = """query($id: ID!) { customer(id: $id) {
        contacts { role isPrimary person { displayName } } } }"""
    contacts = (await gql(query, {"id": company}))["data"]["customer"]["contacts"]
    assert contacts == [
        {"role": "Buyer", "isPrimary": True, "person": {"displayName": "Boon"}},
        {"role": None, "isPrimary": False, "person": {"displayName": "Anan"}},
    ]
    query = "query($id: ID!) { customer(id: $id) { companies { company { displayName } } } }"
    companies = (await gql(query, {"id": first}))["data"]["customer"]["companies"]
    assert companies == [{"company": {"displayName": "Siam Cement"}}]


async def test_linking_two_people_is_rejected_and_writes_nothing(gql, unicrm_state):
    first = await _create(gql, kind="PERSON", firstName="Anan")
    second = await _create(gql, kind="PERSON", firstName="Boon")
    body = await gql(LINK, {"input": {"personId": first, "companyId": second}})
    assert body["data"]["companyContactSet"]["errors"] == [
        {
            "field": "companyId",
            "code": "KIND_MISMATCH",
            "message": "expected a company, got a person",
        }
    ]
    assert await _count(unicrm_state, CompanyContact) == 0


async def test_household_groups_people_and_rejects_a_second_household(gql, unicrm_state):
    head = await _create(gql, kind="PERSON", firstName="Mali")
    child = await _create(gql, kind="PERSON", firstName="Nok")
    body = await gql(
        """mutation($input: HouseholdCreateInput!) { householdCreate(input: $input) {
            household { id name } errors { code } } }""",
        {"input": {"name": "Mali family", "headId": head}},
    )
    household = body["data"]["householdCreate"]["household"]
    add = """mutation($input: HouseholdMemberInput!) { householdMemberAdd(input: $input) {
        household { members { isHead customer { displayName } } } errors { field code } } }"""
    body = await gql(add, {"input": {"householdId": household["id"], "customerId": child}})
    members = body["data"]["householdMemberAdd"]["household"]["members"]
    assert members == [
        {"isHead": True, "customer": {"displayName": "Mali"}},
        {"isHead": False, "customer": {"displayName": "Nok"}},
    ]
    again = await gql(add, {"input": {"householdId": household["id"], "customerId": child}})
    assert again["data"]["householdMemberAdd"]["errors"] == [
        {"field": "customerId", "code": "DUPLICATE"}
    ]
    assert await _count(unicrm_state, HouseholdMember) == 2
    query = "query($id: ID!) { customer(id: $id) { household { name } } }"
    assert (await gql(query, {"id": child}))["data"]["customer"]["household"] == {
        "name": "Mali family"
    }


async def test_company_hierarchy_lists_subsidiaries_and_refuses_cycles(gql):
    group = await _create(gql, kind="COMPANY", companyName="Group")
    sub = await _create(gql, kind="COMPANY", companyName="Sub", parentId=group)
    query = "query($id: ID!) { customer(id: $id) { subsidiaries { displayName } parent { displayName } } }"
    assert (await gql(query, {"id": group}))["data"]["customer"]["subsidiaries"] == [
        {"displayName": "Sub"}
    ]
    assert (await gql(query, {"id": sub}))["data"]["customer"]["parent"] == {"displayName": "Group"}
    body = await gql(
        """mutation($input: CustomerUpdateInput!) { customerUpdate(input: $input) {
            errors { field code } } }""",
        {"input": {"id": group, "parentId": sub}},
    )
    assert body["data"]["customerUpdate"]["errors"] == [{"field": "parentId", "code": "CYCLE"}]
