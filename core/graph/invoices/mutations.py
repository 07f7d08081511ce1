from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.invoices import models, services
from unicrm.core.graph.invoices.types import (
    CreditNoteIssueInput,
    Invoice,
    InvoiceError,
    InvoiceErrorCode,
    InvoiceIssueInput,
    InvoicePayload,
)
from unicrm.core.graph.mutations import mutate


def _payload(invoice: models.Invoice) -> dict:
    return {"invoice": Invoice.from_row(invoice)}


@strawberry.type
class InvoiceMutation:
    @strawberry.mutation(
        metadata=requires("core.invoice:write"),
        description="Issue a tax invoice or receipt for an order of a customer in the caller's "
        "scope. Its number is the branch's next, with no gaps.",
    )
    async def invoice_issue(
        self, info: strawberry.Info, input: InvoiceIssueInput
    ) -> InvoicePayload:
        ctx = info.context
        settings = ctx.settings.commerce
        tax = services.Tax(settings.vat_rate, settings.prices_include_vat)
        scope = services.customer_scope(ctx, "write")

        async def work(session: AsyncSession) -> models.Invoice:
            buyer = input.buyer
            data = services.IssueData(
                order_id=decode_id(input.order_id, "Order", "order_id"),
                kind=models.DocumentKind(input.kind.value),
                store_id=None
                if input.store_id is None
                else decode_id(input.store_id, "Store", "store_id"),
                store_code=input.store_code,
                buyer=services.Buyer()
                if buyer is None
                else services.Buyer(buyer.name, buyer.tax_id, buyer.branch, buyer.address),
            )
            return await services.issue_invoice(session, data, tax, scope)

        return await mutate(
            info,
            work,
            payload=InvoicePayload,
            error_type=InvoiceError,
            codes=InvoiceErrorCode,
            result=_payload,
        )

    @strawberry.mutation(
        metadata=requires("core.invoice:write"),
        description="Refund (part of) an invoice or receipt with a credit note, numbered in "
        "its own sequence. Issued documents are never voided.",
    )
    async def credit_note_issue(
        self, info: strawberry.Info, input: CreditNoteIssueInput
    ) -> InvoicePayload:
        scope = services.customer_scope(info.context, "write")

        async def work(session: AsyncSession) -> models.Invoice:
            invoice_id = decode_id(input.invoice_id, "Invoice", "invoice_id")
            return await services.issue_credit_note(
                session, invoice_id, input.amount, input.reason, scope
            )

        return await mutate(
            info,
            work,
            payload=InvoicePayload,
            error_type=InvoiceError,
            codes=InvoiceErrorCode,
            result=_payload,
        )


MUTATION = InvoiceMutation
