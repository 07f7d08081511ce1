"""``Customer.attributes``; fresh field objects on every call."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.attributes.types import AttributeType, CustomerAttribute
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.plan import direct


@direct
async def attributes(root: Customer, info: strawberry.Info) -> list[CustomerAttribute]:
    """Declared attributes the customer has a value for, by key (two batched loads)."""
    loaders = info.context.loaders
    row = await loaders["core.customer_by_id"].load(root.pk)
    values = dict(row.attributes or {}) if row is not None else {}
    keys = sorted(values)
    definitions = await loaders["core.attribute_definition_by_key"].load_many(keys)
    return [
        CustomerAttribute(
            key=d.key, label=d.label, type=AttributeType(d.type.value), value=values[d.key]
        )
        for d in definitions
        if d is not None
    ]


def FIELDS() -> dict[str, list[Any]]:
    return {
        "Customer": [
            strawberry.field(
                resolver=attributes,
                description="Custom attribute values, by key.",
                metadata={"pii": "profile"},
            )
        ]
    }
