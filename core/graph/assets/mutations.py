from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.assets import models, services
from unicrm.core.graph.assets.types import (
    Asset,
    AssetError,
    AssetErrorCode,
    AssetPayload,
    AssetRegisterInput,
    AssetsFromOrderInput,
    AssetsFromOrderPayload,
    AssetUpdateInput,
)
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate


def _given(value: object) -> object:
    return services.UNSET if value is strawberry.UNSET else value


async def _asset_payload(
    info: strawberry.Info, work: Callable[[AsyncSession], Awaitable[models.Asset]]
) -> AssetPayload:
    return await mutate(
        info,
        work,
        payload=AssetPayload,
        error_type=AssetError,
        codes=AssetErrorCode,
        result=lambda row: {"asset": Asset.from_row(row)},
    )


@strawberry.type
class AssetMutation:
    @strawberry.mutation(
        metadata=requires("core.asset:write"),
        description="Register an item a customer owns. A serial number already registered for "
        "the product is a DUPLICATE error.",
    )
    async def asset_register(
        self, info: strawberry.Info, input: AssetRegisterInput
    ) -> AssetPayload:
        settings = info.context.settings

        async def work(session: AsyncSession) -> models.Asset:
            today = settings.business_date()
            data = services.AssetData(
                customer_id=decode_id(input.customer_id, "Customer", "customer_id"),
                product_id=decode_id(input.product_id, "Product", "product_id"),
                serial_number=input.serial_number,
                purchase_date=input.purchase_date or today,
                warranty_end=input.warranty_end,
                location=input.location,
                notes=input.notes,
            )
            return await services.register_asset(session, data, today)

        return await _asset_payload(info, work)

    @strawberry.mutation(
        metadata=requires("core.asset:write"),
        description="Register the items of an order's lines, one asset per serial number, "
        "owned by the buyer. A line gets at most as many assets as its quantity.",
    )
    async def assets_from_order(
        self, info: strawberry.Info, input: AssetsFromOrderInput
    ) -> AssetsFromOrderPayload:
        zone = info.context.settings.zone

        async def work(session: AsyncSession) -> list[models.Asset]:
            items = [
                services.LineSerials(
                    order_line_id=decode_id(
                        line.order_line_id, "OrderLine", f"lines.{i}.order_line_id"
                    ),
                    serial_numbers=tuple(line.serial_numbers),
                )
                for i, line in enumerate(input.lines)
            ]
            order_id = decode_id(input.order_id, "Order", "order_id")
            return await services.assets_from_order(session, order_id, items, zone)

        return await mutate(
            info,
            work,
            payload=AssetsFromOrderPayload,
            error_type=AssetError,
            codes=AssetErrorCode,
            result=lambda rows: {"assets": [Asset.from_row(r) for r in rows]},
        )

    @strawberry.mutation(
        metadata=requires("core.asset:write"),
        description="Change an asset's status, warranty end, location or notes.",
    )
    async def asset_update(self, info: strawberry.Info, input: AssetUpdateInput) -> AssetPayload:
        async def work(session: AsyncSession) -> models.Asset:
            change = services.AssetChange(
                status=_given(input.status),
                warranty_end=_given(input.warranty_end),
                location=_given(input.location),
                notes=_given(input.notes),
            )
            return await services.update_asset(session, decode_id(input.id, "Asset"), change)

        return await _asset_payload(info, work)


MUTATION = AssetMutation
