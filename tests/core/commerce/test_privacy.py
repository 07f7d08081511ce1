"""Invoices and bookings follow a merge, appear in the DSAR export and obey erasure."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from commerce.support import make_shop, place_order
from commerce.test_bookings import add_resource, local
from unicrm.core.graph.bookings.models import Booking, BookingKind, BookingSlot
from unicrm.core.graph.bookings.services import BookingData, create_booking
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.invoices.models import DocumentKind, Invoice
from unicrm.core.graph.invoices.services import IssueData, Tax, issue_credit_note, issue_invoice
from unicrm.core.graph.merge.services import merge_customers

TAX = Tax(Decimal("0.07"), True)


async def history_of(state, shop) -> dict:
    """The shop's customer with a tax invoice (and a credit note), a receipt and a booking."""
    table = await add_resource(state, shop.stores["BKK-01"])
    orders = [await place_order(state, shop) for _ in range(2)]
    async with state.db.transaction() as session:
        tax_invoice = await issue_invoice(
            session, IssueData(orders[0], DocumentKind.TAX_INVOICE), TAX
        )
        receipt = await issue_invoice(session, IssueData(orders[1], DocumentKind.RECEIPT), TAX)
        note = await issue_credit_note(session, receipt.id, Decimal("10"), "cold tea")
        start = local(2, 12)
        booking = await create_booking(
            session,
            BookingData(
                shop.customer, table, BookingKind.TABLE, start, start + timedelta(hours=1), units=2
            ),
        )
    return {
        "tax_invoice": tax_invoice.id,
        "receipt": receipt.id,
        "note": note.id,
        "booking": booking.id,
    }


async def export(state, customer_id) -> dict:
    async with state.db.session() as session:
        parts = await state.manager.acall(
            "customer_export", only=[], customer_id=customer_id, session=session
        )
    return {name: rows for part in parts for name, rows in part.items()}


async def test_merge_moves_invoices_and_bookings_to_the_survivor(unicrm_state):
    shop = await make_shop(unicrm_state)
    rows = await history_of(unicrm_state, shop)
    async with unicrm_state.db.transaction() as session:
        survivor = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Survivor")
        )
        await merge_customers(session, shop.customer, survivor.id, manager=unicrm_state.manager)
    async with unicrm_state.db.session() as session:
        owners = set((await session.scalars(select(Invoice.customer_id))).all())
        booked = await session.scalar(select(Booking.customer_id))
    assert owners == {survivor.id}
    assert booked == survivor.id
    exported = await export(unicrm_state, survivor.id)
    assert {r["id"] for r in exported["invoices"]} == {
        str(rows["tax_invoice"]),
        str(rows["receipt"]),
        str(rows["note"]),
    }
    assert [r["id"] for r in exported["bookings"]] == [str(rows["booking"])]
    assert [h["to"] for h in exported["booking_history"]] == ["requested"]


async def test_erase_keeps_tax_records_detached_and_deletes_bookings(unicrm_state):
    shop = await make_shop(unicrm_state)
    rows = await history_of(unicrm_state, shop)
    other = await make_other_booking(unicrm_state, shop)
    async with unicrm_state.db.transaction() as session:
        await unicrm_state.manager.acall(
            "customer_erase", only=[], customer_id=shop.customer, session=session
        )
    assert await export(unicrm_state, shop.customer) == {}
    async with unicrm_state.db.session() as session:
        docs = {i.id: i for i in await session.scalars(select(Invoice))}
        bookings = (await session.scalars(select(Booking.id))).all()
        used = await session.scalar(select(func.sum(BookingSlot.used)))
    assert all(d.customer_id is None and d.erased_at is not None for d in docs.values())
    tax_invoice = docs[rows["tax_invoice"]]
    assert (tax_invoice.buyer_name, tax_invoice.buyer_tax_id) == ("Somchai Jaidee", "1234567890123")
    assert tax_invoice.buyer_address == "99/1 Sukhumvit Rd Khlong Toei Bangkok 10110"
    for key in ("receipt", "note"):
        doc = docs[rows[key]]
        assert (doc.buyer_name, doc.buyer_tax_id, doc.buyer_address) == (None, None, None)
        assert doc.total > 0  # the amounts and numbers stay for the tax records
    assert bookings == [other]
    assert used == 1  # the erased customer's two seats are free again


async def make_other_booking(state, shop):
    async with state.db.transaction() as session:
        someone = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Other")
        )
        table = await session.scalar(select(Booking.resource_id))
        start = local(2, 12)
        booking = await create_booking(
            session,
            BookingData(someone.id, table, BookingKind.TABLE, start, start + timedelta(hours=1)),
        )
    return booking.id
