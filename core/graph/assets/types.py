from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.assets import models
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import Node
from unicrm.core.graph.orders.types import Order
from unicrm.core.graph.plan import direct
from unicrm.core.graph.products.types import Product

AssetStatus = strawberry.enum(models.AssetStatus, description="Where an asset stands.")


@guard("core.asset")
@strawberry.type(description="A product a customer owns: one item, with its serial and warranty.")
class Asset(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID | None]
    product_pk: strawberry.Private[uuid.UUID]
    order_pk: strawberry.Private[uuid.UUID | None]
    order_line_pk: strawberry.Private[uuid.UUID | None]
    serial_number: str | None = strawberry.field(
        description="Unique per product; stored without spaces, in upper case."
    )
    purchase_date: date
    warranty_end: date | None = strawberry.field(
        description="The last day under warranty; null when the product has none."
    )
    status: AssetStatus
    location: str | None = strawberry.field(
        metadata={"pii": "contact"}, description="Where the item is installed or kept."
    )
    notes: str | None = strawberry.field(metadata={"pii": "profile"})
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Asset) -> Asset:
        return cls(
            id=strawberry.ID(to_global_id("Asset", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            product_pk=row.product_id,
            order_pk=row.order_id,
            order_line_pk=row.order_line_id,
            serial_number=row.serial_number,
            purchase_date=row.purchase_date,
            warranty_end=row.warranty_end,
            status=row.status,
            location=row.location,
            notes=row.notes,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Asset | None:
        return await load_one(info, "core.asset_by_id", pk, cls.from_row)

    @strawberry.field(description="The owner; null once the owner was erased.")
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return (
            None if self.customer_pk is None else await Customer.load_node(info, self.customer_pk)
        )

    @strawberry.field
    @direct
    async def product(self, info: strawberry.Info) -> Product | None:
        return await Product.load_node(info, self.product_pk)

    @strawberry.field(description="The order it was bought in, when registered from one.")
    @direct
    async def order(self, info: strawberry.Info) -> Order | None:
        return None if self.order_pk is None else await Order.load_node(info, self.order_pk)

    @strawberry.field(description="The id of the order line it was registered from.")
    @direct
    def order_line_id(self) -> strawberry.ID | None:
        if self.order_line_pk is None:
            return None
        return strawberry.ID(to_global_id("OrderLine", self.order_line_pk))


@strawberry.enum(description="Why an asset mutation failed.")
class AssetErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"
    QUANTITY_EXCEEDED = "quantity_exceeded"


@strawberry.type
class AssetError:
    field: str | None
    code: AssetErrorCode
    message: str


@strawberry.input
class AssetRegisterInput:
    customer_id: strawberry.ID
    product_id: strawberry.ID
    serial_number: str | None = None
    purchase_date: date | None = strawberry.field(
        default=None, description="Defaults to today in the business time zone."
    )
    warranty_end: date | None = strawberry.field(
        default=None, description="Defaults to the purchase date plus the product's warranty."
    )
    location: str | None = None
    notes: str | None = None


@strawberry.input(description="Serial numbers of the items of one order line.")
class AssetOrderLineInput:
    order_line_id: strawberry.ID
    serial_numbers: list[str]


@strawberry.input
class AssetsFromOrderInput:
    order_id: strawberry.ID
    lines: list[AssetOrderLineInput]


@strawberry.input(description="Omitted fields stay as they are; null clears an optional one.")
class AssetUpdateInput:
    id: strawberry.ID
    status: AssetStatus | None = strawberry.UNSET
    warranty_end: date | None = strawberry.UNSET
    location: str | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET


@strawberry.input
class AssetFilterInput:
    customer_id: strawberry.ID | None = None
    product_id: strawberry.ID | None = None
    status: list[AssetStatus] | None = None
    serial_number: str | None = None
    warranty_ending_before: date | None = strawberry.field(
        default=None,
        description="Assets whose warranty ends on or before this day, soonest first.",
    )


@strawberry.type
class AssetPayload:
    errors: list[AssetError]
    asset: Asset | None = None


@strawberry.type
class AssetsFromOrderPayload:
    errors: list[AssetError]
    assets: list[Asset] = strawberry.field(default_factory=list)
