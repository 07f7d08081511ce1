"""Who owns a customer and which department it belongs to; fresh fields on every call."""

from __future__ import annotations

from typing import Any

import strawberry

from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.departments.types import Department
from unicrm.core.graph.plan import direct
from unicrm.core.graph.users.types import User


def FIELDS() -> dict[str, list[Any]]:
    @direct
    async def owner(root: Customer, info: strawberry.Info) -> User | None:
        if root.owner_pk is None:
            return None
        return await User.load_node(info, root.owner_pk)

    @direct
    async def department(root: Customer, info: strawberry.Info) -> Department | None:
        if root.department_pk is None:
            return None
        return await Department.load_node(info, root.department_pk)

    return {
        "Customer": [
            strawberry.field(resolver=owner, description="The user responsible for the customer."),
            strawberry.field(resolver=department, description="The department that owns it."),
        ]
    }
