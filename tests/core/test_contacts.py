from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from unicrm.core.errors import DomainError
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.contacts import services
from unicrm.core.graph.contacts.models import CustomerAddress, CustomerEmail, CustomerPhone
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import to_global_id

EMAIL_ADD = """
mutation($input: CustomerEmailAddInput!) {
  customerEmailAdd(input: $input) {
    email { id address label isPrimary isVerified customer { displayName } }
    errors { field code message }
  }
}
"""
EMAIL_UPDATE = """
mutation($input: CustomerEmailUpdateInput!) {
  customerEmailUpdate(input: $input) {
    email { address isPrimary isVerified label }
    errors { field code message }
  }
}
"""
PHONE_ADD = """
mutation($input: CustomerPhoneAddInput!) {
  customerPhoneAdd(input: $input) {
    phone { id number national label isPrimary }
    errors { field code message }
  }
}
"""
PHONE_UPDATE = """
mutation($input: CustomerPhoneUpdateInput!) {
  customerPhoneUpdate(input: $input) {
    phone { number isPrimary }
    errors { field code message }
  }
}
"""
ADDRESS_ADD = """
mutation($input: CustomerAddressAddInput!) {
  customerAddressAdd(input: $input) {
    address {
      id line1 line2 subDistrict district province postalCode country label isPrimary
    }
    errors { field code message }
  }
}
"""
ADDRESS_UPDATE = """
mutation($input: CustomerAddressUpdateInput!) {
  customerAddressUpdate(input: $input) {
    address { line1 line2 postalCode isPrimary }
    errors { field code message }
  }
}
"""
REMOVE = """
mutation($input: CustomerContactRemoveInput!) {
  customer%sRemove(input: $input) {
    removedId
    customer { id }
    errors { field code message }
  }
}
"""
CONTACTS = """
query($id: ID!) {
  customer(id: $id) {
    emails { address isPrimary }
    primaryEmail { address }
    phones { number isPrimary }
    primaryPhone { number }
    addresses { line1 postalCode isPrimary }
  }
}
"""

BANGKOK = {
    "line1": "99/1 Soi Sukhumvit 21, Sukhumvit Road",
    "subDistrict": "Khlong Toei Nuea",
    "district": "Watthana",
    "province": "Bangkok",
    "postalCode": "10110",
}


async def new_customer(state, name: str = "Somchai") -> uuid.UUID:
    async with state.db.transaction() as session:
        row = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name=name)
        )
        return row.id


def gid(type_name: str, pk: uuid.UUID) -> str:
    return to_global_id(type_name, pk)


async def count(state, model) -> int:
    async with state.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def events(state, event_type: str = "customer.contact_changed") -> list[OutboxEvent]:
    async with state.db.session() as session:
        stmt = select(OutboxEvent).where(OutboxEvent.type == event_type).order_by(OutboxEvent.id)
        return list((await session.scalars(stmt)).all())


@pytest.mark.parametrize("raw", ["081-234-5678", "+66 81 234 5678", "0812345678", "+66812345678"])
def test_thai_phone_formats_normalize_to_e164(raw):
    assert services.normalize_phone(raw) == "+66812345678"


@pytest.mark.parametrize("raw", ["12345", "phone me", "+66 81 234", "", "0" * 80])
def test_invalid_phone_numbers_are_rejected_by_the_service(raw):
    with pytest.raises(DomainError) as caught:
        services.normalize_phone(raw)
    assert caught.value.errors[0].code == "INVALID"


def test_email_normalization_lowercases_and_strips():
    assert services.normalize_email("  Somchai.J@Example.CO.TH ") == "somchai.j@example.co.th"


async def test_adding_email_stores_normalized_form_and_lists_it(gql, unicrm_state):
    customer = gid("Customer", await new_customer(unicrm_state))
    body = await gql(
        EMAIL_ADD,
        {"input": {"customerId": customer, "address": " Somchai@Example.COM ", "label": "WORK"}},
    )
    payload = body["data"]["customerEmailAdd"]
    assert payload["errors"] == []
    assert payload["email"]["address"] == "somchai@example.com"
    assert payload["email"]["label"] == "WORK"
    assert payload["email"]["customer"] == {"displayName": "Somchai"}
    listed = (await gql(CONTACTS, {"id": customer}))["data"]["customer"]
    assert listed["emails"] == [{"address": "somchai@example.com", "isPrimary": False}]
    assert listed["primaryEmail"] is None
    [event] = await events(unicrm_state)
    assert event.payload["kind"] == "email" and event.payload["action"] == "added"


async def test_setting_a_new_primary_email_demotes_the_old_one(gql, unicrm_state):
    customer = gid("Customer", await new_customer(unicrm_state))
    for address in ("a@example.com", "b@example.com", "c@example.com"):
        primary = address != "c@example.com"
        body = await gql(
            EMAIL_ADD,
            {"input": {"customerId": customer, "address": address, "isPrimary": primary}},
        )
        assert body["data"]["customerEmailAdd"]["errors"] == []
    listed = (await gql(CONTACTS, {"id": customer}))["data"]["customer"]
    assert listed["emails"] == [
        {"address": "b@example.com", "isPrimary": True},
        {"address": "a@example.com", "isPrimary": False},
        {"address": "c@example.com", "isPrimary": False},
    ]
    assert listed["primaryEmail"] == {"address": "b@example.com"}


async def test_updating_email_moves_primary_and_marks_it_verified(gql, unicrm_state):
    pk = await new_customer(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        await services.add_email(session, pk, "a@example.com", is_primary=True)
        second = await services.add_email(session, pk, "b@example.com")
    body = await gql(
        EMAIL_UPDATE,
        {
            "input": {
                "customerId": gid("Customer", pk),
                "id": gid("CustomerEmail", second.id),
                "isPrimary": True,
                "isVerified": True,
                "label": None,
            }
        },
    )
    payload = body["data"]["customerEmailUpdate"]
    assert payload["errors"] == []
    assert payload["email"] == {
        "address": "b@example.com",
        "isPrimary": True,
        "isVerified": True,
        "label": "OTHER",
    }
    listed = (await gql(CONTACTS, {"id": gid("Customer", pk)}))["data"]["customer"]
    assert [e["isPrimary"] for e in listed["emails"]] == [True, False]
    assert listed["primaryEmail"] == {"address": "b@example.com"}


@pytest.mark.parametrize("address", ["not-an-email", "somchai@", "a@b", "two@@example.com", ""])
async def test_adding_invalid_email_is_rejected_and_writes_nothing(gql, unicrm_state, address):
    customer = gid("Customer", await new_customer(unicrm_state))
    body = await gql(EMAIL_ADD, {"input": {"customerId": customer, "address": address}})
    payload = body["data"]["customerEmailAdd"]
    assert payload["email"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("address", "INVALID")]
    assert await count(unicrm_state, CustomerEmail) == 0
    assert await events(unicrm_state) == []


async def test_adding_the_same_email_twice_is_a_duplicate_and_writes_nothing(gql, unicrm_state):
    customer = gid("Customer", await new_customer(unicrm_state))
    await gql(EMAIL_ADD, {"input": {"customerId": customer, "address": "somchai@example.com"}})
    body = await gql(
        EMAIL_ADD, {"input": {"customerId": customer, "address": "SOMCHAI@example.com"}}
    )
    payload = body["data"]["customerEmailAdd"]
    assert payload["email"] is None
    assert payload["errors"] == [
        {"field": "address", "code": "DUPLICATE", "message": "the customer already has this email"}
    ]
    assert await count(unicrm_state, CustomerEmail) == 1


async def test_the_same_email_on_two_customers_is_allowed(gql, unicrm_state):
    for name in ("Somchai", "Somsri"):
        customer = gid("Customer", await new_customer(unicrm_state, name))
        body = await gql(EMAIL_ADD, {"input": {"customerId": customer, "address": "home@x.co"}})
        assert body["data"]["customerEmailAdd"]["errors"] == []
    assert await count(unicrm_state, CustomerEmail) == 2


async def test_adding_email_to_an_unknown_customer_is_not_found_and_writes_nothing(
    gql, unicrm_state
):
    body = await gql(
        EMAIL_ADD,
        {"input": {"customerId": gid("Customer", uuid.uuid4()), "address": "a@example.com"}},
    )
    assert body["data"]["customerEmailAdd"]["errors"] == [
        {"field": "customerId", "code": "NOT_FOUND", "message": "no such customer"}
    ]
    assert await count(unicrm_state, CustomerEmail) == 0


@pytest.mark.parametrize("customer_id", ["%%%", "bm9wZQ", gid("Product", uuid.UUID(int=1))])
async def test_malformed_customer_id_is_invalid_id_and_writes_nothing(
    gql, unicrm_state, customer_id
):
    body = await gql(EMAIL_ADD, {"input": {"customerId": customer_id, "address": "a@example.com"}})
    errors = body["data"]["customerEmailAdd"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("customerId", "INVALID_ID")]
    assert await count(unicrm_state, CustomerEmail) == 0


async def test_removing_another_customers_email_is_not_found_and_removes_nothing(gql, unicrm_state):
    mine, theirs = await new_customer(unicrm_state), await new_customer(unicrm_state, "Somsri")
    async with unicrm_state.db.transaction() as session:
        email = await services.add_email(session, theirs, "somsri@example.com")
    body = await gql(
        REMOVE % "Email",
        {"input": {"customerId": gid("Customer", mine), "id": gid("CustomerEmail", email.id)}},
    )
    payload = body["data"]["customerEmailRemove"]
    assert payload["removedId"] is None
    assert payload["errors"] == [
        {"field": "id", "code": "NOT_FOUND", "message": "the customer has no such email"}
    ]
    assert await count(unicrm_state, CustomerEmail) == 1


async def test_removing_an_email_with_a_phone_id_is_invalid_id_and_removes_nothing(
    gql, unicrm_state
):
    pk = await new_customer(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        await services.add_email(session, pk, "somchai@example.com")
        phone = await services.add_phone(session, pk, "081-234-5678")
    body = await gql(
        REMOVE % "Email",
        {"input": {"customerId": gid("Customer", pk), "id": gid("CustomerPhone", phone.id)}},
    )
    errors = body["data"]["customerEmailRemove"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("id", "INVALID_ID")]
    assert await count(unicrm_state, CustomerEmail) == 1
    assert await count(unicrm_state, CustomerPhone) == 1


async def test_removing_an_email_deletes_it_and_emits_contact_changed(gql, unicrm_state):
    pk = await new_customer(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        email = await services.add_email(session, pk, "somchai@example.com", is_primary=True)
    email_id = gid("CustomerEmail", email.id)
    body = await gql(
        REMOVE % "Email", {"input": {"customerId": gid("Customer", pk), "id": email_id}}
    )
    payload = body["data"]["customerEmailRemove"]
    assert payload == {"removedId": email_id, "customer": {"id": gid("Customer", pk)}, "errors": []}
    assert await count(unicrm_state, CustomerEmail) == 0
    assert [e.payload["action"] for e in await events(unicrm_state)] == ["added", "removed"]


async def test_adding_a_thai_phone_stores_e164_and_shows_national_form(gql, unicrm_state):
    customer = gid("Customer", await new_customer(unicrm_state))
    body = await gql(
        PHONE_ADD, {"input": {"customerId": customer, "number": "081-234-5678", "isPrimary": True}}
    )
    payload = body["data"]["customerPhoneAdd"]
    assert payload["errors"] == []
    assert payload["phone"]["number"] == "+66812345678"
    assert payload["phone"]["national"] == "081 234 5678"
    assert payload["phone"]["label"] == "MOBILE"
    listed = (await gql(CONTACTS, {"id": customer}))["data"]["customer"]
    assert listed["primaryPhone"] == {"number": "+66812345678"}


@pytest.mark.parametrize("number", ["12345", "081-234", "call me", "+999 1234 5678"])
async def test_adding_invalid_phone_is_rejected_and_writes_nothing(gql, unicrm_state, number):
    customer = gid("Customer", await new_customer(unicrm_state))
    body = await gql(PHONE_ADD, {"input": {"customerId": customer, "number": number}})
    payload = body["data"]["customerPhoneAdd"]
    assert payload["phone"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("number", "INVALID")]
    assert await count(unicrm_state, CustomerPhone) == 0
    assert await events(unicrm_state) == []


async def test_the_same_phone_in_another_format_is_a_duplicate(gql, unicrm_state):
    customer = gid("Customer", await new_customer(unicrm_state))
    await gql(PHONE_ADD, {"input": {"customerId": customer, "number": "0812345678"}})
    body = await gql(PHONE_ADD, {"input": {"customerId": customer, "number": "+66 81 234 5678"}})
    errors = body["data"]["customerPhoneAdd"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("number", "DUPLICATE")]
    assert await count(unicrm_state, CustomerPhone) == 1


async def test_updating_another_customers_phone_is_not_found_and_changes_nothing(gql, unicrm_state):
    mine, theirs = await new_customer(unicrm_state), await new_customer(unicrm_state, "Somsri")
    async with unicrm_state.db.transaction() as session:
        phone = await services.add_phone(session, theirs, "0812345678")
    body = await gql(
        PHONE_UPDATE,
        {
            "input": {
                "customerId": gid("Customer", mine),
                "id": gid("CustomerPhone", phone.id),
                "isPrimary": True,
            }
        },
    )
    errors = body["data"]["customerPhoneUpdate"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("id", "NOT_FOUND")]
    async with unicrm_state.db.session() as session:
        assert (await session.get(CustomerPhone, phone.id)).is_primary is False


async def test_removing_a_phone_deletes_only_that_phone(gql, unicrm_state):
    pk = await new_customer(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        phone = await services.add_phone(session, pk, "0812345678")
        await services.add_phone(session, pk, "02-123-4567", label=services.PhoneLabel.HOME)
    body = await gql(
        REMOVE % "Phone",
        {"input": {"customerId": gid("Customer", pk), "id": gid("CustomerPhone", phone.id)}},
    )
    assert body["data"]["customerPhoneRemove"]["errors"] == []
    listed = (await gql(CONTACTS, {"id": gid("Customer", pk)}))["data"]["customer"]
    assert listed["phones"] == [{"number": "+6621234567", "isPrimary": False}]


async def test_adding_a_thai_address_keeps_its_structure(gql, unicrm_state):
    customer = gid("Customer", await new_customer(unicrm_state))
    body = await gql(ADDRESS_ADD, {"input": {"customerId": customer, "isPrimary": True, **BANGKOK}})
    payload = body["data"]["customerAddressAdd"]
    assert payload["errors"] == []
    address = payload["address"]
    assert {k: address[k] for k in BANGKOK} == BANGKOK
    assert (address["country"], address["label"], address["isPrimary"]) == ("TH", "HOME", True)


async def test_thai_digits_in_a_postal_code_are_stored_as_ascii(gql, unicrm_state):
    customer = gid("Customer", await new_customer(unicrm_state))
    body = await gql(
        ADDRESS_ADD, {"input": {"customerId": customer, **BANGKOK, "postalCode": "๑๐๑๑๐"}}
    )
    assert body["data"]["customerAddressAdd"]["address"]["postalCode"] == "10110"


@pytest.mark.parametrize("postal_code", ["1011", "101100", "09100", "97000", "1O11O"])
async def test_adding_address_with_invalid_postal_code_is_rejected_and_writes_nothing(
    gql, unicrm_state, postal_code
):
    customer = gid("Customer", await new_customer(unicrm_state))
    body = await gql(
        ADDRESS_ADD, {"input": {"customerId": customer, **BANGKOK, "postalCode": postal_code}}
    )
    payload = body["data"]["customerAddressAdd"]
    assert payload["address"] is None
    assert payload["errors"] == [
        {
            "field": "postalCode",
            "code": "INVALID",
            "message": "a Thai postal code is five digits starting 10 to 96",
        }
    ]
    assert await count(unicrm_state, CustomerAddress) == 0


async def test_an_incomplete_address_reports_every_problem_and_writes_nothing(gql, unicrm_state):
    customer = gid("Customer", await new_customer(unicrm_state))
    body = await gql(ADDRESS_ADD, {"input": {"customerId": customer, "line1": "  "}})
    errors = body["data"]["customerAddressAdd"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("line1", "REQUIRED"),
        ("province", "REQUIRED"),
        ("postalCode", "REQUIRED"),
    ]
    body = await gql(
        ADDRESS_ADD, {"input": {"customerId": customer, "line1": "1 Main St", "country": "XX"}}
    )
    errors = body["data"]["customerAddressAdd"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("country", "INVALID")]
    assert await count(unicrm_state, CustomerAddress) == 0


async def test_an_address_abroad_needs_no_thai_fields(gql, unicrm_state):
    customer = gid("Customer", await new_customer(unicrm_state))
    body = await gql(
        ADDRESS_ADD,
        {
            "input": {
                "customerId": customer,
                "line1": "10 Downing Street",
                "province": "London",
                "postalCode": "sw1a 2aa",
                "country": "gb",
                "label": "WORK",
            }
        },
    )
    address = body["data"]["customerAddressAdd"]["address"]
    assert (address["postalCode"], address["country"]) == ("SW1A 2AA", "GB")


async def test_updating_an_address_changes_only_given_fields(gql, unicrm_state):
    pk = await new_customer(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        row = await services.add_address(
            session,
            pk,
            services.AddressData(
                line1="1 Silom Road", line2="Floor 3", province="Bangkok", postal_code="10500"
            ),
        )
    body = await gql(
        ADDRESS_UPDATE,
        {
            "input": {
                "customerId": gid("Customer", pk),
                "id": gid("CustomerAddress", row.id),
                "line2": None,
                "isPrimary": True,
            }
        },
    )
    payload = body["data"]["customerAddressUpdate"]
    assert payload["errors"] == []
    assert payload["address"] == {
        "line1": "1 Silom Road",
        "line2": None,
        "postalCode": "10500",
        "isPrimary": True,
    }


async def test_updating_an_address_to_an_invalid_postal_code_changes_nothing(gql, unicrm_state):
    pk = await new_customer(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        row = await services.add_address(
            session,
            pk,
            services.AddressData(line1="1 Silom Road", province="Bangkok", postal_code="10500"),
        )
    body = await gql(
        ADDRESS_UPDATE,
        {
            "input": {
                "customerId": gid("Customer", pk),
                "id": gid("CustomerAddress", row.id),
                "postalCode": "00000",
                "line1": "2 Silom Road",
            }
        },
    )
    errors = body["data"]["customerAddressUpdate"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("postalCode", "INVALID")]
    async with unicrm_state.db.session() as session:
        stored = await session.get(CustomerAddress, row.id)
    assert (stored.line1, stored.postal_code) == ("1 Silom Road", "10500")
    assert [e.payload["action"] for e in await events(unicrm_state)] == ["added"]


async def test_removing_an_address_of_an_unknown_customer_is_not_found(gql, unicrm_state):
    pk = await new_customer(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        row = await services.add_address(
            session, pk, services.AddressData(line1="1", province="Bangkok", postal_code="10500")
        )
    body = await gql(
        REMOVE % "Address",
        {
            "input": {
                "customerId": gid("Customer", uuid.uuid4()),
                "id": gid("CustomerAddress", row.id),
            }
        },
    )
    errors = body["data"]["customerAddressRemove"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("customerId", "NOT_FOUND")]
    assert await count(unicrm_state, CustomerAddress) == 1
    body = await gql(
        REMOVE % "Address",
        {"input": {"customerId": gid("Customer", pk), "id": gid("CustomerAddress", row.id)}},
    )
    assert body["data"]["customerAddressRemove"]["errors"] == []
    assert await count(unicrm_state, CustomerAddress) == 0


async def test_contact_points_resolve_as_nodes(gql, unicrm_state):
    pk = await new_customer(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        email = await services.add_email(session, pk, "somchai@example.com")
    body = await gql(
        "query($id: ID!) { node(id: $id) { ... on CustomerEmail { address customer { id } } } }",
        {"id": gid("CustomerEmail", email.id)},
    )
    assert body["data"]["node"] == {
        "address": "somchai@example.com",
        "customer": {"id": gid("Customer", pk)},
    }
