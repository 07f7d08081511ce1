"""Recording consent and answering whether a customer may be contacted.

Consent is opt-in: no record means no. Every grant or withdrawal appends a ``ConsentEvent``;
the ``ConsentState`` of its (customer, purpose, channel) follows the event with the latest
``occurred_at``, in the same transaction. An imported event older than the current state
joins the history without changing the state.

Marketing consent is given per channel; profiling and data sharing have no channel and use
``ConsentChannel.ANY``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Row, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.consents.models import (
    ConsentChannel,
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    ConsentState,
    ConsentStatus,
)
from unicrm.core.graph.contacts.services import customer_for_update
from unicrm.core.graph.customers.models import Customer

CHANNELLED_PURPOSES = frozenset({ConsentPurpose.MARKETING})
"""Purposes consented to per channel; the others take ``ConsentChannel.ANY``."""

CLOCK_SKEW = timedelta(minutes=5)
MAX_EVIDENCE_BYTES = 8192
MAX_POLICY_VERSION = 50
_BATCH = 1000


def check_pair(purpose: ConsentPurpose, channel: ConsentChannel) -> None:
    """A ``DomainError`` (INVALID on ``channel``) unless ``channel`` fits ``purpose``."""
    if purpose in CHANNELLED_PURPOSES and channel is ConsentChannel.ANY:
        raise DomainError.single(
            "INVALID", f"{purpose.value} consent is given per channel: name one", "channel"
        )
    if purpose not in CHANNELLED_PURPOSES and channel is not ConsentChannel.ANY:
        raise DomainError.single(
            "INVALID", f"{purpose.value} consent has no channel: use ANY", "channel"
        )


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """A grant or withdrawal to record; ``occurred_at`` defaults to now."""

    purpose: ConsentPurpose
    channel: ConsentChannel
    status: ConsentStatus
    source: ConsentSource
    policy_version: str | None = None
    occurred_at: datetime | None = None
    evidence: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class CurrentConsent:
    """The current state of one consent, with what its latest event says."""

    customer_id: uuid.UUID
    purpose: ConsentPurpose
    channel: ConsentChannel
    status: ConsentStatus
    occurred_at: datetime
    updated_at: datetime
    source: ConsentSource
    policy_version: str | None
    recorded_by: str


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """What recording a change produced: the new event and the state after it."""

    customer: Customer
    event: ConsentEvent
    current: CurrentConsent


def _validate(change: ConsentChange, now: datetime) -> tuple[str | None, datetime]:
    """Every problem of a change at once; returns its cleaned policy version and time."""
    errors: list[FieldError] = []
    try:
        check_pair(change.purpose, change.channel)
    except DomainError as error:
        errors += error.errors
    version = " ".join((change.policy_version or "").split()) or None
    if version is None and change.status is ConsentStatus.GRANTED:
        errors.append(FieldError("REQUIRED", "a grant names the policy version", "policy_version"))
    elif version is not None and len(version) > MAX_POLICY_VERSION:
        errors.append(
            FieldError("TOO_LONG", f"at most {MAX_POLICY_VERSION} characters", "policy_version")
        )
    occurred = change.occurred_at or now
    if occurred.tzinfo is None:
        errors.append(FieldError("INVALID", "occurred_at needs a time zone", "occurred_at"))
    elif occurred > now + CLOCK_SKEW:
        errors.append(FieldError("INVALID", "occurred_at is in the future", "occurred_at"))
    if change.evidence is not None and not isinstance(change.evidence, dict):
        errors.append(FieldError("INVALID", "evidence must be a JSON object", "evidence"))
    elif change.evidence is not None:
        try:
            size = len(orjson.dumps(change.evidence))
        except TypeError:
            errors.append(FieldError("INVALID", "evidence must be plain JSON", "evidence"))
        else:
            if size > MAX_EVIDENCE_BYTES:
                errors.append(
                    FieldError("TOO_LONG", f"at most {MAX_EVIDENCE_BYTES} bytes", "evidence")
                )
    if errors:
        raise DomainError(*errors)
    return version, occurred.astimezone(UTC)


def _current(state: ConsentState, event: ConsentEvent) -> CurrentConsent:
    return CurrentConsent(
        customer_id=state.customer_id,
        purpose=state.purpose,
        channel=state.channel,
        status=state.status,
        occurred_at=state.occurred_at,
        updated_at=state.updated_at,
        source=event.source,
        policy_version=event.policy_version,
        recorded_by=event.recorded_by,
    )


async def record_consent(
    session: AsyncSession, customer_id: uuid.UUID, change: ConsentChange
) -> ConsentRecord:
    """Append the change to the history and bring the current state up to date."""
    now = utcnow()
    version, occurred = _validate(change, now)
    customer = await customer_for_update(session, customer_id)
    actor = session.info.get("actor")
    event = ConsentEvent(
        id=uuid7(),
        customer_id=customer.id,
        purpose=change.purpose,
        channel=change.channel,
        status=change.status,
        source=change.source,
        policy_version=version,
        occurred_at=occurred,
        recorded_at=now,
        recorded_by=getattr(actor, "name", None) or "system",
        evidence=change.evidence,
    )
    session.add(event)
    state = await session.get(ConsentState, (customer.id, change.purpose, change.channel))
    previous = None if state is None else state.status
    latest = event
    if state is None:
        state = ConsentState(
            customer_id=customer.id,
            purpose=change.purpose,
            channel=change.channel,
            status=change.status,
            occurred_at=occurred,
            updated_at=now,
            event_id=event.id,
        )
        session.add(state)
    elif occurred >= state.occurred_at:
        state.status, state.occurred_at, state.event_id = change.status, occurred, event.id
    else:
        latest = await session.get_one(ConsentEvent, state.event_id)
    await session.flush()
    emit(
        session,
        "consent.changed",
        {
            "event_id": str(event.id),
            "purpose": change.purpose.value,
            "channel": change.channel.value,
            "status": change.status.value,
            "source": change.source.value,
            "previous": None if previous is None else previous.value,
            "current": state.status.value,
        },
        customer_id=customer.id,
    )
    return ConsentRecord(customer=customer, event=event, current=_current(state, latest))


async def can_contact(
    session: AsyncSession,
    customer_id: uuid.UUID,
    purpose: ConsentPurpose,
    channel: ConsentChannel,
) -> bool:
    """Whether the customer's current consent for ``purpose`` over ``channel`` is granted."""
    check_pair(purpose, channel)
    status = await session.scalar(
        select(ConsentState.status).where(
            ConsentState.customer_id == customer_id,
            ConsentState.purpose == purpose,
            ConsentState.channel == channel,
        )
    )
    return status is ConsentStatus.GRANTED


async def can_contact_many(
    session: AsyncSession,
    customer_ids: Iterable[uuid.UUID],
    purpose: ConsentPurpose,
    channel: ConsentChannel,
) -> dict[uuid.UUID, bool]:
    """``can_contact`` for many customers, one statement per thousand ids."""
    check_pair(purpose, channel)
    ids = list(dict.fromkeys(customer_ids))
    allowed: set[uuid.UUID] = set()
    for start in range(0, len(ids), _BATCH):
        found = await session.scalars(
            select(ConsentState.customer_id).where(
                ConsentState.customer_id.in_(ids[start : start + _BATCH]),
                ConsentState.purpose == purpose,
                ConsentState.channel == channel,
                ConsentState.status == ConsentStatus.GRANTED,
            )
        )
        allowed.update(found)
    return {i: i in allowed for i in ids}


async def current_consents(
    session: AsyncSession, customer_ids: Sequence[uuid.UUID]
) -> list[CurrentConsent]:
    """The current consents of many customers, by customer, purpose and channel."""
    state, event = ConsentState.__table__, ConsentEvent.__table__
    stmt = (
        select(
            state.c.customer_id,
            state.c.purpose,
            state.c.channel,
            state.c.status,
            state.c.occurred_at,
            state.c.updated_at,
            event.c.source,
            event.c.policy_version,
            event.c.recorded_by,
        )
        .join(event, event.c.id == state.c.event_id)
        .where(state.c.customer_id.in_(customer_ids))
        .order_by(state.c.customer_id, state.c.purpose, state.c.channel)
    )
    return [CurrentConsent(**row._mapping) for row in await session.execute(stmt)]


async def history_rows(
    session: AsyncSession,
    customer_ids: Sequence[uuid.UUID],
    limit: int,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> list[Row[Any]]:
    """Up to ``limit`` events of each customer, newest first, in one statement.

    ``before`` is a keyset bound ``(occurred_at, id)``: only older events are returned.
    """
    event = ConsentEvent.__table__
    rank = (
        func.row_number()
        .over(
            partition_by=event.c.customer_id,
            order_by=(event.c.occurred_at.desc(), event.c.id.desc()),
        )
        .label("rank")
    )
    inner = select(event, rank).where(event.c.customer_id.in_(customer_ids))
    if before is not None:
        inner = inner.where(tuple_(event.c.occurred_at, event.c.id) < before)
    page = inner.subquery()
    stmt = select(page).where(page.c.rank <= limit).order_by(page.c.customer_id, page.c.rank)
    return list((await session.execute(stmt)).all())
