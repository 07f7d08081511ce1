from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.invoices import models
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import Node
from unicrm.core.graph.orders.types import Order
from unicrm.core.graph.plan import direct
from unicrm.core.graph.scalars import Money
from unicrm.core.graph.stores.types import Store


@strawberry.enum(description="What kind of document: full tax invoice, receipt or credit note.")
class DocumentKind(Enum):
    TAX_INVOICE = "tax_invoice"
    RECEIPT = "receipt"
    CREDIT_NOTE = "credit_note"


@strawberry.enum(description="The documents issued from an order.")
class IssueKind(Enum):
    TAX_INVOICE = "tax_invoice"
    RECEIPT = "receipt"


@guard("core.invoice")
@strawberry.type(name="InvoiceLine", description="A line of a document as it was issued.")
class InvoiceLine:
    sku: str | None
    name: str
    quantity: int
    unit_price: Money
    line_total: Money = strawberry.field(description="VAT included when the prices include it.")

    @classmethod
    def from_row(cls, row: models.InvoiceLine, currency: str) -> InvoiceLine:
        return cls(
            sku=row.sku,
            name=row.name,
            quantity=row.quantity,
            unit_price=Money(amount=row.unit_price, currency=currency),
            line_total=Money(amount=row.line_total, currency=currency),
        )


@guard("core.invoice")
@strawberry.type(
    name="Invoice",
    description="A tax invoice, receipt or credit note. Issued documents never change; "
    "a credit note refunds (part of) one.",
)
class Invoice(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID | None]
    order_pk: strawberry.Private[uuid.UUID]
    store_pk: strawberry.Private[uuid.UUID]
    original_pk: strawberry.Private[uuid.UUID | None]
    kind: DocumentKind
    number: str = strawberry.field(
        description="<store code>-<TI|RC|CN><year>-<sequence>: gapless per branch, kind and year."
    )
    sequence: int
    year: int
    issued_at: datetime
    vat_rate: Decimal = strawberry.field(description="0.07 for 7%.")
    prices_include_vat: bool
    subtotal: Money = strawberry.field(description="Before VAT.")
    vat: Money
    total: Money = strawberry.field(description="VAT included: what the buyer pays (or gets back).")
    credited: Money = strawberry.field(description="Refunded so far by credit notes.")
    reason: str | None = strawberry.field(description="Why a credit note refunds.")
    buyer_name: str | None = strawberry.field(metadata={"pii": "profile"})
    buyer_tax_id: str | None = strawberry.field(metadata={"pii": "identity"})
    buyer_branch: str | None = strawberry.field(
        description="The buyer's head office or branch, as a Thai tax invoice shows it."
    )
    buyer_address: str | None = strawberry.field(metadata={"pii": "contact"})

    @classmethod
    def from_row(cls, row: models.Invoice) -> Invoice:
        def money(amount: Decimal) -> Money:
            return Money(amount=amount, currency=row.currency)

        return cls(
            id=strawberry.ID(to_global_id("Invoice", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            order_pk=row.order_id,
            store_pk=row.store_id,
            original_pk=row.original_id,
            kind=DocumentKind(row.kind.value),
            number=row.number,
            sequence=row.sequence,
            year=row.year,
            issued_at=row.issued_at,
            vat_rate=row.vat_rate,
            prices_include_vat=row.prices_include_vat,
            subtotal=money(row.subtotal),
            vat=money(row.vat),
            total=money(row.total),
            credited=money(row.credited),
            reason=row.reason,
            buyer_name=row.buyer_name,
            buyer_tax_id=row.buyer_tax_id,
            buyer_branch=row.buyer_branch,
            buyer_address=row.buyer_address,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Invoice | None:
        return await load_one(info, "core.invoice_by_id", pk, cls.from_row)

    @strawberry.field(description="The issuing branch.")
    @direct
    async def store(self, info: strawberry.Info) -> Store | None:
        return await Store.load_node(info, self.store_pk)

    @strawberry.field
    @direct
    async def order(self, info: strawberry.Info) -> Order | None:
        return await Order.load_node(info, self.order_pk)

    @strawberry.field(description="Null once the customer is erased; the tax record stays.")
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        if self.customer_pk is None:
            return None
        return await Customer.load_node(info, self.customer_pk)

    @strawberry.field
    @direct
    async def lines(self, info: strawberry.Info) -> list[InvoiceLine]:
        rows = await info.context.loaders["core.lines_by_invoice"].load(self.pk)
        return [InvoiceLine.from_row(r, self.total.currency) for r in rows]

    @strawberry.field(description="The invoice or receipt a credit note refunds.")
    @direct
    async def original(
        self, info: strawberry.Info
    ) -> Annotated[Invoice, strawberry.lazy(__name__)] | None:
        if self.original_pk is None:
            return None
        return await Invoice.load_node(info, self.original_pk)

    @strawberry.field(description="The credit notes issued against this document.")
    @direct
    async def credit_notes(
        self, info: strawberry.Info
    ) -> list[Annotated[Invoice, strawberry.lazy(__name__)]]:
        rows = await info.context.loaders["core.credit_notes_by_invoice"].load(self.pk)
        return [Invoice.from_row(r) for r in rows]


@strawberry.input
class InvoiceFilterInput:
    kinds: list[DocumentKind] = strawberry.field(default_factory=list)
    store_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    order_id: strawberry.ID | None = None
    issued_from: datetime | None = None
    issued_before: datetime | None = None


@strawberry.enum
class InvoiceErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    INVALID_STATE = "invalid_state"
    INACTIVE_STORE = "inactive_store"
    ALREADY_ISSUED = "already_issued"
    NUMBER_COLLISION = "number_collision"
    EXCEEDS_REMAINING = "exceeds_remaining"


@strawberry.type
class InvoiceError:
    field: str | None
    code: InvoiceErrorCode
    message: str


@strawberry.input
class BuyerInput:
    name: str | None = strawberry.field(default=None, description="Defaults to the customer's.")
    tax_id: str | None = strawberry.field(default=None, description="Defaults to the customer's.")
    branch: str | None = strawberry.field(
        default=None, description='The buyer\'s branch: "Head office" or "Branch 00012".'
    )
    address: str | None = strawberry.field(
        default=None, description="Defaults to the customer's primary address."
    )


@strawberry.input
class InvoiceIssueInput:
    order_id: strawberry.ID
    kind: IssueKind
    store_id: strawberry.ID | None = strawberry.field(
        default=None, description="The issuing branch; defaults to the order's store."
    )
    store_code: str | None = None
    buyer: BuyerInput | None = None


@strawberry.input
class CreditNoteIssueInput:
    invoice_id: strawberry.ID
    amount: Decimal = strawberry.field(
        description="What the buyer gets back, VAT included, in the invoice's currency."
    )
    reason: str


@strawberry.type
class InvoicePayload:
    errors: list[InvoiceError]
    invoice: Invoice | None = None
