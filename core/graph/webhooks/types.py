from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.events.types import DeliveryStatus, status_of
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import direct
from unicrm.core.webhooks import models


@guard("core.webhook")
@strawberry.type(
    name="WebhookEndpoint",
    description="A URL that receives signed POSTs of the events it subscribes to. Its signing "
    "secret is shown only once, by webhookEndpointCreate.",
)
class WebhookEndpoint(Node):
    pk: strawberry.Private[uuid.UUID]
    url: str
    event_types: list[str] = strawberry.field(
        description="Event types or patterns: customer.created, customer.* or *."
    )
    description: str | None
    active: bool
    failure_count: int = strawberry.field(description="Failed attempts in a row.")
    disabled_reason: str | None = strawberry.field(
        description="Why UniCRM disabled the endpoint, when it did."
    )
    disabled_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.WebhookEndpoint) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(to_global_id("WebhookEndpoint", row.id)),
            pk=row.id,
            url=row.url,
            event_types=list(row.event_types),
            description=row.description,
            active=row.active,
            failure_count=row.failure_count,
            disabled_reason=row.disabled_reason,
            disabled_at=row.disabled_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> WebhookEndpoint | None:
        return await load_one(info, "core.webhook_endpoint_by_id", pk, cls.from_row)


@guard("core.webhook")
@strawberry.type(name="WebhookAttempt", description="One HTTP attempt of a webhook delivery.")
class WebhookAttempt:
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    response_snippet: str | None = strawberry.field(
        description="The first kilobyte of the response body."
    )
    error: str | None

    @classmethod
    def from_row(cls, row: models.WebhookAttempt) -> WebhookAttempt:
        return cls(
            attempted_at=row.attempted_at,
            status_code=row.status_code,
            latency_ms=row.latency_ms,
            response_snippet=row.response_snippet,
            error=row.error,
        )


@guard("core.webhook")
@strawberry.type(name="WebhookDelivery", description="One event sent to one webhook endpoint.")
class WebhookDelivery(Node):
    pk: strawberry.Private[uuid.UUID]
    endpoint_pk: strawberry.Private[uuid.UUID]
    replay_of_pk: strawberry.Private[uuid.UUID | None]
    event_id: str = strawberry.field(description="The event's id, as in the body sent.")
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @strawberry.field(description="The endpoint the delivery goes to.")
    @direct
    async def endpoint(self, info: strawberry.Info) -> WebhookEndpoint | None:
        return await WebhookEndpoint.load_node(info, self.endpoint_pk)

    @strawberry.field(description="The delivery this one replays, if it is a replay.")
    @direct
    def replay_of(self) -> strawberry.ID | None:
        if self.replay_of_pk is None:
            return None
        return strawberry.ID(to_global_id("WebhookDelivery", self.replay_of_pk))

    @strawberry.field(description="Every attempt, oldest first.")
    @direct
    async def log(self, info: strawberry.Info) -> list[WebhookAttempt]:
        rows = await info.context.loaders["core.webhook_attempts_by_delivery"].load(self.pk)
        return [WebhookAttempt.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: models.WebhookDelivery) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(to_global_id("WebhookDelivery", row.id)),
            pk=row.id,
            endpoint_pk=row.endpoint_id,
            replay_of_pk=row.replay_of_id,
            event_id=str(row.event_id),
            event_type=row.event_type,
            status=status_of(row.status),
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> WebhookDelivery | None:
        return await load_one(info, "core.webhook_delivery_by_id", pk, cls.from_row)


@strawberry.input
class WebhookDeliveryFilterInput:
    endpoint_id: strawberry.ID | None = None
    status: DeliveryStatus | None = None
    event_type: str | None = None


@strawberry.enum
class WebhookErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    INVALID_URL = "invalid_url"
    UNRESOLVABLE = "unresolvable"
    PRIVATE_TARGET = "private_target"
    ENDPOINT_DISABLED = "endpoint_disabled"


@strawberry.type
class WebhookError:
    field: str | None
    code: WebhookErrorCode
    message: str


@strawberry.input
class WebhookEndpointCreateInput:
    url: str
    event_types: list[str]
    description: str | None = None
    active: bool = True


@strawberry.input
class WebhookEndpointUpdateInput:
    id: strawberry.ID
    url: str | None = strawberry.UNSET
    event_types: list[str] | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


@strawberry.input
class WebhookEndpointDeleteInput:
    id: strawberry.ID


@strawberry.input
class WebhookDeliveryReplayInput:
    id: strawberry.ID


@strawberry.type
class WebhookEndpointCreatePayload:
    errors: list[WebhookError]
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret; shown here once and never again.",
    )


@strawberry.type
class WebhookEndpointPayload:
    errors: list[WebhookError]
    endpoint: WebhookEndpoint | None = None


@strawberry.type
class WebhookEndpointDeletePayload:
    errors: list[WebhookError]
    deleted_id: strawberry.ID | None = None


@strawberry.type
class WebhookDeliveryPayload:
    errors: list[WebhookError]
    delivery: WebhookDelivery | None = None
