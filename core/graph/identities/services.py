"""Linking external identities to customers; each ``(source, external_id)`` to one customer."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import DomainError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.contacts.services import customer_for_update
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.identities.models import CustomerIdentity

KNOWN_SOURCES = {
    "line": "LINE",
    "pos_member": "POS member",
    "web_cookie": "web cookie",
    "crm_import": "CRM import",
}
"""The sources every installation knows, by slug, with the name messages use."""

OTHER = "other"
_SLUG = re.compile(r"[a-z][a-z0-9_]{1,39}")
_EXTERNAL_ID_MAX = 200


def source_slug(source: str, source_name: str | None = None) -> str:
    """The stored slug of a source: a known one, or ``source_name`` when ``source`` is OTHER."""
    if source != OTHER:
        if source_name is not None:
            raise DomainError.single(
                "INVALID", "sourceName is given only with source OTHER", "source_name"
            )
        return normalize_source(source, "source")
    if source_name is None or not source_name.strip():
        raise DomainError.single("REQUIRED", "source OTHER needs a sourceName", "source_name")
    return normalize_source(source_name, "source_name")


def normalize_source(raw: str, field: str = "source") -> str:
    """A source slug: lowercase letters, digits and underscores, 2 to 40 long, starting with a letter."""
    slug = raw.strip().lower()
    if slug == OTHER or not _SLUG.fullmatch(slug):
        raise DomainError.single(
            "INVALID", "a source is a slug such as pos_member: a-z, 0-9 and _", field
        )
    return slug


def normalize_external_id(raw: str, field: str = "external_id") -> str:
    value = raw.strip()
    if not value:
        raise DomainError.single("REQUIRED", "the external id is required", field)
    if len(value) > _EXTERNAL_ID_MAX:
        raise DomainError.single("TOO_LONG", f"at most {_EXTERNAL_ID_MAX} characters", field)
    if not value.isprintable():
        raise DomainError.single("INVALID", "the external id has control characters", field)
    return value


def source_title(slug: str) -> str:
    return KNOWN_SOURCES.get(slug, slug)


async def find_identity(
    session: AsyncSession, source: str, external_id: str
) -> CustomerIdentity | None:
    return await session.scalar(
        select(CustomerIdentity).where(
            CustomerIdentity.source == source, CustomerIdentity.external_id == external_id
        )
    )


async def customer_id_by_identity(
    session: AsyncSession, source: str, external_id: str
) -> uuid.UUID | None:
    """The customer holding an identity; one lookup on the ``(source, external_id)`` key."""
    return await session.scalar(
        select(CustomerIdentity.customer_id).where(
            CustomerIdentity.source == source, CustomerIdentity.external_id == external_id
        )
    )


async def link_identity(
    session: AsyncSession, customer_id: uuid.UUID, source: str, external_id: str
) -> CustomerIdentity:
    """Link ``(source, external_id)`` to a customer; an identity held by anyone is DUPLICATE."""
    slug = normalize_source(source)
    value = normalize_external_id(external_id)
    customer = await customer_for_update(session, customer_id)
    taken = await find_identity(session, slug, value)
    if taken is not None:
        whose = "this" if taken.customer_id == customer.id else "another"
        raise DomainError.single(
            "DUPLICATE",
            f"this {source_title(slug)} identity is already linked to {whose} customer",
            "external_id",
        )
    row = CustomerIdentity(customer_id=customer.id, source=slug, external_id=value)
    session.add(row)
    await session.flush()
    _changed(session, "linked", row)
    return row


async def unlink_identity(
    session: AsyncSession, customer_id: uuid.UUID, identity_id: uuid.UUID
) -> Customer:
    customer = await customer_for_update(session, customer_id)
    row = await session.scalar(
        select(CustomerIdentity).where(
            CustomerIdentity.id == identity_id, CustomerIdentity.customer_id == customer.id
        )
    )
    if row is None:
        raise DomainError.single("NOT_FOUND", "the customer has no such identity", "id")
    await session.delete(row)
    await session.flush()
    _changed(session, "unlinked", row)
    return customer


def _changed(session: AsyncSession, action: str, row: CustomerIdentity) -> None:
    emit(
        session,
        "customer.identity_changed",
        {"action": action, "source": row.source, "id": str(row.id)},
        customer_id=row.customer_id,
    )
