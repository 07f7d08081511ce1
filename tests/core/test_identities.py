from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.identities import services
from unicrm.core.graph.identities.models import CustomerIdentity
from unicrm.core.graph.ids import to_global_id

LINK = """
mutation($input: CustomerIdentityLinkInput!) {
  customerIdentityLink(input: $input) {
    identity { id source sourceName externalId customer { displayName } }
    errors { field code message }
  }
}
"""
UNLINK = """
mutation($input: CustomerIdentityUnlinkInput!) {
  customerIdentityUnlink(input: $input) {
    removedId
    customer { id }
    errors { field code message }
  }
}
"""
BY_IDENTITY = """
query($source: IdentitySource!, $externalId: String!, $sourceName: String) {
  customerByIdentity(source: $source, externalId: $externalId, sourceName: $sourceName) {
    displayName
    identities { source sourceName externalId }
  }
}
"""
LINE_ID = "U4af4980629a0d4a9c2b7e3e9e3c2a1b0"


async def new_customer(state, name: str = "Somchai") -> uuid.UUID:
    async with state.db.transaction() as session:
        row = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name=name)
        )
        return row.id


def gid(type_name: str, pk: uuid.UUID) -> str:
    return to_global_id(type_name, pk)


async def count_identities(state) -> int:
    async with state.db.session() as session:
        return await session.scalar(select(func.count()).select_from(CustomerIdentity))


def link_input(customer: str, **extra: str) -> dict:
    return {"input": {"customerId": customer, "source": "LINE", "externalId": LINE_ID, **extra}}


async def test_linking_a_line_identity_finds_the_customer_by_it(gql, unicrm_state):
    pk = await new_customer(unicrm_state)
    body = await gql(LINK, link_input(gid("Customer", pk), externalId=f"  {LINE_ID} "))
    payload = body["data"]["customerIdentityLink"]
    assert payload["errors"] == []
    identity = payload["identity"]
    assert (identity["source"], identity["sourceName"], identity["externalId"]) == (
        "LINE",
        "line",
        LINE_ID,
    )
    assert identity["customer"] == {"displayName": "Somchai"}
    found = await gql(BY_IDENTITY, {"source": "LINE", "externalId": LINE_ID})
    assert found["data"]["customerByIdentity"] == {
        "displayName": "Somchai",
        "identities": [{"source": "LINE", "sourceName": "line", "externalId": LINE_ID}],
    }
    async with unicrm_state.db.session() as session:
        event = await session.scalar(
            select(OutboxEvent).where(OutboxEvent.type == "customer.identity_changed")
        )
    assert (event.customer_id, event.payload["source"]) == (pk, "line")


async def test_an_other_source_is_stored_under_its_slug(gql, unicrm_state):
    customer = gid("Customer", await new_customer(unicrm_state))
    body = await gql(
        LINK,
        {
            "input": {
                "customerId": customer,
                "source": "OTHER",
                "sourceName": " Shopee ",
                "externalId": "shp-991",
            }
        },
    )
    identity = body["data"]["customerIdentityLink"]["identity"]
    assert (identity["source"], identity["sourceName"]) == ("OTHER", "shopee")
    found = await gql(
        BY_IDENTITY, {"source": "OTHER", "sourceName": "shopee", "externalId": "shp-991"}
    )
    assert found["data"]["customerByIdentity"]["displayName"] == "Somchai"


async def test_the_same_external_id_under_another_source_is_another_identity(gql, unicrm_state):
    customer = gid("Customer", await new_customer(unicrm_state))
    for source in ("POS_MEMBER", "CRM_IMPORT"):
        body = await gql(
            LINK, {"input": {"customerId": customer, "source": source, "externalId": "M-0001"}}
        )
        assert body["data"]["customerIdentityLink"]["errors"] == []
    assert await count_identities(unicrm_state) == 2


async def test_linking_an_identity_twice_to_one_customer_is_a_duplicate_and_writes_nothing(
    gql, unicrm_state
):
    customer = gid("Customer", await new_customer(unicrm_state))
    await gql(LINK, link_input(customer))
    body = await gql(LINK, link_input(customer))
    payload = body["data"]["customerIdentityLink"]
    assert payload["identity"] is None
    assert payload["errors"] == [
        {
            "field": "externalId",
            "code": "DUPLICATE",
            "message": "this LINE identity is already linked to this customer",
        }
    ]
    assert await count_identities(unicrm_state) == 1


async def test_an_identity_held_by_another_customer_is_a_duplicate_and_writes_nothing(
    gql, unicrm_state
):
    first = await new_customer(unicrm_state)
    second = gid("Customer", await new_customer(unicrm_state, "Somsri"))
    async with unicrm_state.db.transaction() as session:
        await services.link_identity(session, first, "pos_member", "M-0001")
    body = await gql(
        LINK, {"input": {"customerId": second, "source": "POS_MEMBER", "externalId": "M-0001"}}
    )
    assert body["data"]["customerIdentityLink"]["errors"] == [
        {
            "field": "externalId",
            "code": "DUPLICATE",
            "message": "this POS member identity is already linked to another customer",
        }
    ]
    assert await count_identities(unicrm_state) == 1
    found = await gql(BY_IDENTITY, {"source": "POS_MEMBER", "externalId": "M-0001"})
    assert found["data"]["customerByIdentity"]["displayName"] == "Somchai"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"source": "OTHER"}, [("sourceName", "REQUIRED")]),
        ({"source": "OTHER", "sourceName": "shop ee!"}, [("sourceName", "INVALID")]),
        ({"source": "OTHER", "sourceName": "other"}, [("sourceName", "INVALID")]),
        ({"sourceName": "shopee"}, [("sourceName", "INVALID")]),
        ({"externalId": "   "}, [("externalId", "REQUIRED")]),
        ({"externalId": "x" * 201}, [("externalId", "TOO_LONG")]),
        ({"externalId": "bad\x00id"}, [("externalId", "INVALID")]),
    ],
)
async def test_linking_a_malformed_identity_is_rejected_and_writes_nothing(
    gql, unicrm_state, extra, expected
):
    customer = gid("Customer", await new_customer(unicrm_state))
    body = await gql(LINK, link_input(customer, **extra))
    payload = body["data"]["customerIdentityLink"]
    assert payload["identity"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == expected
    assert await count_identities(unicrm_state) == 0


async def test_linking_to_an_unknown_customer_is_not_found_and_writes_nothing(gql, unicrm_state):
    body = await gql(LINK, link_input(gid("Customer", uuid.uuid4())))
    errors = body["data"]["customerIdentityLink"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("customerId", "NOT_FOUND")]
    assert await count_identities(unicrm_state) == 0


@pytest.mark.parametrize("customer_id", ["not-an-id", gid("CustomerEmail", uuid.UUID(int=1))])
async def test_linking_with_a_malformed_customer_id_is_invalid_id_and_writes_nothing(
    gql, unicrm_state, customer_id
):
    body = await gql(LINK, link_input(customer_id))
    errors = body["data"]["customerIdentityLink"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("customerId", "INVALID_ID")]
    assert await count_identities(unicrm_state) == 0


async def test_unlinking_another_customers_identity_is_not_found_and_removes_nothing(
    gql, unicrm_state
):
    mine, theirs = await new_customer(unicrm_state), await new_customer(unicrm_state, "Somsri")
    async with unicrm_state.db.transaction() as session:
        identity = await services.link_identity(session, theirs, "line", LINE_ID)
    body = await gql(
        UNLINK,
        {
            "input": {
                "customerId": gid("Customer", mine),
                "id": gid("CustomerIdentity", identity.id),
            }
        },
    )
    errors = body["data"]["customerIdentityUnlink"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("id", "NOT_FOUND")]
    assert await count_identities(unicrm_state) == 1


async def test_unlinking_with_a_wrong_kind_of_id_is_invalid_id(gql, unicrm_state):
    pk = await new_customer(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        await services.link_identity(session, pk, "line", LINE_ID)
    body = await gql(
        UNLINK, {"input": {"customerId": gid("Customer", pk), "id": gid("Customer", pk)}}
    )
    errors = body["data"]["customerIdentityUnlink"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("id", "INVALID_ID")]
    assert await count_identities(unicrm_state) == 1


async def test_unlinking_frees_the_identity_for_another_customer(gql, unicrm_state):
    first, second = await new_customer(unicrm_state), await new_customer(unicrm_state, "Somsri")
    async with unicrm_state.db.transaction() as session:
        identity = await services.link_identity(session, first, "web_cookie", "ck_123")
    identity_id = gid("CustomerIdentity", identity.id)
    body = await gql(UNLINK, {"input": {"customerId": gid("Customer", first), "id": identity_id}})
    assert body["data"]["customerIdentityUnlink"] == {
        "removedId": identity_id,
        "customer": {"id": gid("Customer", first)},
        "errors": [],
    }
    gone = await gql(BY_IDENTITY, {"source": "WEB_COOKIE", "externalId": "ck_123"})
    assert gone["data"]["customerByIdentity"] is None
    async with unicrm_state.db.transaction() as session:
        await services.link_identity(session, second, "web_cookie", "ck_123")
        assert await services.customer_id_by_identity(session, "web_cookie", "ck_123") == second


async def test_looking_up_an_unknown_identity_returns_null(gql, unicrm_state):
    body = await gql(BY_IDENTITY, {"source": "CRM_IMPORT", "externalId": "nobody"})
    assert body == {"data": {"customerByIdentity": None}}


async def test_looking_up_with_a_malformed_source_name_is_a_bad_request(gql, unicrm_state):
    body = await gql(BY_IDENTITY, {"source": "OTHER", "externalId": "x", "sourceName": "!!"})
    assert body["data"]["customerByIdentity"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
