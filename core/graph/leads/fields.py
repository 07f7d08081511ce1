"""``Customer.lifecycleStage``, ``Customer.lifecycleHistory`` and ``Customer.lead``; fresh
field objects on every call, each batched by a loader (no N+1)."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.leads.types import Lead, LifecycleChange, LifecycleStage
from unicrm.core.graph.plan import loads


@loads("core.lifecycle_stage_by_customer", one=lambda stage: LifecycleStage(stage.value))
async def lifecycle_stage(root: Customer, info: strawberry.Info) -> LifecycleStage | None: ...


@loads("core.lifecycle_changes_by_customer", each=LifecycleChange.from_row)
async def lifecycle_history(root: Customer, info: strawberry.Info) -> list[LifecycleChange]: ...


@loads("core.open_lead_by_customer", one=Lead.from_row)
async def lead(root: Customer, info: strawberry.Info) -> Lead | None: ...


def FIELDS() -> dict[str, list[Any]]:
    return {
        "Customer": [
            strawberry.field(resolver=lifecycle_stage, description="Where the customer stands."),
            strawberry.field(
                resolver=lifecycle_history,
                description="Every move of the lifecycle stage, oldest first: who, when, why.",
            ),
            strawberry.field(
                resolver=lead, description="The customer's open lead, if any (and visible)."
            ),
        ]
    }
