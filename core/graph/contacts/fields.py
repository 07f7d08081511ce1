"""Contact fields on Customer. Fresh field objects on every call (see hookspecs)."""

from __future__ import annotations

from collections.abc import Callable
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
from unicrm.core.graph.plan import loads

EMAILS = "core.emails_by_customer"
PHONES = "core.phones_by_customer"


def _primary(rows: list[Any]) -> Any:
    return rows[0] if rows and rows[0].is_primary else None


def _primary_as(build: Callable[[Any], Any]) -> Callable[[list[Any]], Any]:
    def pick(rows: list[Any]) -> Any:
        row = _primary(rows)
        return None if row is None else build(row)

    return pick


def FIELDS() -> dict[str, list[Any]]:
    """Each field is the load of the customer's rows of one kind (primary first, then oldest
    first), mapped to its type."""

    @loads(EMAILS, each=CustomerEmail.from_row)
    async def emails(root: Customer, info: strawberry.Info) -> list[CustomerEmail]: ...

    @loads(EMAILS, build=_primary_as(CustomerEmail.from_row))
    async def primary_email(root: Customer, info: strawberry.Info) -> CustomerEmail | None: ...

    @loads(PHONES, each=CustomerPhone.from_row)
    async def phones(root: Customer, info: strawberry.Info) -> list[CustomerPhone]: ...

    @loads(PHONES, build=_primary_as(CustomerPhone.from_row))
    async def primary_phone(root: Customer, info: strawberry.Info) -> CustomerPhone | None: ...

    @loads(EMAILS, build=_primary_as(lambda row: row.address))
    async def email(root: Customer, info: strawberry.Info) -> str | None: ...

    @loads(PHONES, build=_primary_as(lambda row: row.number))
    async def phone(root: Customer, info: strawberry.Info) -> str | None: ...

    @loads("core.addresses_by_customer", each=CustomerAddress.from_row)
    async def addresses(root: Customer, info: strawberry.Info) -> list[CustomerAddress]: ...

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
