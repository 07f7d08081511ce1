"""The per-user inbox: only one's own, read state, mark read, and retention."""

from __future__ import annotations

from datetime import timedelta

from lead_support import codes, count, staff
from sqlalchemy import update

from unicrm.core.db.types import utcnow
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.notifications.models import Notification, NotificationKind
from unicrm.core.graph.notifications.services import notify
from unicrm.core.jobs import queue
from unicrm.core.jobs.runtime import make_worker

INBOX = """query($unread: Boolean, $after: String) {
  unreadNotificationCount
  notifications(unread: $unread, first: 2, after: $after) {
    totalCount edges { node { id kind title isRead } } pageInfo { hasNextPage endCursor } } }"""
MARK = """mutation($ids: [ID!]!) { notificationsMarkRead(input: {ids: $ids}) {
  notifications { title isRead readAt } unreadCount errors { field code message } } }"""
MARK_ALL = "mutation { notificationsMarkAllRead { unreadCount errors { code } } }"


async def fill(state, user_id, *titles: str) -> list[str]:
    async with state.db.transaction() as session:
        rows = [notify(session, user_id, NotificationKind.MENTION, t, body="@you") for t in titles]
    return [to_global_id("Notification", r.id) for r in rows]


async def test_a_user_pages_through_their_own_notifications_newest_first(unicrm_state):
    async with (
        staff(unicrm_state, "ann@unicrm.test", "inside_sales") as ann,
        staff(unicrm_state, "bob@unicrm.test", "inside_sales") as bob,
    ):
        await fill(unicrm_state, ann.pk, "one", "two", "three")
        await fill(unicrm_state, bob.pk, "bob's")
        seen, after = [], None
        while True:
            body = (await ann.gql(INBOX, {"after": after}))["data"]
            page = body["notifications"]
            seen += [e["node"]["title"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert body["unreadNotificationCount"] == 3
        assert page["totalCount"] == 3
        assert seen == ["three", "two", "one"]
        assert (await bob.gql(INBOX))["data"]["notifications"]["totalCount"] == 1


async def test_marking_read_changes_the_unread_count_and_filter(unicrm_state):
    async with staff(unicrm_state, "ann@unicrm.test", "inside_sales") as ann:
        first, _ = await fill(unicrm_state, ann.pk, "first", "second")
        payload = (await ann.gql(MARK, {"ids": [first, first]}))["data"]["notificationsMarkRead"]
        assert payload["errors"] == []
        assert payload["unreadCount"] == 1
        assert [(n["title"], n["isRead"]) for n in payload["notifications"]] == [("first", True)]
        read_at = payload["notifications"][0]["readAt"]

        unread = (await ann.gql(INBOX, {"unread": True}))["data"]["notifications"]
        assert [e["node"]["title"] for e in unread["edges"]] == ["second"]
        again = (await ann.gql(MARK, {"ids": [first]}))["data"]["notificationsMarkRead"]
        assert again["notifications"][0]["readAt"] == read_at  # keeps the first time

        everything = (await ann.gql(MARK_ALL))["data"]["notificationsMarkAllRead"]
        assert everything == {"unreadCount": 0, "errors": []}
        assert (await ann.gql(INBOX, {"unread": True}))["data"]["notifications"]["totalCount"] == 0


async def test_nobody_reads_or_marks_someone_elses_notifications(unicrm_state):
    async with (
        staff(unicrm_state, "ann@unicrm.test", "inside_sales") as ann,
        staff(unicrm_state, "bob@unicrm.test", "inside_sales") as bob,
    ):
        [anns] = await fill(unicrm_state, ann.pk, "private")
        [bobs] = await fill(unicrm_state, bob.pk, "bob's")
        payload = (await bob.gql(MARK, {"ids": [bobs, anns]}))["data"]["notificationsMarkRead"]
        assert codes(payload) == [("ids.1", "NOT_FOUND")]
        node = await bob.gql("query($id: ID!) { node(id: $id) { id } }", {"id": anns})
        assert node["data"]["node"] is None
        assert (await ann.gql(INBOX))["data"]["unreadNotificationCount"] == 1
        assert (await bob.gql(INBOX))["data"]["unreadNotificationCount"] == 1  # nothing marked


async def test_mark_read_with_bad_input_changes_nothing(unicrm_state):
    async with staff(unicrm_state, "ann@unicrm.test", "inside_sales") as ann:
        await fill(unicrm_state, ann.pk, "one")
        assert codes((await ann.gql(MARK, {"ids": []}))["data"]["notificationsMarkRead"]) == [
            ("ids", "REQUIRED")
        ]
        assert codes((await ann.gql(MARK, {"ids": ["nope"]}))["data"]["notificationsMarkRead"]) == [
            ("ids.0", "INVALID_ID")
        ]
        assert (await ann.gql(INBOX))["data"]["unreadNotificationCount"] == 1


async def test_an_inbox_needs_a_signed_in_user(anonymous_client):
    body = (
        await anonymous_client.post("/graphql", json={"query": "{ unreadNotificationCount }"})
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_retention_deletes_old_read_notifications_and_keeps_unread_ones(unicrm_state):
    async with staff(unicrm_state, "ann@unicrm.test", "inside_sales") as ann:
        await fill(unicrm_state, ann.pk, "old read", "recent read", "old unread")
    long_ago, lately = utcnow() - timedelta(days=31), utcnow() - timedelta(days=2)
    async with unicrm_state.db.transaction() as session:
        for title, read_at, created in (
            ("old read", long_ago, long_ago),
            ("recent read", lately, long_ago),
            ("old unread", None, long_ago),
        ):
            await session.execute(
                update(Notification)
                .where(Notification.title == title)
                .values(read_at=read_at, created_at=created)
            )
        await queue.enqueue(session, "core.notifications_cleanup", {"keep_days": 30})

    await make_worker(unicrm_state).run_due()

    assert await count(unicrm_state, Notification) == 2
    assert await count(unicrm_state, Notification, Notification.title == "old read") == 0
