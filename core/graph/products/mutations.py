from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.products import models, services
from unicrm.core.graph.products.types import (
    Product,
    ProductCreateInput,
    ProductError,
    ProductErrorCode,
    ProductPayload,
    ProductUpdateInput,
    to_price,
)


def _given(value: object) -> object:
    return services.UNSET if value is strawberry.UNSET else value


def _payload(row: models.Product) -> dict:
    return {"product": Product.from_row(row)}


@strawberry.type
class ProductMutation:
    @strawberry.mutation(
        metadata=requires("core.product:write"),
        description="Add a product to the catalogue; the SKU must be unused.",
    )
    async def product_create(
        self, info: strawberry.Info, input: ProductCreateInput
    ) -> ProductPayload:
        currency = info.context.settings.currency

        async def work(session: AsyncSession) -> models.Product:
            data = services.ProductData(
                sku=input.sku,
                name=input.name,
                category=input.category,
                price=to_price(input.price, currency),
                active=input.active,
                description=input.description,
                warranty_months=input.warranty_months,
            )
            return await services.create_product(session, data)

        return await mutate(
            info,
            work,
            payload=ProductPayload,
            error_type=ProductError,
            codes=ProductErrorCode,
            result=_payload,
        )

    @strawberry.mutation(
        metadata=requires("core.product:write"),
        description="Change a product; omitted fields stay as they are.",
    )
    async def product_update(
        self, info: strawberry.Info, input: ProductUpdateInput
    ) -> ProductPayload:
        currency = info.context.settings.currency

        async def work(session: AsyncSession) -> models.Product:
            product_id = decode_id(input.id, "Product")
            price = input.price
            data = services.ProductData(
                sku=_given(input.sku),
                name=_given(input.name),
                category=_given(input.category),
                price=services.UNSET
                if price is strawberry.UNSET
                else (None if price is None else to_price(price, currency)),
                active=_given(input.active),
                description=_given(input.description),
                warranty_months=_given(input.warranty_months),
            )
            return await services.update_product(session, product_id, data)

        return await mutate(
            info,
            work,
            payload=ProductPayload,
            error_type=ProductError,
            codes=ProductErrorCode,
            result=_payload,
        )


MUTATION = ProductMutation
