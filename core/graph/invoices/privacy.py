"""A customer's documents in a DSAR export, and what erasure does to them.

Tax records are kept: the Revenue Code (s. 87/3) requires a VAT registrant to keep its tax
invoices, receipts and credit notes for at least five years, and PDPA s. 24(6) allows keeping
personal data a law requires. Erasure therefore never deletes a document. It detaches every
document from the customer, and clears the buyer snapshot of receipts and of their credit
notes, which the law does not require to name the buyer. A full tax invoice (and its credit
notes) keeps the buyer's name, address, tax id and branch, which s. 86/4 requires it to show.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.graph.invoices.models import DocumentKind, Invoice
from unicrm.core.privacy.rows import export_rows


async def export(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    return {"invoices": await export_rows(session, Invoice, customer_id, [Invoice.issued_at])}


async def erase(session: AsyncSession, customer_id: uuid.UUID) -> None:
    receipts = select(Invoice.id).where(
        Invoice.customer_id == customer_id, Invoice.kind == DocumentKind.RECEIPT
    )
    await session.execute(
        update(Invoice)
        .where(
            Invoice.customer_id == customer_id,
            or_(Invoice.kind == DocumentKind.RECEIPT, Invoice.original_id.in_(receipts)),
        )
        .values(buyer_name=None, buyer_tax_id=None, buyer_branch=None, buyer_address=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Invoice)
        .where(Invoice.customer_id == customer_id)
        .values(customer_id=None, erased_at=utcnow())
        .execution_options(synchronize_session=False)
    )
