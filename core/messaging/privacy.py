"""Messaging's part of the DSAR export and of erasure.

Erasure anonymises the customer's messages (detached from the customer, address and content
cleared; statuses and senders kept for campaign figures) and suppresses every address the
customer had, by hash only, so an erased customer is never contacted again.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.merge.journal import jsonable
from unicrm.core.messaging import policy
from unicrm.core.messaging.channels import AddressKind
from unicrm.core.messaging.models import (
    ALL_PURPOSES,
    Message,
    MessageStatusChange,
    Suppression,
    SuppressionReason,
)
from unicrm.core.messaging.runtime import current
from unicrm.core.messaging.services import suppress
from unicrm.core.privacy.rows import export_rows


async def export(session: AsyncSession, customer_id: uuid.UUID) -> dict[str, Any]:
    """The customer's messages (with their status history) and suppressions; sections with
    nothing in them are left out."""
    messages = await export_rows(session, Message, customer_id, order_by=[Message.created_at])
    if messages:
        ids = [uuid.UUID(m["id"]) for m in messages]
        history = await session.execute(
            select(MessageStatusChange.__table__)
            .where(MessageStatusChange.message_id.in_(ids))
            .order_by(MessageStatusChange.occurred_at, MessageStatusChange.id)
        )
        by_message: dict[str, list[dict[str, Any]]] = {}
        for row in history.mappings():
            by_message.setdefault(str(row["message_id"]), []).append(jsonable(dict(row)))
        for m in messages:
            m["history"] = by_message.get(m["id"], [])
    suppressions = await export_rows(
        session, Suppression, customer_id, order_by=[Suppression.created_at]
    )
    sections = {"messages": messages, "message_suppressions": suppressions}
    return {name: rows for name, rows in sections.items() if rows}


async def erase(session: AsyncSession, customer_id: uuid.UUID) -> None:
    addresses: set[tuple[str, str]] = set()
    for channel in current().channels.values():
        if channel.address_kind is AddressKind.POSTAL:
            found = await policy.address_of(session, customer_id, channel.address_kind)
            if found:
                addresses.add((channel.name, found))
            continue
        for address in await policy.addresses_of(session, customer_id, channel.address_kind):
            addresses.add((channel.name, address))
    used = await session.execute(
        select(Message.channel, Message.address).where(
            Message.customer_id == customer_id, Message.address.is_not(None)
        )
    )
    addresses.update((channel, address) for channel, address in used if address)
    held = await session.execute(
        select(Suppression.channel, Suppression.address).where(
            Suppression.customer_id == customer_id, Suppression.address.is_not(None)
        )
    )
    addresses.update((channel, address) for channel, address in held if address)
    await session.execute(
        update(Suppression)
        .where(Suppression.customer_id == customer_id)
        .values(customer_id=None, address=None)
    )
    for channel, address in sorted(addresses):
        await suppress(session, channel=channel, address=address, reason=SuppressionReason.ERASED)
    hashes = {policy.address_hash(address) for _, address in addresses}
    if hashes:
        await session.execute(
            update(Suppression)
            .where(Suppression.address_hash.in_(hashes))
            .values(address=None, customer_id=None)
        )
        await session.execute(
            update(Suppression)
            .where(Suppression.address_hash.in_(hashes), Suppression.purpose == ALL_PURPOSES)
            .values(reason=SuppressionReason.ERASED)
        )
    await session.execute(
        update(Message)
        .where(Message.customer_id == customer_id)
        .values(customer_id=None, address=None, subject=None, text_body=None, html_body=None)
    )
