"""A customer list costs a fixed number of SQL statements, whatever the page size (no N+1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import event

from unicrm.core.graph.consents.models import (
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    ConsentStatus,
)
from unicrm.core.graph.consents.services import ConsentChange, record_consent
from unicrm.core.graph.contacts.services import AddressData, add_address, add_email, add_phone
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.identities.services import link_identity
from unicrm.core.graph.orders.models import OrderSource
from unicrm.core.graph.orders.services import LineData, OrderData, create_order
from unicrm.core.graph.products.services import Price, ProductData, create_product
from unicrm.core.graph.tags.services import TagRef, add_tag
from unicrm.core.testing.statements import StatementCounter

PAGE = """query($first: Int!) { customers(first: $first) {
  pageInfo { hasNextPage endCursor }
  edges { node {
    id displayName
    emails { address isPrimary } phones { number } addresses { province postalCode }
    identities { source externalId }
    tags { name }
    consents { purpose channel status }
    canContact(purpose: MARKETING, channel: EMAIL)
    latestOrders(limit: 3) { total { amount currency } lines { sku quantity modifiers } }
  } } } }"""


async def _seed(state, count: int) -> None:
    async with state.db.transaction() as session:
        noodle = await create_product(
            session,
            ProductData(
                sku="NOODLE",
                name="Noodles",
                category="food",
                price=Price(Decimal("60"), "THB"),
                active=True,
                description=None,
            ),
        )
        for i in range(count):
            customer = await create_customer(
                session, CustomerData(kind=CustomerKind.PERSON, first_name=f"Person{i:03d}")
            )
            await add_email(session, customer.id, f"person{i}@example.co.th", is_primary=True)
            await add_phone(session, customer.id, f"081{i:07d}")
            await add_address(
                session,
                customer.id,
                AddressData(line1="99/1 Sukhumvit Rd", province="Bangkok", postal_code="10110"),
            )
            await link_identity(session, customer.id, "line", f"U{i:010d}")
            await add_tag(session, customer.id, TagRef(name="vip" if i % 2 else "new"))
            await record_consent(
                session,
                customer.id,
                ConsentChange(
                    ConsentPurpose.MARKETING,
                    ConsentChannel.EMAIL,
                    ConsentStatus.GRANTED,
                    ConsentSource.WEB_FORM,
                    policy_version="2026-01",
                ),
            )
            for n in range(2):
                await create_order(
                    session,
                    OrderData(
                        customer_id=customer.id,
                        source=OrderSource.POS,
                        currency="THB",
                        external_id=f"pos-{i}-{n}",
                        lines=[LineData(noodle.id, 2, modifiers=("no coriander",))],
                    ),
                )


async def _statements_for(state, gql, first: int) -> tuple[int, dict]:
    state.departments.invalidate()
    await state.departments.get(None)  # the department cache is not part of the page's cost
    with StatementCounter(state) as counter:
        body = await gql(PAGE, {"first": first})
    return counter.count, body


async def test_a_page_of_50_customers_costs_as_many_statements_as_a_page_of_5(unicrm_state, gql):
    await _seed(unicrm_state, 50)
    small, small_body = await _statements_for(unicrm_state, gql, 5)
    large, large_body = await _statements_for(unicrm_state, gql, 50)
    assert "errors" not in large_body, large_body
    nodes = [e["node"] for e in large_body["data"]["customers"]["edges"]]
    assert len(nodes) == 50
    assert all(n["emails"] and n["phones"] and n["identities"] and n["tags"] for n in nodes)
    assert all(len(n["latestOrders"]) == 2 and n["canContact"] for n in nodes)
    assert len(small_body["data"]["customers"]["edges"]) == 5
    assert large == small


class _Checkouts:
    """Counts connections taken from ``state``'s pool while the ``with`` block is open."""

    def __init__(self, state) -> None:
        self._engine = state.db.engine.sync_engine
        self.count = 0

    def _record(self, *_args: object) -> None:
        self.count += 1

    def __enter__(self) -> _Checkouts:
        event.listen(self._engine, "checkout", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self._engine, "checkout", self._record)


async def test_the_reads_of_a_page_share_one_connection_that_returns_to_the_pool(unicrm_state, gql):
    """A page of customers resolves a dozen loader batches; on PostgreSQL they take turns on
    one autocommit connection instead of a session (checkout, BEGIN, ROLLBACK) each."""
    if unicrm_state.db.is_sqlite:
        pytest.skip("SQLite keeps a session per batch: its connections are in-process")
    await _seed(unicrm_state, 5)
    await _statements_for(unicrm_state, gql, 5)  # warm the department and policy caches
    pool = unicrm_state.db.engine.sync_engine.pool
    with _Checkouts(unicrm_state) as checkouts, StatementCounter(unicrm_state) as counter:
        body = await gql(PAGE, {"first": 5})
    assert len(body["data"]["customers"]["edges"]) == 5
    assert counter.count > 5  # the page, its count and one batch per nested list
    assert checkouts.count == 1
    assert pool.checkedout() == 0  # given back when the response was built


async def test_a_mutation_payload_reads_what_the_mutation_wrote(unicrm_state, gql):
    """Shared reads run in autocommit: the payload, resolved after the mutation committed on
    its own connection, sees the new values even when the request read the row before."""
    await _seed(unicrm_state, 1)
    page = await gql("{ customers(first: 1) { edges { node { id firstName } } } }")
    node = page["data"]["customers"]["edges"][0]["node"]
    body = await gql(
        """mutation($id: ID!) {
          before: customerUpdate(input: {id: $id, firstName: "Somchai"}) {
            customer { firstName } }
          after: customerUpdate(input: {id: $id, firstName: "Malee"}) {
            customer { firstName } }
        }""",
        {"id": node["id"]},
    )
    assert "errors" not in body, body
    assert body["data"]["before"]["customer"]["firstName"] == "Somchai"
    assert body["data"]["after"]["customer"]["firstName"] == "Malee"
