from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import many_per_key, one_per_key
from unicrm.core.segments.models import Segment, SegmentMember, SegmentTagRule
from unicrm.core.segments.services import visible_segments


async def _segments_by_id(
    session: AsyncSession, keys: list[Any], where: ColumnElement[bool] | None = None
) -> list[tuple[Any, Any]]:
    stmt = select(Segment).where(Segment.id.in_(keys))
    if where is not None:
        stmt = stmt.where(where)
    return [(r.id, r) for r in await session.scalars(stmt)]


async def _segments_by_customer(
    session: AsyncSession, keys: list[Any], where: ColumnElement[bool] | None = None
) -> list[tuple[Any, Any]]:
    """Each customer's segments (those the actor may see) in name order, in one statement."""
    stmt = (
        select(SegmentMember.customer_id, Segment)
        .join(Segment, Segment.id == SegmentMember.segment_id)
        .where(SegmentMember.customer_id.in_(keys))
        .order_by(Segment.name, Segment.id)
    )
    if where is not None:
        stmt = stmt.where(where)
    return [(customer_id, segment) for customer_id, segment in await session.execute(stmt)]


async def _rules_by_id(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.scalars(select(SegmentTagRule).where(SegmentTagRule.id.in_(keys)))
    return [(r.id, r) for r in rows]


async def _rules_by_segment(session: AsyncSession, keys: list[Any]) -> list[tuple[Any, Any]]:
    rows = await session.scalars(
        select(SegmentTagRule)
        .where(SegmentTagRule.segment_id.in_(keys))
        .order_by(SegmentTagRule.created_at, SegmentTagRule.id)
    )
    return [(r.segment_id, r) for r in rows]


LOADERS = {
    "core.segment_by_id": one_per_key(_segments_by_id, visible_segments),
    "core.segments_by_customer": many_per_key(_segments_by_customer, visible_segments),
    "core.segment_tag_rule_by_id": one_per_key(_rules_by_id),
    "core.segment_tag_rules_by_segment": many_per_key(_rules_by_segment),
}
