from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from unicrm.core.authz.declare import public
from unicrm.core.graph.ids import from_global_id
from unicrm.core.graph.notifications.queries import viewer_id
from unicrm.core.graph.notifications.types import Notification

CREATED = "notification.created"


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(
        metadata=public(),
        description="The caller's new notifications as they arrive (best effort: what arrives "
        "while you are not connected is in `notifications`).",
    )
    async def notification_added(self, info: strawberry.Info) -> AsyncGenerator[Notification, None]:
        me = viewer_id(info)
        async with info.context.state.events.fanout.subscribe() as feed:
            async for event in feed:
                if event.type != CREATED or from_global_id(event.payload["user_id"])[1] != me:
                    continue
                pk = from_global_id(event.payload["notification_id"])[1]
                found = await Notification.load_node(info, pk)
                if found is not None:  # deleted since: nothing to show
                    yield found


SUBSCRIPTION = NotificationSubscription
"""A signed-in user's own inbox, live (docs/leads.md#notifications)."""
