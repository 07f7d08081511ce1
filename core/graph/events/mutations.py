from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.events import deliveries, models
from unicrm.core.graph.events.types import (
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


MUTATION = EventMutation
