from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import public
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.graph.notifications import services
from unicrm.core.graph.notifications.queries import viewer_id
from unicrm.core.graph.notifications.types import (
    Notification,
    NotificationError,
    NotificationErrorCode,
    NotificationsMarkReadInput,
    NotificationsMarkReadPayload,
)


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(
        metadata=public(),
        description="Mark some of the caller's notifications read. An id that is not one of "
        "theirs is NOT_FOUND and nothing changes.",
    )
    async def notifications_mark_read(
        self, info: strawberry.Info, input: NotificationsMarkReadInput
    ) -> NotificationsMarkReadPayload:
        user_id = viewer_id(info)

        async def work(session: AsyncSession) -> tuple[list, int]:
            ids = [decode_id(v, "Notification", f"ids.{i}") for i, v in enumerate(input.ids)]
            rows = await services.mark_read(session, user_id, ids)
            return rows, await services.unread_count(session, user_id)

        return await mutate(
            info,
            work,
            payload=NotificationsMarkReadPayload,
            error_type=NotificationError,
            codes=NotificationErrorCode,
            result=lambda out: {
                "notifications": [Notification.from_row(r) for r in out[0]],
                "unread_count": out[1],
            },
        )

    @strawberry.mutation(
        metadata=public(), description="Mark every unread notification of the caller read."
    )
    async def notifications_mark_all_read(
        self, info: strawberry.Info
    ) -> NotificationsMarkReadPayload:
        user_id = viewer_id(info)

        async def work(session: AsyncSession) -> int:
            await services.mark_all_read(session, user_id)
            return await services.unread_count(session, user_id)

        return await mutate(
            info,
            work,
            payload=NotificationsMarkReadPayload,
            error_type=NotificationError,
            codes=NotificationErrorCode,
            result=lambda count: {"unread_count": count},
        )


MUTATION = NotificationMutation
