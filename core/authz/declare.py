"""How core and plugin code declares what reading or calling something requires.

Object types name the permission that guards them; root fields and mutations name the
``permission:action`` they need. The schema layer turns these declarations into one
requirement per schema coordinate when a schema is composed, and a startup check refuses a
root field without a declaration (deny by default).

    @guard("sfa.deal")
    @strawberry.type(name="Deal")
    class Deal: ...

    @strawberry.field(description="...", metadata=requires("sfa.deal:read"))
    async def deals(...): ...

    @strawberry.mutation(description="...", metadata=requires("sfa.deal:write"))
    async def deal_create(...): ...

    @strawberry.mutation(description="...", metadata=public())
    async def login(...): ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T", bound=type)

TYPE_ATTRIBUTE = "__unicrm_permission__"
METADATA_KEY = "permission"
PUBLIC = "public"


def guard(permission: str) -> Callable[[T], T]:
    """Mark an object type as guarded by ``permission``: reading any of its fields, or a
    field returning it, needs ``permission:read``."""

    def mark(cls: T) -> T:
        setattr(cls, TYPE_ATTRIBUTE, permission)
        return cls

    return mark


def requires(permission_action: str, **metadata: Any) -> dict[str, Any]:
    """Field metadata for a root field or mutation that needs ``permission:action``."""
    return {METADATA_KEY: permission_action, **metadata}


def public(**metadata: Any) -> dict[str, Any]:
    """Field metadata for a root field anyone may call (``login``, ``viewer``)."""
    return {METADATA_KEY: PUBLIC, **metadata}


def type_permission(cls: Any) -> str | None:
    return getattr(cls, TYPE_ATTRIBUTE, None)
