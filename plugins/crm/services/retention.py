"""Retention: RFM scores, lifetime value and churn risk of every customer who bought,
recomputed from core orders by the durable job ``crm.customer_values`` (nightly, or on demand).

Only orders placed (not cancelled or refunded) in the installation's currency count.

- RFM: recency (days since the last order), frequency (orders), monetary (amount spent), each
  scored in quintiles among the buyers, 1 to 5, 5 the best (most recent, most orders, most
  spent). Ties share the lower rank.
- Historic value: the sum of the customer's orders.
- Predicted value over ``HORIZON_YEARS``: average order value * orders per year (orders over
  the tenure from the first order until now, at least ``MIN_TENURE_DAYS``) * the horizon.
- Churn risk: how long the customer has been silent against their usual gap between orders
  (``DEFAULT_GAP_DAYS`` for a one-time buyer): under 1.5 gaps low, under 3 medium, else high.
- Win-back: a customer without an order for ``LAPSED_DAYS`` (the job's ``lapsed_days``) is
  lapsed; ``crm.customer_lapsed`` is emitted once when they become so, for other modules to
  act on (a loyalty coupon, a marketing journey).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.events.outbox import emit
from unicrm.core.graph.orders.models import Order, OrderStatus
from unicrm.plugins.crm import events
from unicrm.plugins.crm.models import ChurnRisk, CustomerValue

JOB = "crm.customer_values"
HORIZON_YEARS = 3
MIN_TENURE_DAYS = 30
DEFAULT_GAP_DAYS = 90
LAPSED_DAYS = 180
INSERT_BATCH = 1000
CENT = Decimal("0.01")


def quintiles(values: Sequence[Any], key: Callable[[Any], Any]) -> list[int]:
    """The quintile (1-5) of each value, by ascending ``key``: the lowest is 1, the highest 5
    (a lone buyer scores 5); equal keys share the lower score."""
    order = sorted(range(len(values)), key=lambda i: key(values[i]))
    scores = [0] * len(values)
    n = len(values)
    rank = 0
    for position, i in enumerate(order):
        if position and key(values[i]) != key(values[order[position - 1]]):
            rank = position
        scores[i] = 5 if n == 1 else 1 + min(4, rank * 5 // (n - 1))
    return scores


def churn_risk(orders: int, first: datetime, last: datetime, now: datetime) -> ChurnRisk:
    gap = (last - first) / (orders - 1) if orders > 1 else timedelta(days=DEFAULT_GAP_DAYS)
    gap = max(gap, timedelta(days=1))
    silent = (now - last) / gap
    return ChurnRisk.LOW if silent < 1.5 else ChurnRisk.MEDIUM if silent < 3 else ChurnRisk.HIGH


def predicted_value(orders: int, total: Decimal, first: datetime, now: datetime) -> Decimal:
    tenure_days = max((now - first).days, MIN_TENURE_DAYS)
    per_year = Decimal(orders) * Decimal(365) / Decimal(tenure_days)
    return (total / orders * per_year * HORIZON_YEARS).quantize(CENT)


async def recompute(
    session: AsyncSession, currency: str, now: datetime, lapsed_days: int = LAPSED_DAYS
) -> int:
    """Replace every customer's values with fresh ones; the number of buyers scored."""
    was_lapsed = set(
        await session.scalars(select(CustomerValue.customer_id).where(CustomerValue.lapsed))
    )
    lapsed_before = now - timedelta(days=lapsed_days)
    rows = (
        await session.execute(
            select(
                Order.customer_id,
                func.count(),
                func.sum(Order.total),
                func.min(Order.placed_at),
                func.max(Order.placed_at),
            )
            .where(Order.status == OrderStatus.PLACED, Order.currency == currency)
            .group_by(Order.customer_id)
        )
    ).all()
    recency = quintiles(rows, lambda r: r[4])
    frequency = quintiles(rows, lambda r: r[1])
    monetary = quintiles(rows, lambda r: r[2])
    await session.execute(delete(CustomerValue))
    values = [
        {
            "customer_id": customer_id,
            "orders": orders,
            "first_order_at": first,
            "last_order_at": last,
            "currency": currency,
            "historic_value": total,
            "predicted_value": predicted_value(orders, total, first, now),
            "recency_score": recency[i],
            "frequency_score": frequency[i],
            "monetary_score": monetary[i],
            "churn_risk": churn_risk(orders, first, last, now),
            "lapsed": last <= lapsed_before,
            "computed_at": now,
        }
        for i, (customer_id, orders, total, first, last) in enumerate(rows)
    ]
    for start in range(0, len(values), INSERT_BATCH):
        await session.execute(insert(CustomerValue), values[start : start + INSERT_BATCH])
    for value in values:
        if value["lapsed"] and value["customer_id"] not in was_lapsed:
            emit(
                session,
                events.CUSTOMER_LAPSED,
                events.CustomerLapsed(
                    last_order_at=value["last_order_at"].isoformat(),
                    orders=value["orders"],
                    historic_value=str(value["historic_value"]),
                    currency=currency,
                ),
                customer_id=value["customer_id"],
            )
    return len(values)
