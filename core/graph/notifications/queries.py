from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import public
from unicrm.core.errors import Unauthenticated
from unicrm.core.graph.notifications import services
from unicrm.core.graph.notifications.models import Notification as NotificationRow
from unicrm.core.graph.notifications.types import Notification
from unicrm.core.graph.pagination import Connection, Page, PageRequest, count_of, paginate
from unicrm.core.graph.queries import run_query


def viewer_id(info: strawberry.Info) -> uuid.UUID:
    """The signed-in user; an inbox belongs to a user, never to an API key or nobody."""
    user_id = info.context.actor.user_id
    if user_id is None:
        raise Unauthenticated("notifications belong to signed-in users")
    return user_id


@strawberry.type
class NotificationQuery:
    @strawberry.field(
        metadata=public(),
        description="The caller's notifications, newest first; `unread: true` keeps unread ones.",
    )
    async def notifications(
        self,
        info: strawberry.Info,
        unread: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Notification]:
        ctx = info.context
        stmt = services.inbox(viewer_id(info), unread=unread)

        async def work(session: AsyncSession) -> Page[NotificationRow]:
            return await paginate(
                session,
                stmt,
                keys=[NotificationRow.created_at, NotificationRow.id],
                page=PageRequest(first=first, after=after),
                max_page_size=ctx.limits.max_page_size,
                descending=True,
                key_of=lambda r: (r.created_at, r.id),
            )

        page = await run_query(info, work)
        return page.connection(Notification.from_row, count_of(ctx.db, stmt))

    @strawberry.field(metadata=public(), description="How many of the caller's are unread.")
    async def unread_notification_count(self, info: strawberry.Info) -> int:
        user_id = viewer_id(info)
        async with info.context.db.session() as session:
            return await services.unread_count(session, user_id)


QUERY = NotificationQuery
