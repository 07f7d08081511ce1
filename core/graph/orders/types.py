from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.orders import models
from unicrm.core.graph.plan import direct, loads
from unicrm.core.graph.products.types import Product
from unicrm.core.graph.scalars import Money, MoneyInput


@strawberry.enum(description="Where an order came from.")
class OrderSource(Enum):
    POS = "pos"
    ECOMMERCE = "ecommerce"
    MANUAL = "manual"
    IMPORT = "import"


@strawberry.enum
class OrderStatus(Enum):
    PLACED = "placed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


@guard("core.order")
@strawberry.type(name="OrderLine", description="One product of an order, as it was sold.")
class OrderLine:
    product_pk: strawberry.Private[uuid.UUID]
    id: strawberry.ID
    sku: str = strawberry.field(description="The product's SKU when the order was placed.")
    name: str = strawberry.field(description="The product's name when the order was placed.")
    quantity: int
    unit_price: Money
    line_total: Money
    modifiers: list[str] = strawberry.field(description='Free-text changes: "no coriander".')

    @classmethod
    def from_row(cls, row: models.OrderLine, currency: str) -> OrderLine:
        return cls(
            product_pk=row.product_id,
            id=strawberry.ID(to_global_id("OrderLine", row.id)),
            sku=row.sku,
            name=row.name,
            quantity=row.quantity,
            unit_price=Money(amount=row.unit_price, currency=currency),
            line_total=Money(amount=row.line_total, currency=currency),
            modifiers=list(row.modifiers),
        )

    @strawberry.field(description="The product now (its SKU, name and price may have changed).")
    @direct
    async def product(self, info: strawberry.Info) -> Product | None:
        return await Product.load_node(info, self.product_pk)


@guard("core.order")
@strawberry.type(name="Order", description="An order or purchase of one customer.")
class Order(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    source: OrderSource
    external_id: str | None = strawberry.field(
        description="The id the source system gave the order; unique per source."
    )
    store_code: str | None = strawberry.field(description="The store or branch it was placed at.")
    placed_at: datetime
    status: OrderStatus
    total: Money
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Order) -> Order:
        return cls(
            id=strawberry.ID(to_global_id("Order", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            source=OrderSource(row.source.value),
            external_id=row.external_id,
            store_code=row.store_code,
            placed_at=row.placed_at,
            status=OrderStatus(row.status.value),
            total=Money(amount=row.total, currency=row.currency),
            created_at=row.created_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Order | None:
        row = await info.context.loaders["core.order_by_id"].load(pk)
        return None if row is None else cls.from_row(row)

    @strawberry.field
    @loads("core.customer_by_id", key="customer_pk", one=Customer.from_row)
    async def customer(self, info: strawberry.Info) -> Customer | None:
        """The customer who placed the order."""

    @strawberry.field(description="The lines in the order they were entered.")
    @direct
    async def lines(self, info: strawberry.Info) -> list[OrderLine]:
        rows = await info.context.loaders["core.lines_by_order"].load(self.pk)
        return [OrderLine.from_row(r, self.total.currency) for r in rows]


@strawberry.enum
class OrderErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    INACTIVE_PRODUCT = "inactive_product"
    CURRENCY_MISMATCH = "currency_mismatch"


@strawberry.type
class OrderError:
    field: str | None
    code: OrderErrorCode
    message: str


@strawberry.input
class OrderLineInput:
    product_id: strawberry.ID
    quantity: int
    unit_price: MoneyInput | None = strawberry.field(
        default=None, description="Defaults to the product's price."
    )
    modifiers: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class OrderCreateInput:
    customer_id: strawberry.ID
    source: OrderSource
    lines: list[OrderLineInput]
    external_id: str | None = strawberry.field(
        default=None,
        description="The source system's id; a second create with it returns the first order.",
    )
    store_code: str | None = None
    placed_at: datetime | None = strawberry.field(default=None, description="Defaults to now.")
    currency: str | None = strawberry.field(
        default=None, description="Defaults to the installation's currency."
    )


@strawberry.type
class OrderCreatePayload:
    errors: list[OrderError]
    created: bool = strawberry.field(
        default=False,
        description="False when the order already existed (same source and external id).",
    )
    order: Order | None = None
