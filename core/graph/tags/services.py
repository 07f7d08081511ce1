"""Tags: create them, put them on customers and take them off."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.customers.services import get_customer
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.core.graph.tags.models import CustomerTag, Tag
from unicrm.core.graph.timeline.services import add_entry

COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def clean_name(name: str | None, field: str = "name") -> str:
    """The tag name with whitespace collapsed; empty or too long is a ``DomainError``."""
    value = " ".join((name or "").split())
    if not value:
        raise DomainError.single("REQUIRED", "a tag needs a name", field)
    if len(value) > 100:
        raise DomainError.single("TOO_LONG", "a tag name has at most 100 characters", field)
    return value


def name_key(name: str) -> str:
    return name.casefold()


async def create_tag(session: AsyncSession, name: str, color: str | None = None) -> Tag:
    errors: list[FieldError] = []
    try:
        name = clean_name(name)
    except DomainError as error:
        errors += error.errors
    color = (color or "").strip() or None
    if color is not None and not COLOR.fullmatch(color):
        errors.append(FieldError("INVALID", "color must look like #1A2B3C", "color"))
    if errors:
        raise DomainError(*errors)
    duplicate = DomainError.single("DUPLICATE", f"a tag named {name!r} exists", "name")
    if await find_by_name(session, name) is not None:
        raise duplicate
    row = Tag(id=uuid7(), name=name, name_key=name_key(name), color=color and color.upper())
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise duplicate from None
    return row


async def find_by_name(session: AsyncSession, name: str) -> Tag | None:
    return await session.scalar(select(Tag).where(Tag.name_key == name_key(name)))


async def _tag_by_name(session: AsyncSession, name: str) -> Tag:
    """The tag with this name, created if missing (safe when two requests race to create it)."""
    values = {"id": uuid7(), "name": name, "name_key": name_key(name)}
    await insert_or_skip(session, Tag, values, ("name_key",))
    tag = await find_by_name(session, name)
    assert tag is not None  # inserted now, or committed by whoever won the race
    return tag


@dataclass(frozen=True, slots=True)
class TagRef:
    """Which tag: by id, or by name (exactly one)."""

    tag_id: uuid.UUID | None = None
    name: str | None = None


async def _customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    try:
        return await get_customer(session, customer_id)
    except DomainError:
        raise DomainError.single("NOT_FOUND", "no such customer", "customer_id") from None


async def _existing_tag(session: AsyncSession, ref: TagRef) -> Tag | None:
    if (ref.tag_id is None) == (ref.name is None):
        raise DomainError.single("REQUIRED", "give either tagId or name", "tag_id")
    if ref.tag_id is not None:
        tag = await session.get(Tag, ref.tag_id)
        if tag is None:
            raise DomainError.single("NOT_FOUND", "no such tag", "tag_id")
        return tag
    return await find_by_name(session, clean_name(ref.name))


async def add_tag(
    session: AsyncSession, customer_id: uuid.UUID, ref: TagRef
) -> tuple[Customer, Tag]:
    """Put a tag on a customer, creating a tag given by name; tagging twice changes nothing."""
    tag = await _existing_tag(session, ref)
    customer = await _customer(session, customer_id)
    if tag is None:
        tag = await _tag_by_name(session, clean_name(ref.name))
    actor = session.info.get("actor")
    link = {
        "customer_id": customer.id,
        "tag_id": tag.id,
        "tagged_at": utcnow(),
        "tagged_by": getattr(actor, "name", None),
    }
    if await insert_or_skip(session, CustomerTag, link, ("customer_id", "tag_id")):
        emit(session, "customer.tagged", {"tag": tag.name}, customer_id=customer.id)
        add_entry(
            session,
            customer.id,
            "core.tag_added",
            f"Tagged {tag.name}",
            data={"tag": tag.name},
            ref_type="Tag",
            ref_id=tag.id,
        )
    return customer, tag


async def remove_tag(
    session: AsyncSession, customer_id: uuid.UUID, ref: TagRef
) -> tuple[Customer, Tag]:
    """Take a tag off a customer; a tag the customer does not have changes nothing."""
    tag = await _existing_tag(session, ref)
    if tag is None:
        raise DomainError.single("NOT_FOUND", "no such tag", "name")
    customer = await _customer(session, customer_id)
    removed = await session.execute(
        delete(CustomerTag).where(
            CustomerTag.customer_id == customer.id, CustomerTag.tag_id == tag.id
        )
    )
    if removed.rowcount:
        emit(session, "customer.untagged", {"tag": tag.name}, customer_id=customer.id)
        add_entry(
            session,
            customer.id,
            "core.tag_removed",
            f"Untagged {tag.name}",
            data={"tag": tag.name},
            ref_type="Tag",
            ref_id=tag.id,
        )
    return customer, tag
