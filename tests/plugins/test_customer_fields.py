"""The plugins' fields on Customer load through DataLoaders: one statement per field and
level, however many customers the page holds."""

from __future__ import annotations

from decimal import Decimal

from plugins.sfa_support import b2b
from plugins.sfa_support import deal as sfa_deal
from plugins.support import add_customers, add_rows, loyalty_member, loyalty_program
from unicrm.core.graph.departments.services import DepartmentDirectory
from unicrm.core.testing.statements import StatementCounter
from unicrm.plugins.crm.models import Case
from unicrm.plugins.ma.models import LeadScore

PAGE = """{ customers(first: 50) { edges { node {
  displayName leadScore { value } deals { title } cases { subject }
  loyaltyMember { cardNumber } exampleGreeting { message }
} } } }"""


async def populate(state, first: int, last: int) -> None:
    """Customers ``first`` to ``last - 1``, each with a row in every plugin."""
    ids = await add_customers(state, *(f"Customer {i:02d}" for i in range(first, last)))
    club = await loyalty_program(state)
    stage = (await b2b(state))["Opportunity"]
    rows = []
    for i, customer_id in enumerate(ids, start=first):
        rows += [
            LeadScore(customer_id=customer_id, value=i),
            sfa_deal(customer_id, stage, f"Deal {i}", amount=Decimal(i)),
            Case(customer_id=customer_id, subject=f"Case {i}"),
            loyalty_member(club, customer_id, f"C{i}", "silver"),
        ]
    await add_rows(state, *rows)


async def statements_for_page(gql, state) -> tuple[int, list]:
    await state.departments.get(None)  # a directory re-read must not count
    with StatementCounter(state) as counter:
        body = await gql(PAGE)
    return counter.count, body["data"]["customers"]["edges"]


async def test_a_page_of_50_costs_as_many_statements_as_a_page_of_5(gql, unicrm_state, monkeypatch):
    monkeypatch.setattr(unicrm_state, "departments", DepartmentDirectory(unicrm_state.db, ttl=60))
    await populate(unicrm_state, 0, 5)
    small, edges = await statements_for_page(gql, unicrm_state)
    assert len(edges) == 5
    assert edges[0]["node"]["deals"] == [{"title": "Deal 0"}]
    assert edges[0]["node"]["loyaltyMember"] == {"cardNumber": "C0"}

    await populate(unicrm_state, 5, 50)
    large, edges = await statements_for_page(gql, unicrm_state)

    assert len(edges) == 50
    assert large == small
