"""Cases by id and by customer (within the actor's row scope), and each case's conversation,
attachments and status history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import entities_by, many_per_key, one_per_key
from unicrm.core.graph.orders.models import Order, OrderStatus
from unicrm.core.graph.scalars import Money
from unicrm.plugins.crm.models import (
    Case,
    CaseAttachment,
    CaseMessage,
    CaseStatusChange,
    CustomerValue,
    SlaPolicy,
    Survey,
    TechnicianVisit,
)
from unicrm.plugins.crm.services.cases import visible_to


async def _purchases_by_customer(
    session: AsyncSession, keys: list[Any]
) -> list[tuple[Any, dict[str, Any]]]:
    """Per customer of the batch: order count, first and last order, totals per currency
    (orders placed, not cancelled or refunded), in one statement."""
    rows = await session.execute(
        select(
            Order.customer_id,
            Order.currency,
            func.count(),
            func.sum(Order.total),
            func.min(Order.placed_at),
            func.max(Order.placed_at),
        )
        .where(Order.customer_id.in_(keys), Order.status == OrderStatus.PLACED)
        .group_by(Order.customer_id, Order.currency)
        .order_by(Order.customer_id, Order.currency)
    )
    found: dict[Any, dict[str, Any]] = {}
    for customer_id, currency, count, total, first, last in rows:
        summary = found.setdefault(
            customer_id,
            {
                "order_count": 0,
                "first_order_at": first,
                "last_order_at": last,
                "lifetime_value": [],
            },
        )
        summary["order_count"] += count
        summary["first_order_at"] = min(summary["first_order_at"], first)
        summary["last_order_at"] = max(summary["last_order_at"], last)
        summary["lifetime_value"].append(Money(amount=total, currency=currency))
    return list(found.items())


async def _satisfaction_by_customer(
    session: AsyncSession, keys: list[Any]
) -> list[tuple[Any, dict[str, Any]]]:
    """Per customer of the batch: answered surveys and their average score, one statement."""
    rows = await session.execute(
        select(Case.customer_id, func.count(Survey.score), func.avg(Survey.score))
        .join(Survey, Survey.case_id == Case.id)
        .where(Case.customer_id.in_(keys), Survey.score.is_not(None))
        .group_by(Case.customer_id)
    )
    return [
        (customer_id, {"answered": answered, "average_score": round(float(average), 2)})
        for customer_id, answered, average in rows
    ]


LOADERS = {
    "crm.case_by_id": one_per_key(entities_by(Case.id), visible_to),
    "crm.cases_by_customer": many_per_key(
        entities_by(Case.customer_id, Case.opened_at.desc(), Case.id.desc()), visible_to
    ),
    "crm.messages_by_case": many_per_key(
        entities_by(CaseMessage.case_id, CaseMessage.created_at, CaseMessage.id)
    ),
    "crm.attachments_by_case": many_per_key(
        entities_by(CaseAttachment.case_id, CaseAttachment.created_at, CaseAttachment.id)
    ),
    "crm.attachments_by_message": many_per_key(
        entities_by(CaseAttachment.message_id, CaseAttachment.created_at, CaseAttachment.id)
    ),
    "crm.visit_by_id": one_per_key(entities_by(TechnicianVisit.id)),
    "crm.visits_by_case": many_per_key(
        entities_by(TechnicianVisit.case_id, TechnicianVisit.created_at, TechnicianVisit.id)
    ),
    "crm.purchases_by_customer": one_per_key(_purchases_by_customer),
    "crm.satisfaction_by_customer": one_per_key(_satisfaction_by_customer),
    "crm.survey_by_case": one_per_key(entities_by(Survey.case_id)),
    "crm.value_by_customer": one_per_key(entities_by(CustomerValue.customer_id)),
    "crm.sla_policy_by_id": one_per_key(entities_by(SlaPolicy.id)),
    "crm.status_changes_by_case": many_per_key(
        entities_by(CaseStatusChange.case_id, CaseStatusChange.changed_at, CaseStatusChange.id)
    ),
}
