from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.products import models
from unicrm.core.graph.products.services import Price
from unicrm.core.graph.scalars import Money, MoneyInput


@guard("core.product")
@strawberry.type(name="Product", description="A product or service in the catalogue.")
class Product(Node):
    pk: strawberry.Private[uuid.UUID]
    sku: str
    name: str
    category: str | None = strawberry.field(
        description="A slash-separated category path such as food/noodles."
    )
    price: Money
    active: bool
    description: str | None
    warranty_months: int | None = strawberry.field(
        description="The warranty of an asset of this product, from its purchase date."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Product) -> Product:
        return cls(
            id=strawberry.ID(to_global_id("Product", row.id)),
            pk=row.id,
            sku=row.sku,
            name=row.name,
            category=row.category,
            price=Money(amount=row.price, currency=row.currency),
            active=row.active,
            description=row.description,
            warranty_months=row.warranty_months,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Product | None:
        row = await info.context.loaders["core.product_by_id"].load(pk)
        return None if row is None else cls.from_row(row)


@strawberry.input
class ProductFilterInput:
    category: str | None = strawberry.field(
        default=None, description="A category path; matches it and every category under it."
    )
    active: bool | None = None
    search: str | None = strawberry.field(
        default=None, description="A substring of the SKU or the name."
    )


@strawberry.enum
class ProductErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"


@strawberry.type
class ProductError:
    field: str | None
    code: ProductErrorCode
    message: str


@strawberry.input
class ProductCreateInput:
    sku: str
    name: str
    price: MoneyInput
    category: str | None = None
    active: bool = True
    description: str | None = None
    warranty_months: int | None = None


@strawberry.input
class ProductUpdateInput:
    id: strawberry.ID
    sku: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    price: MoneyInput | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    warranty_months: int | None = strawberry.UNSET


@strawberry.type
class ProductPayload:
    errors: list[ProductError]
    product: Product | None = None


def to_price(value: MoneyInput, default_currency: str) -> Price:
    """A ``MoneyInput`` as a service ``Price``; a missing currency is the installation's."""
    return Price(amount=value.amount, currency=(value.currency or default_currency).strip().upper())
