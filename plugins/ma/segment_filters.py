"""Behaviour filters MA adds to core's segment engine (``segment_filters``).

Each compiles to a correlated scalar subquery or EXISTS over ``ma_tracking_event`` (bot hits
never count) or ``ma_lead_score``, so a whole segment stays one SQL statement. Counts come in
fixed windows of 7, 30 and 90 days (``ma.email_opens_30d``); e-mail opens and clicks count
distinct messages, so "opened 2 e-mails in 30 days" is ``ma.email_opens_30d GTE 2``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select

from unicrm.core.segments.filters import (
    CUSTOMER_ID,
    ORDER_OPS,
    PRESENCE_OPS,
    TIME_OPS,
    Op,
    SegmentFilter,
    ValueType,
    compare,
    cutoff,
)
from unicrm.plugins.ma.models import EngagementKind, LeadScore, TrackingEvent

WINDOWS = (7, 30, 90)
COUNTS = (
    ("page_views", "Page views", EngagementKind.PAGE_VIEW, False),
    ("email_opens", "E-mails opened", EngagementKind.EMAIL_OPEN, True),
    ("email_clicks", "E-mails clicked", EngagementKind.EMAIL_CLICK, True),
    ("form_fills", "Forms filled in", EngagementKind.FORM_SUBMIT, False),
    ("custom_events", "Custom events", EngagementKind.CUSTOM, False),
)
URL_OPS = (Op.CONTAINS, Op.STARTS_WITH, Op.EQ)


def _hits(kind: EngagementKind, days: int) -> list[ColumnElement[bool]]:
    return [
        TrackingEvent.customer_id == CUSTOMER_ID,
        TrackingEvent.kind == kind,
        TrackingEvent.bot.is_(False),
        TrackingEvent.occurred_at >= cutoff(days),
    ]


def _count(kind: EngagementKind, days: int, per_message: bool) -> Callable[[Op, Any], Any]:
    def compile(op: Op, value: Any) -> ColumnElement[bool]:
        counted = func.count(TrackingEvent.message_id.distinct()) if per_message else func.count()
        n = select(counted).select_from(TrackingEvent).where(*_hits(kind, days))
        return compare(n.scalar_subquery(), op, value)

    return compile


def _visited(days: int) -> Callable[[Op, Any], Any]:
    """A page view in the window whose URL matches: "visited the pricing page"."""

    def compile(op: Op, value: Any) -> ColumnElement[bool]:
        return exists(
            select(TrackingEvent.id).where(
                and_(*_hits(EngagementKind.PAGE_VIEW, days), compare(TrackingEvent.url, op, value))
            )
        )

    return compile


def _last_visit(op: Op, value: Any) -> ColumnElement[bool]:
    last = (
        select(func.max(TrackingEvent.occurred_at))
        .where(
            TrackingEvent.customer_id == CUSTOMER_ID,
            TrackingEvent.kind == EngagementKind.PAGE_VIEW,
            TrackingEvent.bot.is_(False),
        )
        .scalar_subquery()
    )
    return compare(last, op, value)


def _lead_score(op: Op, value: Any) -> ColumnElement[bool]:
    score = select(LeadScore.value).where(LeadScore.customer_id == CUSTOMER_ID).scalar_subquery()
    return compare(score, op, value)


def filters() -> list[SegmentFilter]:
    found = [
        SegmentFilter(
            "ma.lead_score",
            "Lead score",
            ValueType.INTEGER,
            (*ORDER_OPS, *PRESENCE_OPS),
            _lead_score,
            description="The customer's current lead score (IS_NOT_SET: never scored).",
            permission="ma.lead_score",
        ),
        SegmentFilter(
            "ma.last_visit_at",
            "Last site visit",
            ValueType.DATETIME,
            (*TIME_OPS, *PRESENCE_OPS),
            _last_visit,
            description="When the customer last viewed a page (bots not counted).",
            permission="ma.tracking",
        ),
    ]
    for days in WINDOWS:
        for name, label, kind, per_message in COUNTS:
            found.append(
                SegmentFilter(
                    f"ma.{name}_{days}d",
                    f"{label} in {days} days",
                    ValueType.INTEGER,
                    ORDER_OPS,
                    _count(kind, days, per_message),
                    description=f"{label} in the last {days} days, bots not counted"
                    + (" (distinct e-mails)." if per_message else "."),
                    permission="ma.tracking",
                )
            )
        found.append(
            SegmentFilter(
                f"ma.visited_url_{days}d",
                f"Visited a page in {days} days",
                ValueType.STRING,
                URL_OPS,
                _visited(days),
                description=f"Viewed a page whose URL matches in the last {days} days.",
                permission="ma.tracking",
            )
        )
    return found
