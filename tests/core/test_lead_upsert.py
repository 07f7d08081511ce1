"""leadUpsert: integrators push leads by external id, e-mail or phone without duplicates."""

from __future__ import annotations

import asyncio

from lead_support import codes, count, person
from sqlalchemy import select

from unicrm.core.graph.contacts.models import CustomerEmail, CustomerPhone
from unicrm.core.graph.contacts.services import AddressData, add_address, add_email
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.ids import from_global_id
from unicrm.core.graph.leads.models import Lead, LeadTemperatureChange
from unicrm.core.graph.notifications.models import Notification
from unicrm.core.graph.teams.services import TeamData, create_team
from unicrm.core.graph.users.models import User

UPSERT = """mutation($input: LeadUpsertInput!) { leadUpsert(input: $input) {
  outcome matchedBy
  lead { id status temperature externalSource externalId }
  customer { id displayName emails { address } phones { number } }
  errors { field code message } } }"""

PUSH = {
    "source": "WEB_FORM",
    "externalSource": "hubspot",
    "externalId": "H-100",
    "email": " Somchai@Example.co.th ",
    "phone": "081-234-5678",
    "firstName": "Somchai",
    "lastName": "Jaidee",
}


async def upsert(gql, **given) -> dict:
    return (await gql(UPSERT, {"input": given}))["data"]["leadUpsert"]


async def totals(state) -> tuple[int, int, int, int]:
    return (
        await count(state, Customer),
        await count(state, Lead),
        await count(state, CustomerEmail),
        await count(state, CustomerPhone),
    )


async def test_a_new_lead_creates_the_person_with_contact_points(gql, unicrm_state):
    payload = await upsert(gql, **PUSH, temperature="WARM")

    assert payload["errors"] == []
    assert (payload["outcome"], payload["matchedBy"]) == ("CREATED", None)
    assert payload["lead"]["temperature"] == "WARM"
    assert payload["customer"]["displayName"] == "Somchai Jaidee"
    assert payload["customer"]["emails"] == [{"address": "somchai@example.co.th"}]
    assert payload["customer"]["phones"] == [{"number": "+66812345678"}]


async def test_pushing_the_same_lead_twice_never_creates_a_duplicate(gql, unicrm_state):
    first = await upsert(gql, **PUSH)
    again = await upsert(gql, **PUSH)

    assert (again["outcome"], again["matchedBy"]) == ("UNCHANGED", "EXTERNAL_ID")
    assert again["lead"]["id"] == first["lead"]["id"]
    assert await totals(unicrm_state) == (1, 1, 1, 1)


async def test_a_known_email_or_phone_finds_the_person_in_any_spelling(gql, unicrm_state):
    first = await upsert(gql, **PUSH)
    by_email = await upsert(gql, source="EVENT", email="SOMCHAI@example.co.th", temperature="HOT")
    by_phone = await upsert(gql, source="EVENT", phone="+66 81 234 5678", temperature="WARM")

    assert (by_email["outcome"], by_email["matchedBy"]) == ("UPDATED", "EMAIL")
    assert (by_phone["outcome"], by_phone["matchedBy"]) == ("UPDATED", "PHONE")
    assert by_email["lead"]["id"] == by_phone["lead"]["id"] == first["lead"]["id"]
    assert by_phone["lead"]["temperature"] == "WARM"
    assert await totals(unicrm_state) == (1, 1, 1, 1)
    assert await count(unicrm_state, LeadTemperatureChange) == 3


async def test_a_known_person_without_an_open_lead_gets_one_and_missing_contacts(gql, unicrm_state):
    malee = await person(unicrm_state, "Malee")
    async with unicrm_state.db.transaction() as session:
        await add_email(session, from_global_id(malee)[1], "malee@example.com")

    payload = await upsert(
        gql,
        source="REFERRAL",
        email="malee@example.com",
        phone="0891112222",
        externalSource="crm",
        externalId="M-1",
    )
    assert (payload["outcome"], payload["matchedBy"]) == ("LEAD_OPENED", "EMAIL")
    assert payload["customer"]["id"] == malee
    assert payload["lead"]["externalId"] == "M-1"

    again = await upsert(gql, source="REFERRAL", email="malee@example.com", phone="0891112222")
    assert again["outcome"] == "UPDATED"  # the phone was new
    assert again["customer"]["phones"] == [{"number": "+66891112222"}]
    assert await totals(unicrm_state) == (1, 1, 1, 1)


async def test_skip_existing_leaves_an_open_lead_alone(gql, unicrm_state):
    await upsert(gql, **PUSH)
    payload = await upsert(gql, **PUSH, temperature="HOT", policy="SKIP_EXISTING")
    assert payload["outcome"] == "UNCHANGED"
    assert payload["lead"]["temperature"] == "COLD"
    assert await count(unicrm_state, LeadTemperatureChange) == 1


async def test_reject_duplicate_answers_an_error_and_writes_nothing(gql, unicrm_state):
    await upsert(gql, **PUSH)
    payload = await upsert(
        gql, source="IMPORT", email="somchai@example.co.th", policy="REJECT_DUPLICATE"
    )
    assert codes(payload) == [("email", "DUPLICATE")]
    assert payload["lead"] is None
    assert await totals(unicrm_state) == (1, 1, 1, 1)


async def test_a_converted_lead_pushed_again_is_not_reopened(gql, unicrm_state):
    first = await upsert(gql, **PUSH)
    await gql(
        "mutation($id: ID!) { leadConvert(input: {id: $id}) { errors { code } } }",
        {"id": first["lead"]["id"]},
    )
    again = await upsert(gql, **PUSH, temperature="HOT")
    assert (again["outcome"], again["lead"]["status"]) == ("UNCHANGED", "CONVERTED")
    assert await count(unicrm_state, Lead) == 1


async def test_upsert_with_bad_input_writes_nothing(gql, unicrm_state):
    cases = [
        ({"source": "POS"}, [("externalId", "REQUIRED")]),
        ({"source": "POS", "externalId": "X-1"}, [("externalSource", "REQUIRED")]),
        (
            {"source": "POS", "email": "not an email", "phone": "12"},
            [("email", "INVALID"), ("phone", "INVALID")],
        ),
        ({"source": "POS", "email": "new@example.com"}, [("firstName", "REQUIRED")]),
        (
            {"source": "POS", "email": "new@example.com", "firstName": "New", "ownerId": "bad"},
            [("ownerId", "INVALID_ID")],
        ),
    ]
    for given, expected in cases:
        payload = await upsert(gql, **given)
        assert codes(payload) == expected, given
    assert await totals(unicrm_state) == (0, 0, 0, 0)


async def test_concurrent_pushes_of_one_person_make_one_person_and_one_lead(gql, unicrm_state):
    by_email = {k: v for k, v in PUSH.items() if k not in ("externalSource", "externalId")}
    results = await asyncio.gather(
        *[upsert(gql, **PUSH) for _ in range(3)], *[upsert(gql, **by_email) for _ in range(3)]
    )
    assert all(r["errors"] == [] for r in results)
    assert sorted(r["outcome"] for r in results).count("CREATED") == 1
    assert len({r["lead"]["id"] for r in results}) == 1
    assert await totals(unicrm_state) == (1, 1, 1, 1)


async def test_a_lead_without_an_owner_goes_to_the_manager_of_the_team_covering_it(
    gql, unicrm_state
):
    async with unicrm_state.db.transaction() as session:
        department = await session.scalar(select(Department).where(Department.is_default.is_(True)))
        north = User(email="north@unicrm.test", display_name="North boss")
        session.add(north)
        await session.flush()
        await create_team(
            session,
            TeamData(
                department_id=department.id,
                name="North",
                manager_id=north.id,
                territories=["north"],
            ),
        )
    routed = await upsert(
        gql, source="EVENT", email="a@example.com", firstName="A", province="เชียงราย"
    )
    unrouted = await upsert(
        gql, source="EVENT", email="b@example.com", firstName="B", province="Phuket"
    )
    homeless = await upsert(gql, source="EVENT", email="c@example.com", firstName="C")

    owners = await gql(
        "query($a: ID!, $b: ID!, $c: ID!) { a: lead(id: $a) { owner { displayName } }"
        " b: lead(id: $b) { owner { id } } c: lead(id: $c) { owner { id } } }",
        {"a": routed["lead"]["id"], "b": unrouted["lead"]["id"], "c": homeless["lead"]["id"]},
    )
    assert owners["data"] == {
        "a": {"owner": {"displayName": "North boss"}},
        "b": {"owner": None},
        "c": {"owner": None},
    }
    assert await count(unicrm_state, Notification, Notification.user_id == north.id) == 1

    # A known person's primary address routes their next lead.
    async with unicrm_state.db.transaction() as session:
        customer_id = from_global_id(unrouted["customer"]["id"])[1]
        await add_address(
            session,
            customer_id,
            AddressData(
                line1="1 Nimman Rd", province="Chiang Mai", postal_code="50200", is_primary=True
            ),
        )
    lead = await gql("query($id: ID!) { lead(id: $id) { id } }", {"id": unrouted["lead"]["id"]})
    await gql(
        'mutation($id: ID!) { leadDisqualify(input: {id: $id, reason: "spam"}) { errors { code } } }',
        {"id": lead["data"]["lead"]["id"]},
    )
    again = await upsert(gql, source="REFERRAL", email="b@example.com")
    assert again["outcome"] == "LEAD_OPENED"
    body = await gql(
        "query($id: ID!) { lead(id: $id) { owner { displayName } } }", {"id": again["lead"]["id"]}
    )
    assert body["data"]["lead"]["owner"] == {"displayName": "North boss"}
