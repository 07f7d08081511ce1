"""Shared data builders and GraphQL documents of the segment tests."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.orders.models import OrderSource
from unicrm.core.graph.orders.services import LineData, OrderData, create_order
from unicrm.core.graph.products.services import Price, ProductData, create_product
from unicrm.core.segments.models import Segment, SegmentMember

PREVIEW = """
query($definition: SegmentFilterInput!, $sample: Int) {
  segmentPreview(definition: $definition, sample: $sample) {
    count sample { id displayName } errors { field code message }
  }
}
"""

CREATE = """
mutation($input: SegmentCreateInput!) {
  segmentCreate(input: $input) {
    segment { id name kind definition memberCount refreshedAt
              members(first: 50) { totalCount nodes { displayName } } }
    errors { field code message }
  }
}
"""


def gid(pk: uuid.UUID, type_name: str = "Customer") -> str:
    return to_global_id(type_name, pk)


async def person(state: Any, first_name: str, **fields: Any) -> uuid.UUID:
    async with state.db.transaction() as session:
        row = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name=first_name, **fields)
        )
    return row.id


async def company(state: Any, name: str) -> uuid.UUID:
    async with state.db.transaction() as session:
        row = await create_customer(
            session, CustomerData(kind=CustomerKind.COMPANY, company_name=name)
        )
    return row.id


async def product(
    state: Any, sku: str, category: str | None = None, price: str = "100"
) -> uuid.UUID:
    async with state.db.transaction() as session:
        row = await create_product(
            session,
            ProductData(
                sku=sku,
                name=sku.title(),
                category=category,
                price=Price(Decimal(price), "THB"),
                active=True,
                description=None,
            ),
        )
    return row.id


async def order(
    state: Any,
    customer_id: uuid.UUID,
    product_id: uuid.UUID,
    quantity: int = 1,
    *,
    store: str | None = None,
    placed_at: datetime | None = None,
) -> None:
    async with state.db.transaction() as session:
        await create_order(
            session,
            OrderData(
                customer_id=customer_id,
                source=OrderSource.POS,
                currency="THB",
                lines=[LineData(product_id, quantity)],
                store_code=store,
                placed_at=placed_at,
            ),
        )


async def preview(gql: Any, definition: dict[str, Any], sample: int = 50) -> dict[str, Any]:
    body = await gql(PREVIEW, {"definition": definition, "sample": sample})
    assert "errors" not in body, body
    return body["data"]["segmentPreview"]


async def matching(gql: Any, definition: dict[str, Any]) -> list[str]:
    """The display names a definition selects (sorted), checking count and sample agree."""
    result = await preview(gql, definition)
    assert result["errors"] == [], result["errors"]
    names = [c["displayName"] for c in result["sample"]]
    assert result["count"] == len(names)
    return sorted(names)


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"field": field, "op": op}
    if value is not None:
        out["value"] = value
    return out


async def create(gql: Any, **input: Any) -> dict[str, Any]:
    body = await gql(CREATE, {"input": input})
    assert "errors" not in body, body
    return body["data"]["segmentCreate"]


async def members_of(state: Any, segment_id: uuid.UUID) -> set[uuid.UUID]:
    async with state.db.session() as session:
        return set(
            await session.scalars(
                select(SegmentMember.customer_id).where(SegmentMember.segment_id == segment_id)
            )
        )


async def segment_count(state: Any) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Segment)) or 0)
