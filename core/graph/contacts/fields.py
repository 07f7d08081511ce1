"""Contact fields on Customer. Fresh field objects on every call (see hookspecs)."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.contacts.types import (
    EMAIL,
    PHONE,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
)
from unicrm.core.graph.customers.types import Customer


async def _rows(info: strawberry.Info, loader: str, root: Customer) -> list[Any]:
    """The customer's rows of one kind, primary first, then oldest first."""
    return await info.context.loaders[loader].load(root.pk)


def _primary(rows: list[Any]) -> Any:
    return rows[0] if rows and rows[0].is_primary else None


def FIELDS() -> dict[str, list[Any]]:
    async def emails(root: Customer, info: strawberry.Info) -> list[CustomerEmail]:
        return [
            CustomerEmail.from_row(r) for r in await _rows(info, "core.emails_by_customer", root)
        ]

    async def primary_email(root: Customer, info: strawberry.Info) -> CustomerEmail | None:
        row = _primary(await _rows(info, "core.emails_by_customer", root))
        return None if row is None else CustomerEmail.from_row(row)

    async def phones(root: Customer, info: strawberry.Info) -> list[CustomerPhone]:
        return [
            CustomerPhone.from_row(r) for r in await _rows(info, "core.phones_by_customer", root)
        ]

    async def primary_phone(root: Customer, info: strawberry.Info) -> CustomerPhone | None:
        row = _primary(await _rows(info, "core.phones_by_customer", root))
        return None if row is None else CustomerPhone.from_row(row)

    async def email(root: Customer, info: strawberry.Info) -> str | None:
        row = _primary(await _rows(info, "core.emails_by_customer", root))
        return None if row is None else row.address

    async def phone(root: Customer, info: strawberry.Info) -> str | None:
        row = _primary(await _rows(info, "core.phones_by_customer", root))
        return None if row is None else row.number

    async def addresses(root: Customer, info: strawberry.Info) -> list[CustomerAddress]:
        rows = await _rows(info, "core.addresses_by_customer", root)
        return [CustomerAddress.from_row(r) for r in rows]

    return {
        "Customer": [
            strawberry.field(resolver=emails, description="Email addresses, primary first."),
            strawberry.field(resolver=primary_email, description="The primary email, if any."),
            strawberry.field(resolver=phones, description="Phone numbers, primary first."),
            strawberry.field(resolver=primary_phone, description="The primary phone, if any."),
            strawberry.field(
                resolver=email, metadata=EMAIL, description="The primary email address, if any."
            ),
            strawberry.field(
                resolver=phone, metadata=PHONE, description="The primary phone (E.164), if any."
            ),
            strawberry.field(resolver=addresses, description="Postal addresses, primary first."),
        ]
    }
