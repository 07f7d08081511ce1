from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from unicrm.core.authz.declare import PUBLIC, guard
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.notifications import models


@strawberry.enum(description="What a notification is about.")
class NotificationKind(Enum):
    ASSIGNMENT = "assignment"
    HANDOFF = "handoff"
    SLA_WARNING = "sla_warning"
    MENTION = "mention"
    REMINDER = "reminder"


@guard(PUBLIC)
@strawberry.type(
    name="Notification",
    description="A message in the caller's inbox; nobody else ever sees it.",
)
class Notification(Node):
    pk: strawberry.Private[uuid.UUID]
    kind: NotificationKind
    title: str
    body: str | None
    subject: strawberry.ID | None = strawberry.field(
        description="The global id of what it is about (a Lead, a Customer...)."
    )
    created_at: datetime
    read_at: datetime | None
    is_read: bool

    @classmethod
    def from_row(cls, row: models.Notification) -> Notification:
        return cls(
            id=strawberry.ID(to_global_id("Notification", row.id)),
            pk=row.id,
            kind=NotificationKind(row.kind.value),
            title=row.title,
            body=row.body,
            subject=None if row.subject is None else strawberry.ID(row.subject),
            created_at=row.created_at,
            read_at=row.read_at,
            is_read=row.read_at is not None,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Notification | None:
        row = await info.context.loaders["core.notification_by_id"].load(pk)
        return None if row is None else cls.from_row(row)


@strawberry.enum
class NotificationErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    UNAUTHENTICATED = "unauthenticated"


@strawberry.type
class NotificationError:
    field: str | None
    code: NotificationErrorCode
    message: str


@strawberry.input
class NotificationsMarkReadInput:
    ids: list[strawberry.ID]


@strawberry.type
class NotificationsMarkReadPayload:
    errors: list[NotificationError]
    notifications: list[Notification] = strawberry.field(default_factory=list)
    unread_count: int = strawberry.field(
        default=0, description="The caller's unread notifications after the change."
    )
