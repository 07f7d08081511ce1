"""Segment filters on loyalty memberships: audiences like "Gold members with 500+ points"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, select

from unicrm.core.segments.filters import (
    CUSTOMER_ID,
    EQUALITY_OPS,
    ORDER_OPS,
    PRESENCE_OPS,
    Op,
    SegmentFilter,
    ValueType,
    compare,
)
from unicrm.plugins.loyalty.models import Member, MemberStatus


def _membership(column: Any) -> Any:
    """``compile`` of a member column: some membership of the customer matches; IS_NOT_SET:
    the customer is in no programme."""

    def compile_(op: Op, value: Any) -> ColumnElement[bool]:
        member = exists().where(Member.customer_id == CUSTOMER_ID)
        if op is Op.IS_NOT_SET:
            return ~member
        if op is Op.IS_SET:
            return member
        return exists(
            select(Member.id).where(Member.customer_id == CUSTOMER_ID, compare(column, op, value))
        )

    return compile_


FILTERS = (
    SegmentFilter(
        "loyalty.tier",
        "Loyalty tier",
        ValueType.STRING,
        (*EQUALITY_OPS, *PRESENCE_OPS),
        _membership(Member.tier),
        description="The tier code of a membership (silver, gold...); IS_NOT_SET: no member.",
        permission="loyalty.member",
    ),
    SegmentFilter(
        "loyalty.points_balance",
        "Points balance",
        ValueType.INTEGER,
        ORDER_OPS,
        _membership(Member.points_balance),
        description="The points balance of a membership.",
        permission="loyalty.member",
    ),
    SegmentFilter(
        "loyalty.status",
        "Membership status",
        ValueType.CHOICE,
        EQUALITY_OPS,
        _membership(Member.status),
        choices=tuple(s.value for s in MemberStatus),
        permission="loyalty.member",
    ),
)
