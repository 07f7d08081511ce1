from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from unicrm.core.errors import DomainError
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.consents import services
from unicrm.core.graph.consents.models import (
    ConsentChannel,
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    ConsentState,
    ConsentStatus,
)
from unicrm.core.graph.contacts import services as contacts
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.identities import services as identities
from unicrm.core.graph.ids import to_global_id
from unicrm.core.testing.statements import StatementCounter

GRANT = """
mutation($input: ConsentGrantInput!) {
  consentGrant(input: $input) {
    consent { purpose channel status source policyVersion recordedBy }
    event { id status occurredAt evidence }
    customer { canContact(purpose: MARKETING, channel: EMAIL) }
    errors { field code message }
  }
}
"""
WITHDRAW = """
mutation($input: ConsentWithdrawInput!) {
  consentWithdraw(input: $input) {
    consent { status source }
    errors { field code message }
  }
}
"""
CONSENTS = """
query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    consents { purpose channel status policyVersion }
    canContact(purpose: MARKETING, channel: EMAIL)
    sms: canContact(purpose: MARKETING, channel: SMS)
    profiling: canContact(purpose: PROFILING)
    consentHistory(first: $first, after: $after) {
      edges { node { status policyVersion occurredAt } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
      totalCount
    }
  }
}
"""
NOW = datetime.now(UTC).replace(microsecond=0)


async def new_customer(state, name: str = "Somchai") -> uuid.UUID:
    async with state.db.transaction() as session:
        row = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name=name)
        )
        return row.id


def gid(pk: uuid.UUID) -> str:
    return to_global_id("Customer", pk)


def change(
    status: ConsentStatus = ConsentStatus.GRANTED,
    channel: ConsentChannel = ConsentChannel.EMAIL,
    **extra,
) -> services.ConsentChange:
    values = {
        "purpose": ConsentPurpose.MARKETING,
        "channel": channel,
        "status": status,
        "source": ConsentSource.WEB_FORM,
        "policy_version": "2024-01",
        **extra,
    }
    return services.ConsentChange(**values)


async def record(state, customer_id: uuid.UUID, *changes: services.ConsentChange) -> None:
    async with state.db.transaction() as session:
        for one in changes:
            await services.record_consent(session, customer_id, one)


async def rows(state) -> tuple[int, int]:
    async with state.db.session() as session:
        events = await session.scalar(select(func.count()).select_from(ConsentEvent))
        states = await session.scalar(select(func.count()).select_from(ConsentState))
    return events, states


def grant_input(customer: str, **extra) -> dict:
    values = {
        "customerId": customer,
        "purpose": "MARKETING",
        "channel": "EMAIL",
        "source": "WEB_FORM",
        "policyVersion": "2024-01",
        **extra,
    }
    return {"input": values}


async def test_without_any_record_a_customer_may_not_be_contacted(unicrm_state):
    pk = await new_customer(unicrm_state)
    async with unicrm_state.db.session() as session:
        allowed = await services.can_contact(
            session, pk, ConsentPurpose.MARKETING, ConsentChannel.EMAIL
        )
    assert allowed is False


async def test_granting_consent_allows_contact_over_that_channel_only(gql, unicrm_state):
    pk = await new_customer(unicrm_state)
    body = await gql(GRANT, grant_input(gid(pk), evidence={"form": "signup", "ip": "203.0.113.7"}))
    payload = body["data"]["consentGrant"]
    assert payload["errors"] == []
    assert payload["consent"] == {
        "purpose": "MARKETING",
        "channel": "EMAIL",
        "status": "GRANTED",
        "source": "WEB_FORM",
        "policyVersion": "2024-01",
        "recordedBy": "admin",
    }
    assert payload["event"]["evidence"] == {"form": "signup", "ip": "203.0.113.7"}
    assert payload["customer"] == {"canContact": True}
    customer = (await gql(CONSENTS, {"id": gid(pk)}))["data"]["customer"]
    assert (customer["canContact"], customer["sms"], customer["profiling"]) == (True, False, False)
    async with unicrm_state.db.session() as session:
        allowed = await services.can_contact(
            session, pk, ConsentPurpose.MARKETING, ConsentChannel.EMAIL
        )
        emitted = await session.scalar(
            select(OutboxEvent).where(OutboxEvent.type == "consent.changed")
        )
    assert allowed is True
    assert emitted.payload["status"] == "granted" and emitted.payload["previous"] is None


async def test_withdrawing_keeps_the_history_and_stops_contact(gql, unicrm_state):
    pk = await new_customer(unicrm_state)
    await gql(GRANT, grant_input(gid(pk), occurredAt=(NOW - timedelta(days=2)).isoformat()))
    body = await gql(
        WITHDRAW,
        {
            "input": {
                "customerId": gid(pk),
                "purpose": "MARKETING",
                "channel": "EMAIL",
                "source": "UNSUBSCRIBE_LINK",
            }
        },
    )
    assert body["data"]["consentWithdraw"] == {
        "consent": {"status": "WITHDRAWN", "source": "UNSUBSCRIBE_LINK"},
        "errors": [],
    }
    customer = (await gql(CONSENTS, {"id": gid(pk)}))["data"]["customer"]
    assert customer["canContact"] is False
    assert customer["consents"] == [
        {"purpose": "MARKETING", "channel": "EMAIL", "status": "WITHDRAWN", "policyVersion": None}
    ]
    history = customer["consentHistory"]
    assert [e["node"]["status"] for e in history["edges"]] == ["WITHDRAWN", "GRANTED"]
    assert history["totalCount"] == 2
    assert await rows(unicrm_state) == (2, 1)


async def test_an_older_imported_event_joins_the_history_without_changing_the_state(unicrm_state):
    pk = await new_customer(unicrm_state)
    await record(
        unicrm_state,
        pk,
        change(occurred_at=NOW - timedelta(days=1)),
        change(
            ConsentStatus.WITHDRAWN,
            source=ConsentSource.IMPORT,
            occurred_at=NOW - timedelta(days=30),
        ),
    )
    async with unicrm_state.db.session() as session:
        state = await session.get(
            ConsentState, (pk, ConsentPurpose.MARKETING, ConsentChannel.EMAIL)
        )
        assert state.status is ConsentStatus.GRANTED
        [current] = await services.current_consents(session, [pk])
    assert current.source is ConsentSource.WEB_FORM
    assert await rows(unicrm_state) == (2, 1)


async def test_recorded_events_are_never_rewritten(unicrm_state):
    pk = await new_customer(unicrm_state)
    await record(unicrm_state, pk, change(policy_version="v1"))
    async with unicrm_state.db.session() as session:
        first = (await session.scalars(select(ConsentEvent))).one()
    await record(unicrm_state, pk, change(ConsentStatus.WITHDRAWN), change(policy_version="v2"))
    async with unicrm_state.db.session() as session:
        again = await session.get(ConsentEvent, first.id)
    assert (again.status, again.policy_version, again.occurred_at) == (
        first.status,
        "v1",
        first.occurred_at,
    )
    assert await rows(unicrm_state) == (3, 1)


async def test_can_contact_many_answers_for_every_customer_given(unicrm_state):
    granted, withdrawn, silent = [await new_customer(unicrm_state, n) for n in "ABC"]
    await record(unicrm_state, granted, change(channel=ConsentChannel.SMS))
    await record(
        unicrm_state,
        withdrawn,
        change(channel=ConsentChannel.SMS),
        change(ConsentStatus.WITHDRAWN, channel=ConsentChannel.SMS),
    )
    async with unicrm_state.db.session() as session:
        answer = await services.can_contact_many(
            session,
            [granted, withdrawn, silent, granted],
            ConsentPurpose.MARKETING,
            ConsentChannel.SMS,
        )
    assert answer == {granted: True, withdrawn: False, silent: False}


async def test_purposes_without_a_channel_use_any(unicrm_state):
    pk = await new_customer(unicrm_state)
    await record(
        unicrm_state,
        pk,
        change(purpose=ConsentPurpose.PROFILING, channel=ConsentChannel.ANY),
    )
    async with unicrm_state.db.session() as session:
        assert await services.can_contact(session, pk, ConsentPurpose.PROFILING, ConsentChannel.ANY)
        with pytest.raises(DomainError):
            await services.can_contact(session, pk, ConsentPurpose.PROFILING, ConsentChannel.SMS)


async def test_consent_history_pages_newest_first_by_cursor(gql, unicrm_state):
    pk = await new_customer(unicrm_state)
    versions = [f"v{i}" for i in range(5)]
    await record(
        unicrm_state,
        pk,
        *[
            change(policy_version=v, occurred_at=NOW - timedelta(hours=10 - i))
            for i, v in enumerate(versions)
        ],
    )
    seen, after = [], None
    while True:
        customer = (await gql(CONSENTS, {"id": gid(pk), "first": 2, "after": after}))["data"][
            "customer"
        ]
        page = customer["consentHistory"]
        seen += [e["node"]["policyVersion"] for e in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == list(reversed(versions))


@pytest.mark.parametrize("after", ["%%%", "WyJ4Il0", "W1sidiIsMV0sWyJ2IiwyXV0"])
async def test_a_malformed_history_cursor_is_a_bad_request(gql, unicrm_state, after):
    pk = await new_customer(unicrm_state)
    body = await gql(CONSENTS, {"id": gid(pk), "after": after})
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_asking_can_contact_with_a_mismatched_channel_is_a_bad_request(gql, unicrm_state):
    pk = await new_customer(unicrm_state)
    body = await gql(
        "query($id: ID!) { customer(id: $id) { canContact(purpose: MARKETING) } }", {"id": gid(pk)}
    )
    assert body["data"]["customer"] == {"canContact": None}
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"channel": "ANY"}, [("channel", "INVALID")]),
        ({"purpose": "PROFILING"}, [("channel", "INVALID")]),
        ({"policyVersion": "  "}, [("policyVersion", "REQUIRED")]),
        ({"policyVersion": "v" * 51}, [("policyVersion", "TOO_LONG")]),
        ({"occurredAt": (NOW + timedelta(days=1)).isoformat()}, [("occurredAt", "INVALID")]),
        ({"evidence": {"blob": "x" * 9000}}, [("evidence", "TOO_LONG")]),
        ({"evidence": ["a list"]}, [("evidence", "INVALID")]),
        (
            {"channel": "ANY", "policyVersion": ""},
            [("channel", "INVALID"), ("policyVersion", "REQUIRED")],
        ),
    ],
)
async def test_granting_bad_consent_is_rejected_and_writes_nothing(
    gql, unicrm_state, extra, expected
):
    pk = await new_customer(unicrm_state)
    body = await gql(GRANT, grant_input(gid(pk), **extra))
    payload = body["data"]["consentGrant"]
    assert (payload["consent"], payload["event"]) == (None, None)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == expected
    assert await rows(unicrm_state) == (0, 0)


async def test_granting_for_an_unknown_customer_is_not_found_and_writes_nothing(gql, unicrm_state):
    body = await gql(GRANT, grant_input(gid(uuid.uuid4())))
    errors = body["data"]["consentGrant"]["errors"]
    assert errors == [{"field": "customerId", "code": "NOT_FOUND", "message": "no such customer"}]
    assert await rows(unicrm_state) == (0, 0)


@pytest.mark.parametrize(
    "customer_id", ["", "Q3VzdG9tZXI6eHl6", to_global_id("Order", uuid.UUID(int=1))]
)
async def test_withdrawing_with_a_malformed_customer_id_is_invalid_id_and_writes_nothing(
    gql, unicrm_state, customer_id
):
    body = await gql(
        WITHDRAW,
        {
            "input": {
                "customerId": customer_id,
                "purpose": "PROFILING",
                "source": "STAFF",
            }
        },
    )
    errors = body["data"]["consentWithdraw"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("customerId", "INVALID_ID")]
    assert await rows(unicrm_state) == (0, 0)


LIST_360 = """
query($first: Int!) {
  customers(first: $first) {
    edges { node {
      displayName
      emails { address isPrimary }
      primaryEmail { address }
      phones { number }
      primaryPhone { national }
      addresses { line1 postalCode province }
      identities { source externalId }
      consents { purpose channel status }
      canContact(purpose: MARKETING, channel: EMAIL)
      consentHistory(first: 2) { edges { node { status policyVersion } } pageInfo { hasNextPage } }
    } }
  }
}
"""


async def test_a_page_of_50_customers_with_contacts_identities_and_consents_costs_as_much_sql_as_5(
    gql, unicrm_state
):
    async with unicrm_state.db.transaction() as session:
        for i in range(50):
            customer = await create_customer(
                session, CustomerData(kind=CustomerKind.PERSON, first_name=f"Customer {i:02}")
            )
            pk = customer.id
            await contacts.add_email(session, pk, f"c{i}@example.com", is_primary=True)
            await contacts.add_email(session, pk, f"c{i}@work.example.com")
            await contacts.add_phone(session, pk, f"0812{i:06}", is_primary=True)
            await contacts.add_address(
                session,
                pk,
                contacts.AddressData(
                    line1=f"{i} Silom Road", province="Bangkok", postal_code="10500"
                ),
            )
            await identities.link_identity(session, pk, "pos_member", f"M-{i:04}")
            await services.record_consent(session, pk, change())
            await services.record_consent(session, pk, change(ConsentStatus.WITHDRAWN))
    await gql(LIST_360, {"first": 1})
    unicrm_state.departments.invalidate()  # both requests re-read the departments: same cost
    with StatementCounter(unicrm_state) as five:
        small = await gql(LIST_360, {"first": 5})
    unicrm_state.departments.invalidate()
    with StatementCounter(unicrm_state) as fifty:
        large = await gql(LIST_360, {"first": 50})
    assert "errors" not in large
    nodes = [e["node"] for e in large["data"]["customers"]["edges"]]
    assert len(nodes) == 50 and len(small["data"]["customers"]["edges"]) == 5
    assert all(len(n["emails"]) == 2 and n["primaryEmail"] for n in nodes)
    assert all(n["primaryPhone"]["national"].startswith("08") for n in nodes)
    assert all(n["canContact"] is False and len(n["consentHistory"]["edges"]) == 2 for n in nodes)
    assert fifty.count == five.count, (five.statements, fifty.statements)
