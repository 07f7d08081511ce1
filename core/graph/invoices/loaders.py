from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.invoices.models import Invoice, InvoiceLine
from unicrm.core.graph.invoices.services import visible_invoices
from unicrm.core.graph.loaders import entities_by, latest_by, many_per_key, one_per_key


async def _invoices_by_id(
    session: AsyncSession, keys: list[Any], where: Any = None
) -> list[tuple[Any, Any]]:
    stmt = select(Invoice).where(Invoice.id.in_(keys))
    rows = (await session.scalars(stmt if where is None else stmt.where(where))).all()
    return [(r.id, r) for r in rows]


async def _lines_by_invoice(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    stmt = (
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id.in_(keys))
        .order_by(InvoiceLine.invoice_id, InvoiceLine.position)
    )
    return [(r.invoice_id, r) for r in await session.scalars(stmt)]


def _scope(ctx: Any) -> Any:
    return visible_invoices(ctx)


LOADERS = {
    "core.invoice_by_id": one_per_key(_invoices_by_id, _scope),
    "core.lines_by_invoice": many_per_key(_lines_by_invoice),
    "core.invoices_by_order": many_per_key(
        entities_by(Invoice.order_id, Invoice.issued_at, Invoice.id), _scope
    ),
    "core.credit_notes_by_invoice": many_per_key(
        entities_by(Invoice.original_id, Invoice.issued_at, Invoice.id), _scope
    ),
    "core.latest_invoices_by_customer": many_per_key(
        latest_by(Invoice.customer_id, Invoice.issued_at.desc(), Invoice.id.desc()), _scope
    ),
}
