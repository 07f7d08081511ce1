"""`notificationAdded`: a signed-in user's new notifications arrive live, nobody else's."""

from __future__ import annotations

from sqlalchemy import select

from subscriptions.support import live, ws_client
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.notifications.models import NotificationKind
from unicrm.core.graph.notifications.services import notify
from unicrm.core.graph.users.models import User
from unicrm.core.testing.pytest_plugin import sign_in_as

ADDED = "subscription { notificationAdded { id kind title subject isRead } }"


async def user_id(state, email: str):
    async with state.db.session() as session:
        return await session.scalar(select(User.id).where(User.email == email))


async def test_a_user_receives_their_own_new_notifications_only(server, unicrm_state):
    token = await sign_in_as(unicrm_state, "ann@unicrm.test", "inside_sales")
    await sign_in_as(unicrm_state, "ben@unicrm.test", "inside_sales")
    ann, ben = [await user_id(unicrm_state, f"{n}@unicrm.test") for n in ("ann", "ben")]

    async with ws_client(server) as ws:
        await ws.init(token)
        await ws.subscribe("1", ADDED)
        await live(unicrm_state, 1)
        async with unicrm_state.db.transaction() as session:
            notify(session, ben, NotificationKind.MENTION, "Ben was mentioned")
            mine = notify(
                session, ann, NotificationKind.ASSIGNMENT, "Lead assigned", subject="Lead:1"
            )
        await unicrm_state.events.after_commit()
        message = await ws.receive()

    assert message["type"] == "next"
    assert message["payload"]["data"]["notificationAdded"] == {
        "id": to_global_id("Notification", mine.id),
        "kind": "ASSIGNMENT",
        "title": "Lead assigned",
        "subject": "Lead:1",
        "isRead": False,
    }


async def test_api_keys_and_anonymous_callers_have_no_inbox_to_follow(server, unicrm_state):
    async with ws_client(server) as ws:
        await ws.init()
        await ws.subscribe("1", ADDED)
        message = await ws.receive()

    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
