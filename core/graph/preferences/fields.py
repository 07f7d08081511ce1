"""``Customer.preferences``, ``favouriteProducts`` and ``frequentModifiers``; fresh field
objects on every call. The derived lists take one statement for a whole page of customers."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.errors import BadRequest
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import direct
from unicrm.core.graph.preferences.types import (
    CustomerPreferences,
    FavouriteProduct,
    FrequentModifier,
)


@direct
async def preferences(root: Customer, info: strawberry.Info) -> CustomerPreferences | None:
    row = await info.context.loaders["core.preference_by_customer"].load(root.pk)
    return CustomerPreferences.from_row(root.pk, row)


def _limit(info: strawberry.Info, first: int) -> int:
    most = info.context.limits.max_page_size
    if not 0 <= first <= most:
        raise BadRequest(f"first must be between 0 and {most}")
    return first


@direct
async def favourite_products(
    root: Customer, info: strawberry.Info, first: int = 5
) -> list[FavouriteProduct] | None:
    key = (root.pk, _limit(info, first))
    rows = await info.context.loaders["core.favourites_by_customer"].load(key)
    return [FavouriteProduct.from_row(r) for r in rows]


@direct
async def frequent_modifiers(
    root: Customer, info: strawberry.Info, first: int = 5
) -> list[FrequentModifier] | None:
    key = (root.pk, _limit(info, first))
    rows = await info.context.loaders["core.modifiers_by_customer"].load(key)
    return [FrequentModifier.from_row(r) for r in rows]


def FIELDS() -> dict[str, list[Any]]:
    return {
        "Customer": [
            strawberry.field(resolver=preferences, description="Preferences and restrictions."),
            strawberry.field(
                resolver=favourite_products,
                description="The products the customer buys most (items, then orders, then "
                "most recent), from placed orders.",
            ),
            strawberry.field(
                resolver=frequent_modifiers,
                description='The order-line modifiers the customer asks for most ("no coriander").',
            ),
        ]
    }
