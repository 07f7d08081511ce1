from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.graph.loaders import one_per_key
from unicrm.core.graph.notifications.models import Notification


def _own(ctx: Any) -> ColumnElement[bool]:
    """Only the caller's own notifications load, whoever asks for which id."""
    user_id = ctx.actor.user_id
    return false() if user_id is None else Notification.user_id == user_id


async def _notifications_by_id(
    session: AsyncSession, keys: list[Any], where: ColumnElement[bool]
) -> list[tuple[Any, Any]]:
    rows = await session.scalars(select(Notification).where(where, Notification.id.in_(keys)))
    return [(r.id, r) for r in rows]


LOADERS = {"core.notification_by_id": one_per_key(_notifications_by_id, _own)}
