from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.invoices.models import Invoice, InvoiceLine
from unicrm.core.graph.invoices.services import latest_per_customer, visible_invoices
from unicrm.core.graph.loaders import entities_by, many_per_key, one_per_key


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


async def _latest_invoices(
    session: AsyncSession, keys: list[Any], where: Any = None
) -> list[tuple[Any, Any]]:
    """Keys are ``(customer_id, limit)``; one statement for every customer of the batch."""
    newest = max(limit for _, limit in keys)
    by_customer: dict[Any, list[Invoice]] = defaultdict(list)
    for row in await session.scalars(latest_per_customer({c for c, _ in keys}, newest, where)):
        by_customer[row.customer_id].append(row)
    return [
        ((customer, limit), row)
        for customer, limit in keys
        for row in by_customer[customer][:limit]
    ]


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
    "core.latest_invoices_by_customer": many_per_key(_latest_invoices, _scope),
}
