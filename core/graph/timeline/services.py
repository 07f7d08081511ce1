"""Writing timeline entries inside the caller's transaction, and reading one customer's feed."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.graph.timeline.kinds import KINDS
from unicrm.core.graph.timeline.models import TimelineEntry

KIND = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")
"""``<writer>.<what_happened>``, e.g. ``core.order_placed`` or ``loyalty.points_earned``."""
MAX_KINDS = 50


def _check_kind(kind: str) -> str:
    """The writer of ``kind``; a malformed kind or an undeclared core kind is a coding error."""
    if not KIND.fullmatch(kind) or len(kind) > 100:
        raise ValueError(f"timeline kind {kind!r} is not of the form writer.what_happened")
    writer = kind.partition(".")[0]
    if writer == "core" and kind not in KINDS:
        raise ValueError(f"timeline kind {kind!r} is not declared in core's KINDS")
    return writer


def add_entry(
    session: AsyncSession,
    customer_id: uuid.UUID,
    kind: str,
    title: str,
    *,
    summary: str | None = None,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    ref_type: str | None = None,
    ref_id: uuid.UUID | None = None,
) -> TimelineEntry:
    """Add an entry to the customer's timeline in the caller's transaction.

    The source is the writer named by ``kind``; the actor is the session's (set by the
    mutation), so the entry says who did it.
    """
    actor = session.info.get("actor")
    row = TimelineEntry(
        id=uuid7(),
        customer_id=customer_id,
        kind=kind,
        occurred_at=occurred_at or utcnow(),
        title=title[:300],
        summary=summary[:2000] if summary else None,
        data=data or {},
        source=_check_kind(kind),
        actor=getattr(actor, "name", None),
        ref_type=ref_type,
        ref_id=ref_id,
        created_at=utcnow(),
    )
    session.add(row)
    return row


def feed(customer_id: uuid.UUID, kinds: Sequence[str] | None) -> Select[Any]:
    """The customer's entries, optionally of some kinds only; page it with ``FEED_KEYS``."""
    stmt = select(TimelineEntry).where(TimelineEntry.customer_id == customer_id)
    if kinds is not None:
        if len(kinds) > MAX_KINDS or not all(KIND.fullmatch(k) for k in kinds):
            raise DomainError.single(
                "INVALID", f"kinds takes up to {MAX_KINDS} names like core.order_placed", "kinds"
            )
        stmt = stmt.where(TimelineEntry.kind.in_(kinds))
    return stmt


FEED_KEYS = (TimelineEntry.occurred_at, TimelineEntry.id)
"""Newest first (descending) through the (customer_id, occurred_at, id) index."""
