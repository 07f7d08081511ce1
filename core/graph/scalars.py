"""Scalars and value types shared by every GraphQL module."""

from __future__ import annotations

from decimal import Decimal
from typing import NewType

import strawberry

BigInt = strawberry.scalar(
    NewType("BigInt", int),
    serialize=str,
    parse_value=int,
    description="A 64-bit integer, sent as a string so no client loses precision.",
)


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
