"""Scalars and value types shared by every GraphQL module."""

from __future__ import annotations

from decimal import Decimal
from typing import NewType

import strawberry

from unicrm.core.authz.declare import guard

BigInt = NewType("BigInt", int)
"""A 64-bit integer (points, counters); annotate fields with it, never with plain ``int``."""


def _parse_bigint(value: object) -> int:
    number = int(str(value))
    if not -(2**63) <= number < 2**63:
        raise ValueError("BigInt out of 64-bit range")
    return number


SCALAR_MAP = {
    BigInt: strawberry.scalar(
        name="BigInt",
        serialize=str,
        parse_value=_parse_bigint,
        description="A 64-bit integer, sent as a string so no client loses precision.",
    )
}
"""Custom scalars of every UniCRM schema, given to ``StrawberryConfig(scalar_map=...)``."""


@guard("public")
@strawberry.type(description="An exact amount of money in a currency (ISO 4217).")
class Money:
    amount: Decimal
    currency: str


@strawberry.input(
    description="An exact amount of money; the currency defaults to the installation's."
)
class MoneyInput:
    amount: Decimal
    currency: str | None = None
