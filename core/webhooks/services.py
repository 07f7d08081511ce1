"""Webhook endpoints and deliveries: the domain logic behind the admin API.

Every failure a caller can cause is a ``DomainError`` pointing at the input field, and the
surrounding transaction writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.config import Settings
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.models import DeliveryStatus, OutboxEvent
from unicrm.core.events.types import check_patterns, matches
from unicrm.core.webhooks.models import WebhookDelivery, WebhookEndpoint
from unicrm.core.webhooks.secrets import encrypt_secret, new_secret
from unicrm.core.webhooks.targets import TargetRefused, check_url, resolve_target

UNSET: Any = object()
MAX_DESCRIPTION = 500


@dataclass(frozen=True, slots=True)
class EndpointData:
    url: str = UNSET
    event_types: list[str] = UNSET
    description: str | None = UNSET
    active: bool = UNSET


@dataclass(frozen=True, slots=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str


async def _checked_url(url: str, settings: Settings) -> str:
    try:
        url = check_url(url)
        await resolve_target(url, allow_private=settings.webhooks.allow_private_targets)
    except TargetRefused as exc:
        raise DomainError(FieldError(exc.code, str(exc), "url")) from None
    return url


def _description(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > MAX_DESCRIPTION:
        raise DomainError(
            FieldError("TOO_LONG", f"at most {MAX_DESCRIPTION} characters", "description")
        )
    return value or None


async def create_endpoint(
    session: AsyncSession, data: EndpointData, settings: Settings
) -> CreatedEndpoint:
    """Register an endpoint; the returned secret is the only time it is readable."""
    url = await _checked_url(data.url, settings)
    event_types = check_patterns(data.event_types, "event_types")
    secret = new_secret()
    row = WebhookEndpoint(
        url=url,
        event_types=event_types,
        description=_description(None if data.description is UNSET else data.description),
        active=True if data.active is UNSET else data.active,
        secret_encrypted=encrypt_secret(secret, settings.secret_key.get_secret_value()),
    )
    session.add(row)
    await session.flush()
    return CreatedEndpoint(row, secret)


async def get_endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    row = await session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
    if row is None:
        raise DomainError(FieldError("NOT_FOUND", "no such webhook endpoint", "id"))
    return row


async def update_endpoint(
    session: AsyncSession, endpoint_id: uuid.UUID, data: EndpointData, settings: Settings
) -> WebhookEndpoint:
    """Change an endpoint; re-activating it clears its failure count and disabled reason."""
    row = await get_endpoint(session, endpoint_id)
    if data.url is not UNSET:
        if data.url is None:
            raise DomainError(FieldError("REQUIRED", "an endpoint needs a URL", "url"))
        row.url = await _checked_url(data.url, settings)
    if data.event_types is not UNSET:
        if data.event_types is None:
            raise DomainError(FieldError("REQUIRED", "give at least one event type", "event_types"))
        row.event_types = check_patterns(data.event_types, "event_types")
    if data.description is not UNSET:
        row.description = _description(data.description)
    if data.active is not UNSET:
        if data.active is None:
            raise DomainError(FieldError("REQUIRED", "active must be true or false", "active"))
        if data.active and not row.active:
            row.failure_count = 0
            row.disabled_reason = None
            row.disabled_at = None
        row.active = data.active
    row.updated_at = utcnow()
    await session.flush()
    return row


async def delete_endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> uuid.UUID:
    """Delete an endpoint with its delivery log."""
    row = await get_endpoint(session, endpoint_id)
    await session.delete(row)
    await session.flush()
    return endpoint_id


async def fan_out(session: AsyncSession, events: Sequence[OutboxEvent]) -> int:
    """One pending delivery per (event, active endpoint subscribed to its type)."""
    if not events:
        return 0
    endpoints = (
        await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)))
    ).all()
    now = utcnow()
    made = 0
    for event in events:
        for endpoint in endpoints:
            if any(matches(p, event.type) for p in endpoint.event_types):
                session.add(
                    WebhookDelivery(
                        endpoint_id=endpoint.id,
                        event_id=event.id,
                        event_type=event.type,
                        status=DeliveryStatus.PENDING,
                        next_attempt_at=now,
                    )
                )
                made += 1
    return made


async def replay_delivery(session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery:
    """Send a delivery's event to its endpoint again, as a new delivery (a fresh id and log)."""
    original = await session.get(WebhookDelivery, delivery_id)
    if original is None:
        raise DomainError(FieldError("NOT_FOUND", "no such webhook delivery", "id"))
    endpoint = await session.get_one(WebhookEndpoint, original.endpoint_id)
    if not endpoint.active:
        raise DomainError(
            FieldError("ENDPOINT_DISABLED", "the endpoint is disabled; activate it first", "id")
        )
    replay = WebhookDelivery(
        endpoint_id=original.endpoint_id,
        event_id=original.event_id,
        event_type=original.event_type,
        status=DeliveryStatus.PENDING,
        next_attempt_at=utcnow(),
        replay_of_id=original.id,
    )
    session.add(replay)
    await session.flush()
    return replay


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    endpoint_id: uuid.UUID | None = None
    status: DeliveryStatus | None = None
    event_type: str | None = None


def filtered_deliveries(where: DeliveryFilter) -> Select[Any]:
    stmt = select(WebhookDelivery)
    if where.endpoint_id is not None:
        stmt = stmt.where(WebhookDelivery.endpoint_id == where.endpoint_id)
    if where.status is not None:
        stmt = stmt.where(WebhookDelivery.status == where.status)
    if where.event_type is not None:
        stmt = stmt.where(WebhookDelivery.event_type == where.event_type)
    return stmt
