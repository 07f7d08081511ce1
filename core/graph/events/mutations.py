from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.events import deliveries, ingest_types, models
from unicrm.core.events.ingest_models import CustomEventType as CustomEventTypeRow
from unicrm.core.graph.events.types import (
    CustomEventType,
    CustomEventTypeCreateInput,
    CustomEventTypeDeactivateInput,
    CustomEventTypeError,
    CustomEventTypeErrorCode,
    CustomEventTypePayload,
    CustomEventTypeUpdateInput,
    EventDelivery,
    EventDeliveryError,
    EventDeliveryErrorCode,
    EventDeliveryPayload,
    EventDeliveryRetryInput,
)
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate


@strawberry.type
class EventMutation:
    @strawberry.mutation(
        metadata=requires("core.event:write"),
        description="Retry a dead or waiting delivery now, with a fresh set of attempts.",
    )
    async def event_delivery_retry(
        self, info: strawberry.Info, input: EventDeliveryRetryInput
    ) -> EventDeliveryPayload:
        async def work(session: AsyncSession) -> models.EventDelivery:
            return await deliveries.retry_delivery(session, decode_id(input.id, "EventDelivery"))

        return await mutate(
            info,
            work,
            payload=EventDeliveryPayload,
            error_type=EventDeliveryError,
            codes=EventDeliveryErrorCode,
            result=lambda row: {"delivery": EventDelivery.from_row(row)},
        )

    @strawberry.mutation(
        metadata=requires("core.event:write"),
        description="Register a custom event type with the JSON Schema of its payload.",
    )
    async def custom_event_type_create(
        self, info: strawberry.Info, input: CustomEventTypeCreateInput
    ) -> CustomEventTypePayload:
        by = info.context.actor.name

        async def work(session: AsyncSession) -> CustomEventTypeRow:
            data = ingest_types.EventTypeData(
                name=input.name, json_schema=input.json_schema, description=input.description
            )
            return await ingest_types.create_type(session, data, by)

        return await _type_payload(info, work)

    @strawberry.mutation(
        metadata=requires("core.event:write"),
        description="Change a custom event type's schema (a new version), description or "
        "whether it is active; omitted fields stay, the name never changes.",
    )
    async def custom_event_type_update(
        self, info: strawberry.Info, input: CustomEventTypeUpdateInput
    ) -> CustomEventTypePayload:
        async def work(session: AsyncSession) -> CustomEventTypeRow:
            data = ingest_types.EventTypeData(
                json_schema=_given(input.json_schema),
                description=_given(input.description),
                active=_given(input.active),
            )
            type_id = decode_id(input.id, "CustomEventType")
            return await ingest_types.update_type(session, type_id, data)

        return await _type_payload(info, work)

    @strawberry.mutation(
        metadata=requires("core.event:write"),
        description="Stop accepting events of a custom type; events already pushed stay.",
    )
    async def custom_event_type_deactivate(
        self, info: strawberry.Info, input: CustomEventTypeDeactivateInput
    ) -> CustomEventTypePayload:
        async def work(session: AsyncSession) -> CustomEventTypeRow:
            type_id = decode_id(input.id, "CustomEventType")
            return await ingest_types.deactivate_type(session, type_id)

        return await _type_payload(info, work)


def _given(value: object) -> object:
    return ingest_types.UNSET if value is strawberry.UNSET else value


async def _type_payload(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[CustomEventTypeRow]]
) -> CustomEventTypePayload:
    return await mutate(
        info,
        work,
        payload=CustomEventTypePayload,
        error_type=CustomEventTypeError,
        codes=CustomEventTypeErrorCode,
        result=lambda row: {"event_type": CustomEventType.from_row(row)},
    )


MUTATION = EventMutation
