"""``Customer.contracts``; fresh field objects on every call."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.contracts.types import Contract, ContractStatus
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import direct


@direct
async def contracts(
    root: Customer, info: strawberry.Info, status: list[ContractStatus] | None = None
) -> list[Contract] | None:
    key = (root.pk, tuple(sorted(set(status or ()))))
    rows = await info.context.loaders["core.contracts_by_customer"].load(key)
    return [Contract.from_row(r) for r in rows]


def FIELDS() -> dict[str, list[Any]]:
    return {
        "Customer": [
            strawberry.field(
                resolver=contracts,
                description="Contracts, subscriptions and plans, latest start first (renewed "
                "periods included); `status` keeps those in it.",
            )
        ]
    }
