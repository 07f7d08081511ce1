"""Lifecycle stages: set by staff with a reason, advanced by the system on leads, conversions
and first orders. Every move is kept in ``customer_lifecycle_change`` (append-only)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.events.idempotency import once
from unicrm.core.events.outbox import Event, emit
from unicrm.core.graph.customers.models import Customer, LifecycleStage
from unicrm.core.graph.customers.services import get_customer
from unicrm.core.graph.leads.models import LifecycleChange
from unicrm.core.graph.timeline.services import add_entry

ORDER = (
    LifecycleStage.SUBSCRIBER,
    LifecycleStage.LEAD,
    LifecycleStage.MARKETING_QUALIFIED,
    LifecycleStage.SALES_QUALIFIED,
    LifecycleStage.OPPORTUNITY,
    LifecycleStage.CUSTOMER,
)
"""The stages in order; churned is off the line (any automatic move brings a churned
customer back)."""

MAX_REASON = 500
SYSTEM = "system"


def is_ahead(stage: LifecycleStage, of: LifecycleStage) -> bool:
    """Whether ``stage`` is further along than ``of`` (everything is ahead of churned)."""
    if of is LifecycleStage.CHURNED:
        return stage is not LifecycleStage.CHURNED
    if stage is LifecycleStage.CHURNED:
        return False
    return ORDER.index(stage) > ORDER.index(of)


def _reason(reason: str | None) -> str | None:
    value = " ".join((reason or "").split()) or None
    if value is not None and len(value) > MAX_REASON:
        raise DomainError.single(
            "TOO_LONG", f"a reason has at most {MAX_REASON} characters", "reason"
        )
    return value


def move(
    session: AsyncSession, customer: Customer, to: LifecycleStage, reason: str | None
) -> LifecycleChange | None:
    """Put ``customer`` in stage ``to`` and record who, when and why; None if already there.

    The actor is the session's (``system`` outside a request). Emits
    ``customer.lifecycle_changed`` and writes a timeline entry, in the caller's transaction.
    """
    if customer.lifecycle_stage is to:
        return None
    actor = session.info.get("actor")
    user_id = getattr(actor, "user_id", None)
    change = LifecycleChange(
        customer_id=customer.id,
        from_stage=customer.lifecycle_stage,
        to_stage=to,
        changed_by=getattr(actor, "name", None) or SYSTEM,
        user_id=user_id if isinstance(user_id, uuid.UUID) else None,
        reason=reason,
        changed_at=utcnow(),
    )
    previous = customer.lifecycle_stage
    customer.lifecycle_stage = to
    customer.version += 1
    session.add(change)
    emit(
        session,
        "customer.lifecycle_changed",
        {"from_stage": previous.value, "to_stage": to.value, "reason": reason},
        customer_id=customer.id,
    )
    add_entry(
        session,
        customer.id,
        "core.lifecycle_changed",
        f"Lifecycle stage {previous.value} → {to.value}",
        summary=reason,
        data={"from_stage": previous.value, "to_stage": to.value},
    )
    return change


async def set_stage(
    session: AsyncSession, customer_id: uuid.UUID, to: LifecycleStage, reason: str | None
) -> Customer:
    """Staff put a customer in any stage, forwards or back; the same stage changes nothing."""
    why = _reason(reason)
    try:
        customer = await get_customer(session, customer_id, for_update=True)
    except DomainError:
        raise DomainError.single("NOT_FOUND", "no such customer", "customer_id") from None
    move(session, customer, to, why)
    await session.flush()
    return customer


def advance(
    session: AsyncSession, customer: Customer, to: LifecycleStage, reason: str
) -> LifecycleChange | None:
    """An automatic move: only forwards (or out of churned), never back."""
    if not is_ahead(to, customer.lifecycle_stage):
        return None
    return move(session, customer, to, reason)


async def on_order_placed(event: Event, session: AsyncSession) -> None:
    """An order makes its buyer a customer (a churned one too); once per event."""
    if event.customer_id is None or not await once(session, event, "core.lifecycle_order"):
        return
    customer = await session.get(Customer, event.customer_id, with_for_update=True)
    if customer is None:  # merged away or erased since
        return
    advance(session, customer, LifecycleStage.CUSTOMER, "order placed")
    await session.flush()
