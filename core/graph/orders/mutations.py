from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.orders import models, services
from unicrm.core.graph.orders.types import (
    Order,
    OrderCreateInput,
    OrderCreatePayload,
    OrderError,
    OrderErrorCode,
)
from unicrm.core.graph.products.types import to_price


def _payload(outcome: tuple[models.Order, bool]) -> dict:
    order, created = outcome
    return {"order": Order.from_row(order), "created": created}


@strawberry.type
class OrderMutation:
    @strawberry.mutation(
        metadata=requires("core.order:write"),
        description="Record an order. With an external id it is idempotent per source: "
        "a repeat returns the first order with created false and writes nothing.",
    )
    async def order_create(
        self, info: strawberry.Info, input: OrderCreateInput
    ) -> OrderCreatePayload:
        currency = (input.currency or info.context.settings.currency).strip().upper()

        async def work(session: AsyncSession) -> tuple[models.Order, bool]:
            lines = [
                services.LineData(
                    product_id=decode_id(line.product_id, "Product", f"lines.{i}.product_id"),
                    quantity=line.quantity,
                    unit_price=None
                    if line.unit_price is None
                    else to_price(line.unit_price, currency),
                    modifiers=tuple(line.modifiers),
                )
                for i, line in enumerate(input.lines)
            ]
            data = services.OrderData(
                customer_id=decode_id(input.customer_id, "Customer", "customer_id"),
                source=models.OrderSource(input.source.value),
                currency=currency,
                lines=lines,
                external_id=input.external_id,
                store_code=input.store_code,
                placed_at=input.placed_at,
            )
            return await services.create_order(session, data)

        return await mutate(
            info,
            work,
            payload=OrderCreatePayload,
            error_type=OrderError,
            codes=OrderErrorCode,
            result=_payload,
        )


MUTATION = OrderMutation
