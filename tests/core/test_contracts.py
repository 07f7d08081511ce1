"""Contracts and subscriptions: dates, status history, cancel and renew, the daily run
(start, expire, auto-renew, renewal reminders once per period) and filtered lists."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.contracts.jobs import run_contracts
from unicrm.core.graph.contracts.models import (
    BillingPeriod,
    Contract,
    ContractKind,
    ContractStatusChange,
)
from unicrm.core.graph.contracts.services import ContractData, create_contract, next_period
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import from_global_id, to_global_id
from unicrm.core.jobs.queue import enqueue
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as

CREATE = """
mutation($input: ContractCreateInput!) {
  contractCreate(input: $input) {
    contract { id kind name plan startDate endDate renewalDate autoRenew billingPeriod
               value { amount currency } status customer { displayName }
               history { fromStatus toStatus reason } }
    errors { field code message }
  }
}
"""
FIELDS = (
    "contract { id status startDate endDate renewalDate autoRenew value { amount } "
    "previous { id status } history { fromStatus toStatus reason } } errors { field code }"
)


async def counts(state) -> dict[str, int]:
    async with state.db.session() as session:

        async def n(stmt) -> int:
            return await session.scalar(stmt)

        return {
            "contracts": await n(select(func.count()).select_from(Contract)),
            "history": await n(select(func.count()).select_from(ContractStatusChange)),
            "events": await n(select(func.count()).where(OutboxEvent.type.like("contract.%"))),
        }


@pytest.fixture
async def customer(unicrm_state) -> str:
    async with unicrm_state.db.transaction() as session:
        row = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Malee")
        )
    return to_global_id("Customer", row.id)


def given(customer: str, **extra) -> dict:
    return {
        "customerId": customer,
        "kind": "SUBSCRIPTION",
        "name": "  Coffee   club ",
        "plan": "Gold",
        "startDate": "2026-01-01",
        "endDate": "2026-12-31",
        "renewalDate": "2026-12-01",
        "autoRenew": True,
        "billingPeriod": "MONTHLY",
        "value": {"amount": "299"},
        **extra,
    }


async def test_a_started_contract_is_active_with_its_history(gql, unicrm_state, customer):
    body = await gql(CREATE, {"input": given(customer)})
    payload = body["data"]["contractCreate"]
    assert payload["errors"] == []
    contract = payload["contract"]
    assert contract | {"id": None} == {
        "id": None,
        "kind": "SUBSCRIPTION",
        "name": "Coffee club",
        "plan": "Gold",
        "startDate": "2026-01-01",
        "endDate": "2026-12-31",
        "renewalDate": "2026-12-01",
        "autoRenew": True,
        "billingPeriod": "MONTHLY",
        "value": {"amount": "299.0000", "currency": "THB"},
        "status": "ACTIVE",
        "customer": {"displayName": "Malee"},
        "history": [{"fromStatus": None, "toStatus": "ACTIVE", "reason": "created"}],
    }
    later = await gql(
        CREATE,
        {"input": given(customer, startDate="2099-01-01", endDate="2099-12-31", renewalDate=None)},
    )
    assert later["data"]["contractCreate"]["contract"]["status"] == "PENDING"
    assert await counts(unicrm_state) == {"contracts": 2, "history": 2, "events": 2}


async def test_bad_contracts_are_typed_errors_and_write_nothing(gql, unicrm_state, customer):
    cases = [
        ({"endDate": "2026-01-01", "renewalDate": None}, [("endDate", "INVALID_DATES")]),
        ({"endDate": "2025-12-31", "renewalDate": None}, [("endDate", "INVALID_DATES")]),
        ({"renewalDate": "2027-01-01"}, [("renewalDate", "INVALID_DATES")]),
        ({"renewalDate": "2025-12-31"}, [("renewalDate", "INVALID_DATES")]),
        ({"endDate": None, "renewalDate": None}, [("endDate", "REQUIRED")]),
        ({"name": "   "}, [("name", "REQUIRED")]),
        ({"name": "N" * 201}, [("name", "TOO_LONG")]),
        ({"value": {"amount": "-1"}}, [("value", "INVALID")]),
        ({"customerId": to_global_id("Customer", uuid.uuid4())}, [("customerId", "NOT_FOUND")]),
        ({"productId": to_global_id("Product", uuid.uuid4())}, [("productId", "NOT_FOUND")]),
        ({"assetId": to_global_id("Asset", uuid.uuid4())}, [("assetId", "NOT_FOUND")]),
        ({"assetId": customer}, [("assetId", "INVALID_ID")]),
    ]
    for change, expected in cases:
        body = await gql(CREATE, {"input": given(customer, **change)})
        payload = body["data"]["contractCreate"]
        assert payload["contract"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, change
    assert await counts(unicrm_state) == {"contracts": 0, "history": 0, "events": 0}


async def create(gql, customer: str, **extra) -> str:
    body = await gql(CREATE, {"input": given(customer, **extra)})
    assert body["data"]["contractCreate"]["errors"] == [], body
    return body["data"]["contractCreate"]["contract"]["id"]


async def test_update_checks_dates_and_cancel_keeps_the_reason(gql, unicrm_state, customer):
    contract = await create(gql, customer)
    update = (
        f"mutation($input: ContractUpdateInput!) {{ contractUpdate(input: $input) {{ {FIELDS} }} }}"
    )
    bad = await gql(update, {"input": {"id": contract, "renewalDate": "2027-02-01"}})
    assert bad["data"]["contractUpdate"]["errors"] == [
        {"field": "renewalDate", "code": "INVALID_DATES"}
    ]
    good = await gql(
        update,
        {
            "input": {
                "id": contract,
                "endDate": "2027-06-30",
                "renewalDate": "2027-06-01",
                "value": None,
            }
        },
    )
    assert good["data"]["contractUpdate"]["contract"]["endDate"] == "2027-06-30"
    assert good["data"]["contractUpdate"]["contract"]["value"] is None
    cancel = (
        f"mutation($input: ContractCancelInput!) {{ contractCancel(input: $input) {{ {FIELDS} }} }}"
    )
    body = await gql(cancel, {"input": {"id": contract, "reason": "moved to Chiang Mai"}})
    assert body["data"]["contractCancel"]["contract"]["history"] == [
        {"fromStatus": None, "toStatus": "ACTIVE", "reason": "created"},
        {"fromStatus": "ACTIVE", "toStatus": "CANCELLED", "reason": "moved to Chiang Mai"},
    ]
    before = await counts(unicrm_state)
    again = await gql(cancel, {"input": {"id": contract}})
    assert again["data"]["contractCancel"]["errors"] == [{"field": "id", "code": "INVALID_STATUS"}]
    changed = await gql(update, {"input": {"id": contract, "name": "New"}})
    assert changed["data"]["contractUpdate"]["errors"] == [
        {"field": "id", "code": "INVALID_STATUS"}
    ]
    assert await counts(unicrm_state) == before


def test_a_next_period_is_as_long_as_the_last() -> None:
    assert next_period(date(2026, 1, 1), date(2026, 12, 31)) == (
        date(2027, 1, 1),
        date(2027, 12, 31),
    )
    assert next_period(date(2026, 1, 31), date(2026, 2, 27)) == (
        date(2026, 2, 28),
        date(2026, 3, 27),
    )
    assert next_period(date(2026, 3, 1), date(2027, 2, 28)) == (date(2027, 3, 1), date(2028, 2, 29))
    assert next_period(date(2026, 1, 5), date(2026, 1, 14)) == (
        date(2026, 1, 15),
        date(2026, 1, 24),
    )


async def test_renewing_by_hand_starts_a_new_period_and_keeps_the_old(gql, unicrm_state, customer):
    contract = await create(gql, customer)
    renew = (
        f"mutation($input: ContractRenewInput!) {{ contractRenew(input: $input) {{ {FIELDS} }} }}"
    )
    body = await gql(renew, {"input": {"id": contract}})
    new = body["data"]["contractRenew"]["contract"]
    assert new["startDate"] == "2027-01-01"
    assert new["endDate"] == "2027-12-31"
    assert new["renewalDate"] == "2027-12-01"
    assert new["previous"] == {"id": contract, "status": "RENEWED"}
    assert new["history"] == [
        {
            "fromStatus": None,
            "toStatus": "ACTIVE",
            "reason": f"renewal of {from_global_id(contract)[1]}",
        }
    ]
    twice = await gql(renew, {"input": {"id": contract}})
    assert twice["data"]["contractRenew"]["errors"] == [{"field": "id", "code": "INVALID_STATUS"}]


async def add(state, customer: str, start: date, end: date | None, **extra) -> uuid.UUID:
    async with state.db.transaction() as session:
        row = await create_contract(
            session,
            ContractData(
                customer_id=from_global_id(customer)[1],
                kind=extra.pop("kind", ContractKind.CONTRACT),
                name=extra.pop("name", "Service"),
                start_date=start,
                end_date=end,
                billing_period=BillingPeriod.YEARLY,
                **extra,
            ),
            today=date(2026, 1, 1),
        )
    return row.id


async def run(state, today: date, thresholds=(30,)):
    async with state.db.transaction() as session:
        job = await enqueue(session, "core.contract_daily_run", {})
        return await run_contracts(session, job.id, today, list(thresholds))


async def statuses(state) -> dict[str, list[str]]:
    async with state.db.session() as session:
        rows = await session.scalars(select(Contract).order_by(Contract.start_date, Contract.id))
        out: dict[str, list[str]] = {}
        for row in rows:
            out.setdefault(row.name, []).append(
                f"{row.status.value} {row.start_date}..{row.end_date}"
            )
        return out


async def test_the_daily_run_starts_expires_and_renews(unicrm_state, customer):
    state = unicrm_state
    await add(state, customer, date(2026, 2, 1), date(2026, 12, 31), name="Later")
    await add(state, customer, date(2025, 1, 1), date(2025, 12, 31), name="Ended")
    await add(state, customer, date(2025, 1, 1), date(2025, 12, 31), name="Auto", auto_renew=True)
    await add(state, customer, date(2023, 1, 1), date(2023, 1, 31), name="Monthly", auto_renew=True)
    await add(state, customer, date(2025, 1, 1), None, name="Open")
    summary = await run(state, date(2026, 2, 1))
    assert (summary.started, summary.expired, summary.renewed) == (1, 1, 38)
    found = await statuses(state)
    assert found["Later"] == ["active 2026-02-01..2026-12-31"]
    assert found["Ended"] == ["expired 2025-01-01..2025-12-31"]
    assert found["Auto"] == ["renewed 2025-01-01..2025-12-31", "active 2026-01-01..2026-12-31"]
    assert found["Monthly"][-1] == "active 2026-02-01..2026-02-28"
    assert len(found["Monthly"]) == 38
    assert found["Open"] == ["active 2025-01-01..None"]
    again = await run(state, date(2026, 2, 1))
    assert (again.started, again.expired, again.renewed) == (0, 0, 0)
    async with state.db.session() as session:
        renewed = await session.scalar(
            select(func.count()).where(OutboxEvent.type == "contract.renewed")
        )
        history = (
            await session.scalars(
                select(ContractStatusChange.reason)
                .join(Contract, Contract.id == ContractStatusChange.contract_id)
                .where(Contract.name == "Ended")
                .order_by(ContractStatusChange.changed_at)
            )
        ).all()
    assert renewed == 38
    assert history == ["created", "ended"]


async def renewal_events(state) -> list[tuple[str, str, int]]:
    async with state.db.session() as session:
        rows = await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.type == "contract.renewal_due")
            .order_by(OutboxEvent.id)
        )
        return [
            (r.payload["name"], r.payload["renewal_date"], r.payload["threshold_days"])
            for r in rows
        ]


async def test_renewal_reminders_go_once_per_period_and_threshold(unicrm_state, customer):
    state = unicrm_state
    await add(
        state,
        customer,
        date(2026, 1, 1),
        date(2026, 12, 31),
        name="Plan",
        renewal_date=date(2026, 12, 1),
        auto_renew=True,
    )
    await add(state, customer, date(2026, 1, 1), date(2026, 11, 30), name="NoRenewalDate")
    assert (await run(state, date(2026, 10, 1), (30, 7))).reminded == 0
    assert (await run(state, date(2026, 11, 1), (30, 7))).reminded == 2
    assert (await run(state, date(2026, 11, 2), (30, 7))).reminded == 0
    assert (await run(state, date(2026, 11, 25), (30, 7))).reminded == 2
    assert await renewal_events(state) == [
        ("NoRenewalDate", "2026-11-30", 30),
        ("Plan", "2026-12-01", 30),
        ("NoRenewalDate", "2026-11-30", 7),
        ("Plan", "2026-12-01", 7),
    ]
    summary = await run(state, date(2027, 11, 1), (30, 7))  # a year on: renewed, new period
    assert (summary.renewed, summary.expired, summary.reminded) == (1, 1, 1)
    assert (await renewal_events(state))[-1] == ("Plan", "2027-12-01", 30)


async def test_contract_lists_filter_by_renewal_and_status(gql, unicrm_state, customer):
    state = unicrm_state
    await add(state, customer, date(2026, 1, 1), date(2026, 12, 31), name="A")
    await add(
        state,
        customer,
        date(2026, 1, 1),
        date(2026, 12, 31),
        name="B",
        renewal_date=date(2026, 6, 1),
    )
    await add(state, customer, date(2026, 1, 1), date(2027, 12, 31), name="C")
    await add(state, customer, date(2026, 1, 1), None, name="D", kind=ContractKind.MAINTENANCE_PLAN)
    query = """query($filter: ContractFilterInput) {
      contracts(first: 10, filter: $filter) { totalCount nodes { name } } }"""
    due = await gql(query, {"filter": {"renewalDueBefore": "2026-12-31"}})
    assert due["data"]["contracts"] == {"totalCount": 2, "nodes": [{"name": "B"}, {"name": "A"}]}
    plans = await gql(query, {"filter": {"kind": ["MAINTENANCE_PLAN"], "status": ["ACTIVE"]}})
    assert plans["data"]["contracts"]["nodes"] == [{"name": "D"}]
    on_customer = await gql(
        """query($id: ID!) { node(id: $id) { ... on Customer {
             contracts(status: [EXPIRED]) { name } all: contracts { name } } } }""",
        {"id": customer},
    )
    assert on_customer["data"]["node"]["contracts"] == []
    assert len(on_customer["data"]["node"]["all"]) == 4


async def test_technicians_read_contracts_but_do_not_write_them(unicrm_state, customer):
    contract = to_global_id(
        "Contract", await add(unicrm_state, customer, date(2026, 1, 1), None, name="Care")
    )
    token = await sign_in_as(unicrm_state, "tech@unicrm.test", "technician")
    async with client_for(unicrm_state, token) as http:
        read = await http.post(
            "/graphql",
            json={
                "query": "query($id: ID!) { contract(id: $id) { name } }",
                "variables": {"id": contract},
            },
        )
        write = await http.post(
            "/graphql",
            json={
                "query": "mutation($id: ID!) { contractCancel(input: {id: $id}) { errors { code } } }",
                "variables": {"id": contract},
            },
        )
    assert read.json()["data"] == {"contract": {"name": "Care"}}
    assert write.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
