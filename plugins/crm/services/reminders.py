"""Repurchase and maintenance reminders.

A rule per product and kind sets the interval. A **repurchase** reminder is due
``interval_days`` after the customer's last placed order of the product; a **maintenance**
reminder every ``interval_days`` from an owned item's purchase date. The daily job
``crm.reminders`` sends the due ones as service messages on the first channel the contact
policy allows (LINE, SMS, e-mail...) with the template ``crm.repurchase_reminder`` or
``crm.maintenance_reminder`` (variables ``product_name``, ``due_date``). Each reminder goes
out once: its sender key names the purchase (or the service period), whatever the channel.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.errors import DomainError
from unicrm.core.graph.assets.models import Asset
from unicrm.core.graph.customers.services import get_customer
from unicrm.core.graph.orders.models import Order, OrderLine, OrderStatus
from unicrm.core.graph.products.models import Product
from unicrm.core.messaging.models import Message
from unicrm.plugins.crm.models import ReminderKind, ReminderRule
from unicrm.plugins.crm.services import outbound

JOB = "crm.reminders"
MAX_INTERVAL_DAYS = 3650
TEMPLATES = {
    ReminderKind.REPURCHASE: "crm.repurchase_reminder",
    ReminderKind.MAINTENANCE: "crm.maintenance_reminder",
}


async def set_rule(
    session: AsyncSession, product_id: uuid.UUID, kind: ReminderKind, interval_days: int
) -> ReminderRule:
    """Create or change the rule of a product and kind."""
    if not 1 <= interval_days <= MAX_INTERVAL_DAYS:
        raise DomainError.single(
            "INVALID", f"an interval of 1 to {MAX_INTERVAL_DAYS} days", "interval_days"
        )
    if await session.get(Product, product_id) is None:
        raise DomainError.single("NOT_FOUND", "no such product", "product_id")
    rule = await session.scalar(
        select(ReminderRule)
        .where(ReminderRule.product_id == product_id, ReminderRule.kind == kind)
        .with_for_update()
    )
    if rule is None:
        rule = ReminderRule(id=uuid7(), product_id=product_id, kind=kind)
        session.add(rule)
    rule.interval_days = interval_days
    await session.flush()
    return rule


async def _sent(session: AsyncSession, customer_id: uuid.UUID, key: str) -> bool:
    found = await session.scalar(
        select(Message.id).where(Message.sender_key == key, Message.customer_id == customer_id)
    )
    return found is not None


async def _remind(
    session: AsyncSession,
    rule: ReminderRule,
    product: Product,
    customer_id: uuid.UUID,
    key: str,
    due: date,
) -> bool:
    if await _sent(session, customer_id, key):
        return False
    channel = await outbound.send_on_first_allowed(
        session,
        customer_id,
        TEMPLATES[rule.kind],
        key,
        {"product_name": product.name, "due_date": due.isoformat()},
    )
    return channel is not None


async def _repurchase(
    session: AsyncSession, rule: ReminderRule, product: Product, now: datetime, zone: ZoneInfo
) -> int:
    last = func.max(Order.placed_at)
    rows = await session.execute(
        select(Order.customer_id, last)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.product_id == rule.product_id, Order.status == OrderStatus.PLACED)
        .group_by(Order.customer_id)
        .having(last <= now - timedelta(days=rule.interval_days))
    )
    sent = 0
    for customer_id, bought in rows.all():
        due = (bought + timedelta(days=rule.interval_days)).astimezone(zone).date()
        key = f"crm.reminder:{rule.id}:{customer_id}:{bought.astimezone(zone).date()}"
        sent += await _remind(session, rule, product, customer_id, key, due)
    return sent


async def _maintenance(
    session: AsyncSession, rule: ReminderRule, product: Product, today: date
) -> int:
    first_due = Asset.purchase_date <= today - timedelta(days=rule.interval_days)
    assets = await session.execute(
        select(Asset.id, Asset.customer_id, Asset.purchase_date).where(
            Asset.product_id == rule.product_id, Asset.customer_id.is_not(None), first_due
        )
    )
    sent = 0
    for asset_id, customer_id, bought in assets.all():
        periods = (today - bought).days // rule.interval_days
        due = bought + timedelta(days=periods * rule.interval_days)
        key = f"crm.reminder:{rule.id}:{asset_id}:{periods}"
        sent += await _remind(session, rule, product, customer_id, key, due)
    return sent


async def send_due(session: AsyncSession, now: datetime, zone: ZoneInfo) -> int:
    """Send every reminder due at ``now`` not sent before; how many were sent."""
    sent = 0
    for rule, product in (
        await session.execute(
            select(ReminderRule, Product).join(Product, Product.id == ReminderRule.product_id)
        )
    ).all():
        if rule.kind is ReminderKind.REPURCHASE:
            sent += await _repurchase(session, rule, product, now, zone)
        else:
            sent += await _maintenance(session, rule, product, now.astimezone(zone).date())
    return sent


async def send_now(
    session: AsyncSession,
    customer_id: uuid.UUID,
    product_id: uuid.UUID,
    kind: ReminderKind,
    now: datetime,
    zone: ZoneInfo,
) -> str | None:
    """Remind one customer now (an agent's call), whether due or not; the channel used, or
    None when the contact policy allows none. The customer must have bought the product
    (``NOT_BOUGHT``); its rule must exist (``NO_RULE``)."""
    await get_customer(session, customer_id)
    product = await session.get(Product, product_id)
    if product is None:
        raise DomainError.single("NOT_FOUND", "no such product", "product_id")
    rule = await session.scalar(
        select(ReminderRule).where(ReminderRule.product_id == product_id, ReminderRule.kind == kind)
    )
    if rule is None:
        raise DomainError.single("NO_RULE", "the product has no such reminder rule", "kind")
    if kind is ReminderKind.REPURCHASE:
        last = await session.scalar(
            select(func.max(Order.placed_at))
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(
                Order.customer_id == customer_id,
                OrderLine.product_id == product_id,
                Order.status == OrderStatus.PLACED,
            )
        )
        since = None if last is None else last.astimezone(zone).date()
    else:
        since = await session.scalar(
            select(func.max(Asset.purchase_date)).where(
                Asset.customer_id == customer_id, Asset.product_id == product_id
            )
        )
    if since is None:
        raise DomainError.single(
            "NOT_BOUGHT", "the customer never bought this product", "product_id"
        )
    due = since + timedelta(days=rule.interval_days)
    return await outbound.send_on_first_allowed(
        session,
        customer_id,
        TEMPLATES[kind],
        f"crm.reminder:{rule.id}:{customer_id}:manual:{now.isoformat()}",
        {"product_name": product.name, "due_date": due.isoformat()},
    )
