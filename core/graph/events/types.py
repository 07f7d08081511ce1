from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from unicrm.core.authz.declare import guard
from unicrm.core.events import ingest_models, models
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import Node


@strawberry.enum(description="Where a delivery of an event (to a handler or webhook) stands.")
class DeliveryStatus(Enum):
    PENDING = "pending"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    DEAD = "dead"


def status_of(value: models.DeliveryStatus) -> DeliveryStatus:
    return DeliveryStatus(value.value)


def status_filter(value: DeliveryStatus | None) -> models.DeliveryStatus | None:
    return None if value is None else models.DeliveryStatus(value.value)


@guard("core.event")
@strawberry.type(
    name="EventDelivery",
    description="One domain event delivered to one handler, with its attempts and last error.",
)
class EventDelivery(Node):
    pk: strawberry.Private[uuid.UUID]
    event_id: str = strawberry.field(description="The event's id (the same in every delivery).")
    event_type: str
    handler: str = strawberry.field(description="The handler, as plugin:qualified.name.")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def from_row(cls, row: models.EventDelivery) -> EventDelivery:
        return cls(
            id=strawberry.ID(to_global_id("EventDelivery", row.id)),
            pk=row.id,
            event_id=str(row.event_id),
            event_type=row.event_type,
            handler=row.handler,
            status=status_of(row.status),
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_error=row.last_error,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> EventDelivery | None:
        return await load_one(info, "core.event_delivery_by_id", pk, cls.from_row)


@strawberry.input
class EventDeliveryFilterInput:
    status: DeliveryStatus | None = None
    handler: str | None = None
    event_type: str | None = None


@strawberry.enum
class EventDeliveryErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    NOT_FOUND = "not_found"
    ALREADY_DELIVERED = "already_delivered"


@strawberry.type
class EventDeliveryError:
    field: str | None
    code: EventDeliveryErrorCode
    message: str


@strawberry.input
class EventDeliveryRetryInput:
    id: strawberry.ID


@strawberry.type
class EventDeliveryPayload:
    errors: list[EventDeliveryError]
    delivery: EventDelivery | None = None


@guard("core.event")
@strawberry.type(
    name="CustomEventType",
    description="A type of custom event integrators may push to POST /events, with the JSON "
    "Schema its payloads must satisfy.",
)
class CustomEventType(Node):
    pk: strawberry.Private[uuid.UUID]
    name: str = strawberry.field(description="The event type, such as shop.cart_abandoned.")
    description: str | None
    json_schema: JSON = strawberry.field(
        name="schema", description="The payload's JSON Schema (draft 2020-12)."
    )
    version: int = strawberry.field(description="Grows by one each time the schema changes.")
    active: bool = strawberry.field(description="Whether events of this type are accepted.")
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: ingest_models.CustomEventType) -> CustomEventType:
        return cls(
            id=strawberry.ID(to_global_id("CustomEventType", row.id)),
            pk=row.id,
            name=row.name,
            description=row.description,
            json_schema=row.json_schema,
            version=row.version,
            active=row.active,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> CustomEventType | None:
        return await load_one(info, "core.custom_event_type_by_id", pk, cls.from_row)


@strawberry.enum
class CustomEventTypeErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    NOT_FOUND = "not_found"
    INVALID_NAME = "invalid_name"
    INVALID_SCHEMA = "invalid_schema"
    CLASH = "clash"
    TOO_LONG = "too_long"


@strawberry.type
class CustomEventTypeError:
    field: str | None
    code: CustomEventTypeErrorCode
    message: str


@strawberry.input
class CustomEventTypeCreateInput:
    name: str = strawberry.field(description="namespace.what_happened, outside core's namespaces.")
    json_schema: JSON = strawberry.field(name="schema")
    description: str | None = None


@strawberry.input
class CustomEventTypeUpdateInput:
    id: strawberry.ID
    json_schema: JSON | None = strawberry.field(
        name="schema", default=strawberry.UNSET, description="A new schema makes a new version."
    )
    description: str | None = strawberry.UNSET
    active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="true accepts events of the type again."
    )


@strawberry.input
class CustomEventTypeDeactivateInput:
    id: strawberry.ID


@strawberry.input
class CustomEventTypeFilterInput:
    active: bool | None = None


@strawberry.type
class CustomEventTypePayload:
    errors: list[CustomEventTypeError]
    event_type: CustomEventType | None = None
