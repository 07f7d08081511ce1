from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.ids import decode_id, to_global_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.webhooks.types import (
    WebhookDelivery,
    WebhookDeliveryPayload,
    WebhookDeliveryReplayInput,
    WebhookEndpoint,
    WebhookEndpointCreateInput,
    WebhookEndpointCreatePayload,
    WebhookEndpointDeleteInput,
    WebhookEndpointDeletePayload,
    WebhookEndpointPayload,
    WebhookEndpointUpdateInput,
    WebhookError,
    WebhookErrorCode,
)
from unicrm.core.webhooks import models, services


def _given(value: object) -> object:
    return services.UNSET if value is strawberry.UNSET else value


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        metadata=requires("core.webhook:write"),
        description="Register a webhook endpoint; the payload carries its signing secret, "
        "shown this once.",
    )
    async def webhook_endpoint_create(
        self, info: strawberry.Info, input: WebhookEndpointCreateInput
    ) -> WebhookEndpointCreatePayload:
        settings = info.context.settings

        async def work(session: AsyncSession) -> services.CreatedEndpoint:
            data = services.EndpointData(
                url=input.url,
                event_types=input.event_types,
                description=input.description,
                active=input.active,
            )
            return await services.create_endpoint(session, data, settings)

        return await mutate(
            info,
            work,
            payload=WebhookEndpointCreatePayload,
            error_type=WebhookError,
            codes=WebhookErrorCode,
            result=lambda made: {
                "endpoint": WebhookEndpoint.from_row(made.endpoint),
                "secret": made.secret,
            },
        )

    @strawberry.mutation(
        metadata=requires("core.webhook:write"),
        description="Change a webhook endpoint; omitted fields stay. Activating a disabled "
        "endpoint clears its failure count.",
    )
    async def webhook_endpoint_update(
        self, info: strawberry.Info, input: WebhookEndpointUpdateInput
    ) -> WebhookEndpointPayload:
        settings = info.context.settings

        async def work(session: AsyncSession) -> models.WebhookEndpoint:
            data = services.EndpointData(
                url=_given(input.url),
                event_types=_given(input.event_types),
                description=_given(input.description),
                active=_given(input.active),
            )
            endpoint_id = decode_id(input.id, "WebhookEndpoint")
            return await services.update_endpoint(session, endpoint_id, data, settings)

        return await mutate(
            info,
            work,
            payload=WebhookEndpointPayload,
            error_type=WebhookError,
            codes=WebhookErrorCode,
            result=lambda row: {"endpoint": WebhookEndpoint.from_row(row)},
        )

    @strawberry.mutation(
        metadata=requires("core.webhook:delete"),
        description="Delete a webhook endpoint and its delivery log.",
    )
    async def webhook_endpoint_delete(
        self, info: strawberry.Info, input: WebhookEndpointDeleteInput
    ) -> WebhookEndpointDeletePayload:
        async def work(session: AsyncSession) -> uuid.UUID:
            return await services.delete_endpoint(session, decode_id(input.id, "WebhookEndpoint"))

        return await mutate(
            info,
            work,
            payload=WebhookEndpointDeletePayload,
            error_type=WebhookError,
            codes=WebhookErrorCode,
            result=lambda pk: {"deleted_id": strawberry.ID(to_global_id("WebhookEndpoint", pk))},
        )

    @strawberry.mutation(
        metadata=requires("core.webhook:write"),
        description="Send a delivery's event to its endpoint again, as a new delivery.",
    )
    async def webhook_delivery_replay(
        self, info: strawberry.Info, input: WebhookDeliveryReplayInput
    ) -> WebhookDeliveryPayload:
        async def work(session: AsyncSession) -> models.WebhookDelivery:
            return await services.replay_delivery(session, decode_id(input.id, "WebhookDelivery"))

        return await mutate(
            info,
            work,
            payload=WebhookDeliveryPayload,
            error_type=WebhookError,
            codes=WebhookErrorCode,
            result=lambda row: {"delivery": WebhookDelivery.from_row(row)},
        )


MUTATION = WebhookMutation
