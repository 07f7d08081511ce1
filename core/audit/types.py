from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from unicrm.core.audit import models
from unicrm.core.authz.declare import guard
from unicrm.core.graph.ids import to_global_id


@guard("core.audit")
@strawberry.type(
    name="AuditEntry",
    description="One audited action: who did what to which objects, when, from where.",
)
class AuditEntry:
    id: strawberry.ID
    at: datetime
    actor_kind: str = strawberry.field(description="user, api_key, system or anonymous.")
    actor_id: strawberry.ID | None = strawberry.field(description="The actor's global id.")
    actor_name: str
    department: str | None = strawberry.field(description="The department's slug.")
    action: str = strawberry.field(description="mutation, merge, auth.login, policy.changed, …")
    operation: str | None = strawberry.field(description="The GraphQL operation name sent.")
    field: str | None = strawberry.field(description="The mutation field, e.g. customerCreate.")
    targets: list[strawberry.ID] = strawberry.field(
        description="Global ids of the objects acted on."
    )
    client_address: str | None
    trace_id: str | None = strawberry.field(description="The OpenTelemetry trace id (32 hex).")
    outcome: str = strawberry.field(description='"ok", or the error codes, comma-separated.')
    details: JSON | None = strawberry.field(description="Codes and counts; never input values.")

    @classmethod
    def from_row(cls, row: models.AuditEntry) -> AuditEntry:
        return cls(
            id=strawberry.ID(to_global_id("AuditEntry", row.id)),
            at=row.at,
            actor_kind=row.actor_kind,
            actor_id=strawberry.ID(row.actor_id) if row.actor_id is not None else None,
            actor_name=row.actor_name,
            department=row.department,
            action=row.action,
            operation=row.operation,
            field=row.field,
            targets=[strawberry.ID(t) for t in row.targets],
            client_address=row.client_address,
            trace_id=row.trace_id,
            outcome=row.outcome,
            details=row.details,
        )


@strawberry.input(description="Audit entries matching every criterion given.")
class AuditLogFilter:
    actor_id: strawberry.ID | None = None
    action: str | None = None
    department: str | None = None
    target_id: strawberry.ID | None = strawberry.field(
        default=None, description="Entries that name this global id among their targets."
    )
    from_: datetime | None = strawberry.field(
        name="from", default=None, description="Entries at or after this time."
    )
    to: datetime | None = strawberry.field(default=None, description="Entries before this time.")
