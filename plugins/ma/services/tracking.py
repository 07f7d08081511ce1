"""Web and e-mail tracking: visitors, page views, custom events, opens, clicks, identify.

Every hit is one ``ma_tracking_event`` row. Hits a machine made (``bots.bot_reason``) are
stored flagged and never move a message's status or count as engagement. A person's hit of a
known customer is scored at once under the active scoring model.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.core.graph.timeline.services import add_entry
from unicrm.core.messaging import services as messaging
from unicrm.core.messaging.models import Message
from unicrm.core.messaging.runtime import current
from unicrm.plugins.ma.models import EngagementKind, TrackedLink, TrackingEvent, Visitor
from unicrm.plugins.ma.services import tokens
from unicrm.plugins.ma.services.bots import bot_reason
from unicrm.plugins.ma.services.scoring import score_customer

MAX_URL = 2000
EVENT_NAME = re.compile(r"[a-z][a-z0-9_.\-]{0,99}\Z")
HREF = re.compile(r"""(href\s*=\s*)(["'])(https?://[^"'\s<>]+)\2""", re.IGNORECASE)
TEXT_URL = re.compile(r"https?://[^\s<>\"')\]]+")


class TrackingError(ValueError):
    """A hit that cannot be recorded as given; the message says why."""


def clean_url(url: str | None, *, required: bool = False) -> str | None:
    """An absolute http(s) URL of at most ``MAX_URL`` characters, or ``TrackingError``."""
    value = (url or "").strip()
    if not value:
        if required:
            raise TrackingError("a page URL is required (u=...)")
        return None
    if len(value) > MAX_URL or not re.match(r"https?://[^\s]+\Z", value, re.IGNORECASE):
        raise TrackingError(f"expected an http(s) URL of at most {MAX_URL} characters")
    return value


async def touch_visitor(
    session: AsyncSession, visitor_id: uuid.UUID, now: datetime | None = None
) -> Visitor:
    """The visitor row of ``visitor_id``, created on its first hit; its last-seen time moved."""
    moment = now or utcnow()
    await insert_or_skip(
        session,
        Visitor,
        {"id": visitor_id, "first_seen_at": moment, "last_seen_at": moment},
        ("id",),
    )
    visitor = await session.get_one(Visitor, visitor_id, with_for_update=True)
    visitor.last_seen_at = moment
    return visitor


async def record_visit(
    session: AsyncSession,
    visitor_id: uuid.UUID,
    headers: Mapping[str, str],
    *,
    kind: EngagementKind,
    url: str | None,
    name: str | None = None,
) -> TrackingEvent:
    """A page view (``url`` required) or a custom event (``name`` required) of a visitor,
    attributed to the visitor's customer once they have identified."""
    if kind is EngagementKind.PAGE_VIEW:
        page = clean_url(url, required=True)
    else:
        page = clean_url(url)
        if not EVENT_NAME.match(name or ""):
            raise TrackingError(
                "an event needs a name (n=...) of lowercase letters, digits and ._- "
                "(at most 100 characters)"
            )
    visitor = await touch_visitor(session, visitor_id)
    reason = bot_reason(headers)
    event = TrackingEvent(
        id=uuid7(),
        kind=kind,
        visitor_id=visitor.id,
        customer_id=visitor.customer_id,
        url=page,
        name=name if kind is EngagementKind.CUSTOM else None,
        bot=reason is not None,
        bot_reason=reason,
        occurred_at=visitor.last_seen_at,
    )
    session.add(event)
    await session.flush()
    if event.customer_id is not None and not event.bot:
        await score_customer(session, event.customer_id)
    return event


async def identify(session: AsyncSession, visitor_id: uuid.UUID, customer_id: uuid.UUID) -> int:
    """The visitor is ``customer_id`` from now on: their anonymous past hits attach to the
    customer (the caller scores them). Returns how many past hits were attached."""
    visitor = await touch_visitor(session, visitor_id)
    if visitor.customer_id != customer_id:
        visitor.customer_id = customer_id
        visitor.identified_at = visitor.last_seen_at
    result = await session.execute(
        update(TrackingEvent)
        .where(TrackingEvent.visitor_id == visitor_id, TrackingEvent.customer_id.is_(None))
        .values(customer_id=customer_id)
    )
    await session.flush()
    return result.rowcount or 0


def open_url(message_id: uuid.UUID) -> str:
    rt = current()
    return f"{rt.settings.public_url}/t/o/{tokens.sign(rt.secret, 'open', message_id)}.gif"


def click_url(link_id: uuid.UUID) -> str:
    rt = current()
    return f"{rt.settings.public_url}/t/c/{tokens.sign(rt.secret, 'click', link_id)}"


async def track_message(session: AsyncSession, message: Message) -> list[TrackedLink]:
    """Put the open pixel and click links into a queued message, before it is delivered.

    Every distinct http(s) link of the HTML and text bodies becomes a ``TrackedLink`` behind a
    signed ``/t/c/`` address; the unsubscribe link stays as it is (a scanner following it
    must never unsubscribe anybody, and the page asks before it does anything).
    """
    rt = current()
    keep = f"{rt.settings.public_url}/messaging/unsubscribe/"
    links: dict[str, TrackedLink] = {}

    def link_for(url: str) -> str:
        if url.startswith(keep) or len(url) > MAX_URL:
            return url
        link = links.get(url)
        if link is None:
            link = links[url] = TrackedLink(id=uuid7(), message_id=message.id, url=url)
        return click_url(link.id)

    if message.html_body:
        body = HREF.sub(
            lambda m: f"{m[1]}{m[2]}{html.escape(link_for(html.unescape(m[3])))}{m[2]}",
            message.html_body,
        )
        pixel = f'<img src="{open_url(message.id)}" width="1" height="1" alt="">'
        message.html_body = (
            body.replace("</body>", pixel + "</body>", 1) if "</body>" in body else body + pixel
        )
    if message.text_body:
        message.text_body = TEXT_URL.sub(lambda m: link_for(m[0]), message.text_body)
    session.add_all(links.values())
    await session.flush()
    return list(links.values())


@dataclass(frozen=True, slots=True)
class Hit:
    event: TrackingEvent
    counted: bool


async def record_open(
    session: AsyncSession, message_id: uuid.UUID, headers: Mapping[str, str]
) -> Hit | None:
    """An open of a message by its pixel; None for a message that no longer exists."""
    message = await session.get(Message, message_id)
    if message is None:
        return None
    now = utcnow()
    reason = bot_reason(headers, message.sent_at, now)
    event = TrackingEvent(
        id=uuid7(),
        kind=EngagementKind.EMAIL_OPEN,
        customer_id=message.customer_id,
        message_id=message.id,
        bot=reason is not None,
        bot_reason=reason,
        occurred_at=now,
    )
    session.add(event)
    if reason is None:
        await messaging.record_callback(
            session,
            channel=message.channel,
            provider_id=None,
            message_id=message.id,
            event="opened",
            reason="open pixel",
        )
    await session.flush()
    if reason is None and message.customer_id is not None:
        await score_customer(session, message.customer_id)
    return Hit(event, reason is None)


async def record_click(
    session: AsyncSession,
    link_id: uuid.UUID,
    visitor_id: uuid.UUID,
    headers: Mapping[str, str],
) -> tuple[str, Hit] | None:
    """A click on a tracked link: the URL to redirect to and the hit; None for an unknown
    link. A person's click identifies the visitor as the message's customer."""
    link = await session.get(TrackedLink, link_id)
    if link is None:
        return None
    message = await session.get_one(Message, link.message_id)
    now = utcnow()
    reason = bot_reason(headers)
    visitor = None
    if reason is None:
        visitor = await touch_visitor(session, visitor_id, now)
        if message.customer_id is not None:
            await identify(session, visitor_id, message.customer_id)
    event = TrackingEvent(
        id=uuid7(),
        kind=EngagementKind.EMAIL_CLICK,
        visitor_id=None if visitor is None else visitor.id,
        customer_id=message.customer_id,
        message_id=message.id,
        url=link.url,
        bot=reason is not None,
        bot_reason=reason,
        occurred_at=now,
    )
    session.add(event)
    if reason is None:
        await messaging.record_callback(
            session,
            channel=message.channel,
            provider_id=None,
            message_id=message.id,
            event="clicked",
            reason="tracked link",
        )
        if message.customer_id is not None:
            add_entry(
                session,
                message.customer_id,
                "ma.email_clicked",
                "Clicked a link in an e-mail",
                summary=link.url[:300],
                data={"url": link.url, "subject": message.subject},
                ref_type="Message",
                ref_id=message.id,
            )
    await session.flush()
    if reason is None and message.customer_id is not None:
        await score_customer(session, message.customer_id)
    return link.url, Hit(event, reason is None)
