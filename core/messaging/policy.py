"""The contact policy: may this customer be sent this message on this channel now?

Every send goes through ``decide``. The checks, in order:

1. suppression: the address (by hash) is suppressed on the channel for this purpose or all;
2. consent: a marketing message needs granted marketing consent on the channel's consent
   channel (no record is no consent);
3. frequency cap: at most ``count`` marketing messages per customer per channel over ``days``
   days, across every sender, counted from message records that were not blocked or failed;
4. address: a customer with no address of the channel's kind cannot be sent anything;
5. quiet hours (business time zone): a send inside them is deferred to their end, not refused.

A refusal is recorded by the caller as a ``blocked`` message with the decision's reason.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.config import MessagingSettings
from unicrm.core.graph.consents.models import ConsentPurpose, ConsentState, ConsentStatus
from unicrm.core.graph.contacts.models import CustomerAddress, CustomerEmail, CustomerPhone
from unicrm.core.graph.identities.models import CustomerIdentity
from unicrm.core.messaging.channels import AddressKind, Channel
from unicrm.core.messaging.models import (
    ALL_PURPOSES,
    Message,
    MessagePurpose,
    MessageStatus,
    Suppression,
)

LINE_SOURCE = "line"
NOT_COUNTED = (MessageStatus.BLOCKED, MessageStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Decision:
    """``allowed`` with the address and when to send (``deferred`` by quiet hours), or a
    refusal with its ``code`` (SUPPRESSED, NO_CONSENT, CONSENT_WITHDRAWN, FREQUENCY_CAP,
    NO_ADDRESS) and a sentence saying why."""

    allowed: bool
    address: str | None
    send_at: datetime
    code: str | None = None
    reason: str | None = None
    deferred: bool = False


def normalize(address: str) -> str:
    return " ".join(address.split()).casefold()


def address_hash(address: str) -> str:
    """SHA-256 of the normalized address: what suppressions are matched by."""
    return hashlib.sha256(normalize(address).encode()).hexdigest()


def _postal(row: CustomerAddress) -> str:
    parts = (row.line1, row.line2, row.sub_district, row.district, row.province, row.postal_code)
    return "\n".join(p for p in (*parts, row.country) if p)


async def address_of(
    session: AsyncSession, customer_id: uuid.UUID, kind: AddressKind
) -> str | None:
    """The customer's address of this kind: the primary one, else the oldest."""
    if kind is AddressKind.EMAIL:
        return await session.scalar(
            select(CustomerEmail.address)
            .where(CustomerEmail.customer_id == customer_id)
            .order_by(CustomerEmail.is_primary.desc(), CustomerEmail.created_at, CustomerEmail.id)
            .limit(1)
        )
    if kind is AddressKind.PHONE:
        return await session.scalar(
            select(CustomerPhone.number)
            .where(CustomerPhone.customer_id == customer_id)
            .order_by(CustomerPhone.is_primary.desc(), CustomerPhone.created_at, CustomerPhone.id)
            .limit(1)
        )
    if kind is AddressKind.LINE:
        return await session.scalar(
            select(CustomerIdentity.external_id)
            .where(
                CustomerIdentity.customer_id == customer_id,
                CustomerIdentity.source == LINE_SOURCE,
            )
            .order_by(CustomerIdentity.created_at, CustomerIdentity.id)
            .limit(1)
        )
    row = await session.scalar(
        select(CustomerAddress)
        .where(CustomerAddress.customer_id == customer_id)
        .order_by(CustomerAddress.is_primary.desc(), CustomerAddress.created_at)
        .limit(1)
    )
    return None if row is None else _postal(row)


async def addresses_of(
    session: AsyncSession, customer_id: uuid.UUID, kind: AddressKind
) -> list[str]:
    """Every e-mail address, phone number or LINE id of the customer (not postal ones)."""
    if kind is AddressKind.EMAIL:
        stmt = select(CustomerEmail.address).where(CustomerEmail.customer_id == customer_id)
    elif kind is AddressKind.PHONE:
        stmt = select(CustomerPhone.number).where(CustomerPhone.customer_id == customer_id)
    elif kind is AddressKind.LINE:
        stmt = select(CustomerIdentity.external_id).where(
            CustomerIdentity.customer_id == customer_id, CustomerIdentity.source == LINE_SOURCE
        )
    else:
        raise ValueError("postal addresses have no list form")
    return list((await session.scalars(stmt)).all())


async def suppression_for(
    session: AsyncSession, channel: str, address: str, purpose: MessagePurpose
) -> Suppression | None:
    return await session.scalar(
        select(Suppression)
        .where(
            Suppression.channel == channel,
            Suppression.address_hash == address_hash(address),
            Suppression.purpose.in_((ALL_PURPOSES, purpose.value)),
        )
        .limit(1)
    )


async def consent_refusal(
    session: AsyncSession, customer_id: uuid.UUID, channel: Channel, purpose: MessagePurpose
) -> tuple[str, str] | None:
    """(code, reason) when the purpose needs consent on this channel and it is not granted."""
    if purpose is not MessagePurpose.MARKETING:
        return None
    status = await session.scalar(
        select(ConsentState.status).where(
            ConsentState.customer_id == customer_id,
            ConsentState.purpose == ConsentPurpose.MARKETING,
            ConsentState.channel == channel.consent_channel,
        )
    )
    if status is ConsentStatus.GRANTED:
        return None
    if status is ConsentStatus.WITHDRAWN:
        return (
            "CONSENT_WITHDRAWN",
            f"marketing consent over {channel.consent_channel} was withdrawn",
        )
    return "NO_CONSENT", f"no marketing consent over {channel.consent_channel}"


def quiet_until(settings: MessagingSettings, zone: ZoneInfo, now: datetime) -> datetime | None:
    """When the quiet hours ``now`` falls in end (UTC), or None outside them."""
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(now.tzinfo)


async def _capped(
    session: AsyncSession,
    settings: MessagingSettings,
    customer_id: uuid.UUID,
    channel: str,
    now: datetime,
) -> str | None:
    cap = settings.frequency_caps.get(channel)
    if cap is None:
        return None
    sent = await session.scalar(
        select(func.count())
        .select_from(Message)
        .where(
            Message.customer_id == customer_id,
            Message.channel == channel,
            Message.purpose == MessagePurpose.MARKETING,
            Message.status.not_in(NOT_COUNTED),
            Message.created_at >= now - timedelta(days=cap.days),
        )
    )
    if (sent or 0) >= cap.count:
        return f"frequency cap reached: {cap.count} {channel} messages per {cap.days} days"
    return None


async def decide(
    session: AsyncSession,
    settings: MessagingSettings,
    zone: ZoneInfo,
    customer_id: uuid.UUID,
    channel: Channel,
    purpose: MessagePurpose,
    now: datetime,
) -> Decision:
    """The policy's decision for one send, in the documented order of checks."""
    address = await address_of(session, customer_id, channel.address_kind)

    def refuse(code: str, reason: str) -> Decision:
        return Decision(False, address, now, code, reason)

    if address is not None:
        suppressed = await suppression_for(session, channel.name, address, purpose)
        if suppressed is not None:
            return refuse(
                "SUPPRESSED", f"the address is suppressed on {channel.name} ({suppressed.reason})"
            )
    refused = await consent_refusal(session, customer_id, channel, purpose)
    if refused is not None:
        return refuse(*refused)
    if purpose is MessagePurpose.MARKETING:
        capped = await _capped(session, settings, customer_id, channel.name, now)
        if capped is not None:
            return refuse("FREQUENCY_CAP", capped)
    if address is None:
        return refuse("NO_ADDRESS", f"the customer has no {channel.address_kind} address")
    until = quiet_until(settings, zone, now)
    if until is not None:
        return Decision(True, address, until, deferred=True, reason="deferred by quiet hours")
    return Decision(True, address, now)
