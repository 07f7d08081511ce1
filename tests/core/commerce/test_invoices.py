from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from commerce.support import make_shop, place_order, statements_for
from unicrm.core.errors import DomainError
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.invoices.models import DocumentCounter, DocumentKind, Invoice, InvoiceLine
from unicrm.core.graph.invoices.services import (
    Amounts,
    IssueData,
    Tax,
    issue_credit_note,
    issue_invoice,
    split_vat,
)
from unicrm.core.graph.users.models import User
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as

TAX = Tax(Decimal("0.07"), True)

ISSUE = """
mutation($input: InvoiceIssueInput!) {
  invoiceIssue(input: $input) {
    invoice {
      id kind number sequence year vatRate pricesIncludeVat
      subtotal { amount currency } vat { amount } total { amount } credited { amount }
      buyerName buyerTaxId buyerBranch buyerAddress
      store { code } order { id } customer { displayName }
      lines { sku name quantity unitPrice { amount } lineTotal { amount } }
    }
    errors { field code message }
  }
}
"""

CREDIT = """
mutation($input: CreditNoteIssueInput!) {
  creditNoteIssue(input: $input) {
    invoice { id kind number reason subtotal { amount } vat { amount } total { amount }
              original { number credited { amount } creditNotes { number } } }
    errors { field code message }
  }
}
"""


@pytest.fixture
async def shop(unicrm_state):
    return await make_shop(unicrm_state)


async def counts(state) -> dict[str, int]:
    async with state.db.session() as session:

        async def n(model, *where) -> int:
            stmt = select(func.count()).select_from(model)
            return await session.scalar(stmt.where(*where) if where else stmt)

        return {
            "invoices": await n(Invoice),
            "lines": await n(InvoiceLine),
            "events": await n(
                OutboxEvent, OutboxEvent.type.in_(["invoice.issued", "credit_note.issued"])
            ),
        }


def oid(pk: uuid.UUID) -> str:
    return to_global_id("Order", pk)


def test_vat_is_split_from_inclusive_prices_and_added_to_exclusive_ones():
    rate = Decimal("0.07")
    assert split_vat(Decimal("139"), rate, True) == Amounts(
        Decimal("129.91"),
        Decimal("9.09"),
        Decimal("139.00"),
    )
    assert split_vat(Decimal("107"), rate, True) == Amounts(
        Decimal("100.00"),
        Decimal("7.00"),
        Decimal("107.00"),
    )
    # Half a satang rounds up (100.075 -> 100.08); VAT is rounded once, on the total.
    assert split_vat(Decimal("100.075"), rate, False) == Amounts(
        Decimal("100.08"),
        Decimal("7.01"),
        Decimal("107.09"),
    )
    assert split_vat(Decimal("0.35"), rate, True).vat == Decimal("0.02")


async def test_a_receipt_copies_the_order_and_splits_the_vat(gql, unicrm_state, shop):
    order = await place_order(unicrm_state, shop)
    body = await gql(ISSUE, {"input": {"orderId": oid(order), "kind": "RECEIPT"}})
    payload = body["data"]["invoiceIssue"]
    assert payload["errors"] == []
    invoice = payload["invoice"]
    assert invoice["number"] == f"BKK-01-RC{invoice['year']}-000001"
    assert invoice["sequence"] == 1
    assert (invoice["vatRate"], invoice["pricesIncludeVat"]) == ("0.0700", True)
    assert invoice["total"] == {"amount": "139.0000"}
    assert invoice["vat"] == {"amount": "9.0900"}
    assert invoice["subtotal"] == {"amount": "129.9100", "currency": "THB"}
    assert invoice["credited"] == {"amount": "0.0000"}
    assert invoice["store"] == {"code": "BKK-01"}
    assert invoice["customer"] == {"displayName": "Somchai Jaidee"}
    assert invoice["buyerName"] == "Somchai Jaidee"
    assert invoice["buyerTaxId"] == "1234567890123"
    assert invoice["buyerAddress"] == "99/1 Sukhumvit Rd Khlong Toei Bangkok 10110"
    assert [(line["sku"], line["quantity"], line["lineTotal"]) for line in invoice["lines"]] == [
        ("NDL", 2, {"amount": "119.0000"}),
        ("TEA", 1, {"amount": "20.0000"}),
    ]
    assert await counts(unicrm_state) == {"invoices": 1, "lines": 2, "events": 1}
    async with unicrm_state.db.session() as session:
        event = await session.scalar(
            select(OutboxEvent).where(OutboxEvent.type == "invoice.issued")
        )
    assert event.payload["number"] == invoice["number"]
    assert event.payload["vat"] == "9.0900"
    assert event.customer_id == shop.customer


async def test_numbers_run_per_branch_kind_and_year(gql, unicrm_state, shop):
    numbers = []
    for store, kind in (
        ("BKK-01", "RECEIPT"),
        ("BKK-01", "RECEIPT"),
        ("BKK-01", "TAX_INVOICE"),
        ("CNX-01", "RECEIPT"),
    ):
        order = await place_order(unicrm_state, shop, store_code=store)
        body = await gql(ISSUE, {"input": {"orderId": oid(order), "kind": kind}})
        invoice = body["data"]["invoiceIssue"]["invoice"]
        numbers.append((invoice["store"]["code"], invoice["kind"], invoice["sequence"]))
    assert numbers == [
        ("BKK-01", "RECEIPT", 1),
        ("BKK-01", "RECEIPT", 2),
        ("BKK-01", "TAX_INVOICE", 1),
        ("CNX-01", "RECEIPT", 1),
    ]


async def test_bad_issues_are_typed_errors_that_take_no_number(gql, unicrm_state, shop):
    order = await place_order(unicrm_state, shop, store_code=None)
    body = await gql(ISSUE, {"input": {"orderId": oid(order), "kind": "RECEIPT"}})
    assert body["data"]["invoiceIssue"]["errors"] == [
        {
            "field": "storeId",
            "code": "REQUIRED",
            "message": "the order has no store: name the issuing branch",
        }
    ]
    body = await gql(ISSUE, {"input": {"orderId": "nope", "kind": "RECEIPT"}})
    assert body["data"]["invoiceIssue"]["errors"][0]["code"] == "INVALID_ID"
    body = await gql(
        ISSUE, {"input": {"orderId": oid(uuid.uuid4()), "kind": "RECEIPT", "storeCode": "BKK-01"}}
    )
    assert body["data"]["invoiceIssue"]["errors"][0]["code"] == "NOT_FOUND"
    async with unicrm_state.db.transaction() as session:
        bare = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Nid")
        )
    addressless = await place_order(unicrm_state, shop, customer=bare.id)
    body = await gql(ISSUE, {"input": {"orderId": oid(addressless), "kind": "TAX_INVOICE"}})
    assert body["data"]["invoiceIssue"]["errors"] == [
        {
            "field": "buyer.address",
            "code": "REQUIRED",
            "message": "a tax invoice needs the buyer's name and address",
        }
    ]
    assert await counts(unicrm_state) == {"invoices": 0, "lines": 0, "events": 0}
    # None of the failures used up a number.
    body = await gql(
        ISSUE,
        {
            "input": {
                "orderId": oid(addressless),
                "kind": "TAX_INVOICE",
                "buyer": {"address": "5 Silom Rd Bang Rak Bangkok 10500", "branch": "Head office"},
            }
        },
    )
    invoice = body["data"]["invoiceIssue"]["invoice"]
    assert invoice["sequence"] == 1
    assert invoice["buyerBranch"] == "Head office"


async def test_an_order_gets_one_document_of_each_kind(gql, unicrm_state, shop):
    order = await place_order(unicrm_state, shop)
    first = await gql(ISSUE, {"input": {"orderId": oid(order), "kind": "RECEIPT"}})
    again = await gql(ISSUE, {"input": {"orderId": oid(order), "kind": "RECEIPT"}})
    number = first["data"]["invoiceIssue"]["invoice"]["number"]
    assert again["data"]["invoiceIssue"]["errors"] == [
        {"field": "orderId", "code": "ALREADY_ISSUED", "message": f"the order already has {number}"}
    ]
    assert await counts(unicrm_state) == {"invoices": 1, "lines": 2, "events": 1}
    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(DocumentCounter.last_number)) == 1


async def test_a_rolled_back_issue_leaves_no_gap(unicrm_state, shop):
    orders = [await place_order(unicrm_state, shop) for _ in range(2)]

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with unicrm_state.db.transaction() as session:
            invoice = await issue_invoice(session, IssueData(orders[0], DocumentKind.RECEIPT), TAX)
            assert invoice.sequence == 1
            raise Abort  # e.g. the printer failed and the caller rolls back
    async with unicrm_state.db.transaction() as session:
        invoice = await issue_invoice(session, IssueData(orders[1], DocumentKind.RECEIPT), TAX)
    assert invoice.sequence == 1
    assert await counts(unicrm_state) == {"invoices": 1, "lines": 2, "events": 1}


async def test_concurrent_issues_take_exactly_the_numbers_one_to_n(unicrm_state, shop):
    n = 8
    orders = [await place_order(unicrm_state, shop) for _ in range(n)]

    async def issue(order: uuid.UUID) -> int:
        async with unicrm_state.db.transaction() as session:
            return (
                await issue_invoice(session, IssueData(order, DocumentKind.RECEIPT), TAX)
            ).sequence

    sequences = await asyncio.gather(*(issue(o) for o in orders))
    assert sorted(sequences) == list(range(1, n + 1))
    async with unicrm_state.db.session() as session:
        stored = (await session.scalars(select(Invoice.sequence).order_by(Invoice.sequence))).all()
        assert stored == list(range(1, n + 1))
        assert await session.scalar(select(DocumentCounter.last_number)) == n


async def test_a_number_collision_is_a_typed_error_never_a_duplicate(gql, unicrm_state, shop):
    first, second = [await place_order(unicrm_state, shop) for _ in range(2)]
    await gql(ISSUE, {"input": {"orderId": oid(first), "kind": "RECEIPT"}})
    async with unicrm_state.db.transaction() as session:  # a counter restored from a backup
        await session.execute(update(DocumentCounter).values(last_number=0))
    body = await gql(ISSUE, {"input": {"orderId": oid(second), "kind": "RECEIPT"}})
    errors = body["data"]["invoiceIssue"]["errors"]
    assert [e["code"] for e in errors] == ["NUMBER_COLLISION"]
    assert await counts(unicrm_state) == {"invoices": 1, "lines": 2, "events": 1}


async def test_credit_notes_refund_at_most_what_remains(gql, unicrm_state, shop):
    order = await place_order(unicrm_state, shop)
    issued = await gql(ISSUE, {"input": {"orderId": oid(order), "kind": "TAX_INVOICE"}})
    invoice = issued["data"]["invoiceIssue"]["invoice"]
    body = await gql(
        CREDIT,
        {"input": {"invoiceId": invoice["id"], "amount": "107", "reason": "returned noodles"}},
    )
    payload = body["data"]["creditNoteIssue"]
    assert payload["errors"] == []
    note = payload["invoice"]
    assert note["kind"] == "CREDIT_NOTE"
    assert note["number"].startswith("BKK-01-CN") and note["number"].endswith("-000001")
    assert (note["subtotal"], note["vat"], note["total"]) == (
        {"amount": "100.0000"},
        {"amount": "7.0000"},
        {"amount": "107.0000"},
    )
    assert note["original"] == {
        "number": invoice["number"],
        "credited": {"amount": "107.0000"},
        "creditNotes": [{"number": note["number"]}],
    }
    too_much = await gql(
        CREDIT, {"input": {"invoiceId": invoice["id"], "amount": "32.01", "reason": "x"}}
    )
    assert too_much["data"]["creditNoteIssue"]["errors"] == [
        {
            "field": "amount",
            "code": "EXCEEDS_REMAINING",
            "message": f"only 32.00 THB of {invoice['number']} is left to refund",
        }
    ]
    bad = await gql(CREDIT, {"input": {"invoiceId": invoice["id"], "amount": "-1", "reason": " "}})
    assert {e["code"] for e in bad["data"]["creditNoteIssue"]["errors"]} == {"REQUIRED", "INVALID"}
    assert await counts(unicrm_state) == {"invoices": 2, "lines": 3, "events": 2}
    rest = await gql(
        CREDIT, {"input": {"invoiceId": invoice["id"], "amount": "32", "reason": "tea"}}
    )
    assert rest["data"]["creditNoteIssue"]["invoice"]["number"].endswith("-000002")


async def test_concurrent_credit_notes_never_refund_more_than_the_total(unicrm_state, shop):
    order = await place_order(unicrm_state, shop)
    async with unicrm_state.db.transaction() as session:
        invoice = await issue_invoice(session, IssueData(order, DocumentKind.RECEIPT), TAX)

    async def refund() -> bool:
        try:
            async with unicrm_state.db.transaction() as session:
                await issue_credit_note(session, invoice.id, Decimal("40"), "goodwill")
        except DomainError:
            return False
        return True

    results = await asyncio.gather(*(refund() for _ in range(5)))
    assert sorted(results) == [False, False, True, True, True]
    async with unicrm_state.db.session() as session:
        assert (await session.get(Invoice, invoice.id)).credited == Decimal("120")
        notes = (
            await session.scalars(
                select(Invoice.sequence)
                .where(Invoice.kind == DocumentKind.CREDIT_NOTE)
                .order_by(Invoice.sequence)
            )
        ).all()
    assert notes == [1, 2, 3]


async def user_id(state, email: str) -> uuid.UUID:
    async with state.db.session() as session:
        return await session.scalar(select(User.id).where(User.email == email))


async def test_field_sales_issue_and_see_invoices_of_their_own_customers_only(
    gql, unicrm_state, shop
):
    token = await sign_in_as(unicrm_state, "rep@unicrm.test", "field_sales")
    rep = await user_id(unicrm_state, "rep@unicrm.test")
    async with unicrm_state.db.transaction() as session:
        mine = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Mine", owner_id=rep)
        )
    own_order = await place_order(unicrm_state, shop, customer=mine.id)
    other_order = await place_order(unicrm_state, shop)
    await gql(ISSUE, {"input": {"orderId": oid(other_order), "kind": "RECEIPT"}})
    async with client_for(unicrm_state, token) as http:

        async def ask(query: str, variables: dict | None = None) -> dict:
            return (
                await http.post("/graphql", json={"query": query, "variables": variables or {}})
            ).json()

        issue = """mutation($input: InvoiceIssueInput!) {
          invoiceIssue(input: $input) { invoice { number } errors { code } } }"""
        denied = await ask(issue, {"input": {"orderId": oid(other_order), "kind": "TAX_INVOICE"}})
        own = await ask(issue, {"input": {"orderId": oid(own_order), "kind": "RECEIPT"}})
        listed = await ask("{ invoices { totalCount edges { node { number buyerName } } } }")
    assert denied["data"]["invoiceIssue"]["errors"][0]["code"] == "NOT_FOUND", denied
    assert "errors" not in own, own
    number = own["data"]["invoiceIssue"]["invoice"]["number"]
    assert number.endswith("-000002")  # the branch's sequence is shared by every rep
    assert listed["data"]["invoices"]["totalCount"] == 1
    assert [e["node"]["number"] for e in listed["data"]["invoices"]["edges"]] == [number]


async def test_invoices_filter_by_kind_and_store(gql, unicrm_state, shop):
    for store, kind in (("BKK-01", "RECEIPT"), ("CNX-01", "RECEIPT"), ("CNX-01", "TAX_INVOICE")):
        order = await place_order(unicrm_state, shop, store_code=store)
        await gql(ISSUE, {"input": {"orderId": oid(order), "kind": kind}})
    query = """query($filter: InvoiceFilterInput) { invoices(filter: $filter) {
      totalCount edges { node { kind store { code } } } } }"""
    cnx = to_global_id("Store", shop.stores["CNX-01"])
    body = await gql(query, {"filter": {"storeId": cnx}})
    assert body["data"]["invoices"]["totalCount"] == 2
    body = await gql(query, {"filter": {"storeId": cnx, "kinds": ["TAX_INVOICE"]}})
    assert [e["node"] for e in body["data"]["invoices"]["edges"]] == [
        {"kind": "TAX_INVOICE", "store": {"code": "CNX-01"}}
    ]


PAGE = """{ customers(first: 50) { edges { node {
  invoices(limit: 5) { number }
  latestOrders(limit: 5) { invoices { number kind } } } } } }"""


async def test_customer_and_order_invoices_cost_no_statement_per_row(gql, unicrm_state, shop):
    async def seed(n: int) -> None:
        for _ in range(n):
            async with unicrm_state.db.transaction() as session:
                customer = await create_customer(
                    session, CustomerData(kind=CustomerKind.PERSON, first_name="P")
                )
            order = await place_order(unicrm_state, shop, customer=customer.id)
            async with unicrm_state.db.transaction() as session:
                await issue_invoice(session, IssueData(order, DocumentKind.RECEIPT), TAX)

    await seed(2)
    small, _ = await statements_for(unicrm_state, gql, PAGE)
    await seed(10)
    large, body = await statements_for(unicrm_state, gql, PAGE)
    nodes = [e["node"] for e in body["data"]["customers"]["edges"]]
    with_invoices = [n for n in nodes if n["invoices"]]
    assert len(with_invoices) == 12
    assert all(n["latestOrders"][0]["invoices"][0]["kind"] == "RECEIPT" for n in with_invoices)
    assert large == small
