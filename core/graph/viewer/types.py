from __future__ import annotations

import strawberry

from unicrm.core.authz.declare import PUBLIC, guard
from unicrm.core.graph.plan import direct
from unicrm.core.graph.viewer.services import capabilities


@guard(PUBLIC)
@strawberry.type(description="Whether the caller may read a field or hold a permission.")
class Capability:
    name: str = strawberry.field(description="The coordinate or permission:action asked.")
    allowed: bool
    masked: bool = strawberry.field(description="Readable, but only in masked form.")


@guard(PUBLIC)
@strawberry.type(description="The caller: who they are, where, and what they may do.")
class Viewer:
    id: strawberry.ID | None = strawberry.field(description="The user's id; null for others.")
    kind: str = strawberry.field(description="user, api_key, anonymous or system.")
    display_name: str
    email: str | None
    department: str = strawberry.field(description="The department of this request.")
    departments: list[str] = strawberry.field(description="Departments the user belongs to.")
    roles: list[str] = strawberry.field(description="Roles held in this department.")

    @strawberry.field(
        description="Decide coordinates (Customer.email) and permissions (sfa.deal:write) "
        "for the caller, so a frontend can show only what works."
    )
    @direct
    def can(
        self,
        info: strawberry.Info,
        coordinates: list[str] | None = None,
        permissions: list[str] | None = None,
    ) -> list[Capability]:
        return [
            Capability(name=c.name, allowed=c.allowed, masked=c.masked)
            for c in capabilities(
                info.context.access,
                info.schema.requirements,
                coordinates or [],
                permissions or [],
            )
        ]
