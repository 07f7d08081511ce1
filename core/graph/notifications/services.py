"""The inbox: ``notify`` writes in the caller's transaction; reads are the owner's only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.events.outbox import emit
from unicrm.core.events.types import NotificationCreated
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.notifications.models import Notification, NotificationKind

MAX_TITLE = 200
MAX_BODY = 2000
MAX_IDS = 100


def notify(
    session: AsyncSession,
    user_id: uuid.UUID,
    kind: NotificationKind,
    title: str,
    *,
    body: str | None = None,
    subject: str | None = None,
) -> Notification:
    """Put a notification in ``user_id``'s inbox, in the caller's transaction (a rolled-back
    change notifies nobody), and announce it (``notification.created``) to the user's live
    ``notificationAdded`` subscriptions. Over-long texts are cut, never refused: a
    notification is a side effect and must not fail the change that caused it."""
    row = Notification(
        id=uuid7(),
        user_id=user_id,
        kind=kind,
        title=title[:MAX_TITLE],
        body=None if body is None else body[:MAX_BODY],
        subject=subject,
        created_at=utcnow(),
    )
    session.add(row)
    emit(
        session,
        "notification.created",
        NotificationCreated(
            notification_id=to_global_id("Notification", row.id),
            user_id=to_global_id("User", user_id),
            kind=kind.value,
        ),
    )
    return row


def inbox(user_id: uuid.UUID, *, unread: bool | None = None) -> Any:
    """The statement of a user's notifications, optionally only the (un)read ones."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    return stmt


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return int(await session.scalar(stmt) or 0)


async def mark_read(
    session: AsyncSession, user_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Notification]:
    """Mark the user's notifications ``ids`` read (already read ones keep their time).

    An id that is not one of the user's notifications is NOT_FOUND and nothing changes, so
    nobody learns whether someone else's notification exists.
    """
    if not ids:
        raise DomainError.single("REQUIRED", "give at least one notification id", "ids")
    if len(ids) > MAX_IDS:
        raise DomainError.single("INVALID", f"at most {MAX_IDS} ids at once", "ids")
    wanted = list(dict.fromkeys(ids))
    rows = (
        await session.scalars(
            select(Notification).where(Notification.user_id == user_id, Notification.id.in_(wanted))
        )
    ).all()
    found = {r.id: r for r in rows}
    missing = [i for i, pk in enumerate(ids) if pk not in found]
    if missing:
        raise DomainError.single("NOT_FOUND", "no such notification", f"ids.{missing[0]}")
    now = utcnow()
    for row in rows:
        if row.read_at is None:
            row.read_at = now
    await session.flush()
    return [found[pk] for pk in wanted]


async def mark_all_read(session: AsyncSession, user_id: uuid.UUID) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    result = cast(
        "CursorResult[Any]",
        await session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        ),
    )
    return result.rowcount


async def delete_read_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete notifications read before ``cutoff``; unread ones are always kept."""
    result = cast(
        "CursorResult[Any]",
        await session.execute(
            delete(Notification).where(
                Notification.read_at.is_not(None), Notification.read_at < cutoff
            )
        ),
    )
    return result.rowcount
