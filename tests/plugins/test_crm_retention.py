"""Retention: RFM quintiles, lifetime value and churn risk of every buyer, recomputed from
core orders by a durable job and shown on the customer's service view."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from plugins.support import add_customers, add_rows, customer_gid
from unicrm.core.db.types import utcnow
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.orders.models import Order, OrderSource, OrderStatus
from unicrm.core.jobs.models import Job
from unicrm.core.jobs.runtime import make_worker
from unicrm.plugins.crm.models import ChurnRisk, CustomerValue
from unicrm.plugins.crm.services.retention import churn_risk, predicted_value, quintiles

VALUE = """query($id: ID!) { customer(id: $id) { service { value {
    orders rfm recencyScore frequencyScore monetaryScore churnRisk lapsed
    historicValue { amount currency } predictedValue { amount currency } } } } }"""
RECOMPUTE = "mutation { customerValuesRecompute { errors { code } enqueued } }"


def _order(customer_id, days_ago: int, total: str, now: datetime, **extra) -> Order:
    return Order(
        customer_id=customer_id,
        source=OrderSource.POS,
        placed_at=now - timedelta(days=days_ago),
        currency=extra.pop("currency", "THB"),
        total=Decimal(total),
        status=extra.pop("status", OrderStatus.PLACED),
    )


def test_quintiles_share_scores_on_ties_and_spread_1_to_5():
    assert quintiles(list(range(10)), lambda v: v) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintiles([7, 7, 7], lambda v: v) == [1, 1, 1]


def test_churn_risk_and_predicted_value():
    now = datetime(2026, 6, 1)
    monthly_first = now - timedelta(days=300)
    assert churn_risk(11, monthly_first, now - timedelta(days=20), now) is ChurnRisk.LOW
    assert churn_risk(11, monthly_first, now - timedelta(days=50), now) is ChurnRisk.MEDIUM
    assert (
        churn_risk(1, now - timedelta(days=400), now - timedelta(days=400), now) is ChurnRisk.HIGH
    )
    # 4 orders of 250 in a year: 1,000 a year, 3,000 over three years
    assert predicted_value(4, Decimal(1000), now - timedelta(days=365), now) == Decimal("3000.00")


async def test_the_job_scores_every_buyer_and_the_service_view_shows_it(gql, unicrm_state):
    state = unicrm_state
    now = utcnow()
    loyal, lapsed, never = await add_customers(state, "Loyal", "Lapsed", "Never")
    await add_rows(
        state,
        *[_order(loyal, d, "1000", now) for d in (5, 35, 65, 95)],
        _order(lapsed, 400, "300", now),
        _order(lapsed, 10, "9999", now, status=OrderStatus.CANCELLED),
        _order(lapsed, 10, "50", now, currency="USD"),
    )
    done = (await gql(RECOMPUTE))["data"]["customerValuesRecompute"]
    assert done == {"errors": [], "enqueued": True}
    assert await make_worker(state).run_due() >= 1

    loyal_value = (await gql(VALUE, {"id": customer_gid(loyal)}))["data"]["customer"]["service"][
        "value"
    ]
    assert loyal_value["orders"] == 4 and loyal_value["rfm"] == "555"
    assert loyal_value["churnRisk"] == "LOW"
    assert loyal_value["historicValue"] == {"amount": "4000.0000", "currency": "THB"}
    lapsed_value = (await gql(VALUE, {"id": customer_gid(lapsed)}))["data"]["customer"]["service"][
        "value"
    ]
    assert (lapsed_value["orders"], lapsed_value["rfm"]) == (1, "111")  # THB, placed only
    assert lapsed_value["churnRisk"] == "HIGH" and lapsed_value["lapsed"] is True
    assert loyal_value["lapsed"] is False
    assert (await gql(VALUE, {"id": customer_gid(never)}))["data"]["customer"]["service"][
        "value"
    ] is None

    await gql(RECOMPUTE)  # a second run replaces the values, never duplicates them
    await make_worker(state).run_due()
    async with state.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(CustomerValue)) == 2
        jobs = await session.scalar(
            select(func.count()).select_from(Job).where(Job.type == "crm.customer_values")
        )
        lapsed_events = await session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.type == "crm.customer_lapsed")
        )
    assert jobs == 2
    assert lapsed_events == 1  # announced once, when the customer lapsed
