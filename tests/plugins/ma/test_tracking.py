"""Tracking: page views and events without JavaScript, the open pixel, click redirects,
visitors identified by a click, bots flagged and never counted."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from plugins.ma.support import BROWSER, CLICK, PIXEL, add_person, count, send_tracked
from unicrm.core.messaging.models import Message, MessageStatus
from unicrm.core.messaging.runtime import current
from unicrm.core.testing.statements import StatementCounter
from unicrm.plugins.ma.models import EngagementKind, TrackedLink, TrackingEvent, Visitor
from unicrm.plugins.ma.services import tokens


async def _events(state) -> list[TrackingEvent]:
    async with state.db.session() as session:
        rows = await session.scalars(select(TrackingEvent).order_by(TrackingEvent.occurred_at))
        return list(rows)


async def _message(state, message_id: uuid.UUID) -> Message:
    async with state.db.session() as session:
        return await session.get_one(Message, message_id)


async def test_a_click_identifies_the_visitor_and_attaches_their_past_visits(
    unicrm_state, anonymous_client, inbox
):
    malee = await add_person(unicrm_state, "Malee", "malee@example.co.th")
    for page in ("https://shop.test/", "https://shop.test/pricing"):
        response = await anonymous_client.get("/t/v", params={"u": page}, headers=BROWSER)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/gif"
    visitor = uuid.UUID(anonymous_client.cookies["ucrm_vid"])
    assert [e.customer_id for e in await _events(unicrm_state)] == [None, None]

    message = await send_tracked(unicrm_state, malee)
    [link, *_] = CLICK.findall(inbox.html())
    response = await anonymous_client.get(link, headers=BROWSER)

    assert response.status_code == 302
    assert response.headers["location"] == "https://shop.test/pricing?from=mail&x=1"
    events = await _events(unicrm_state)
    assert [(e.kind, e.customer_id, e.visitor_id) for e in events] == [
        (EngagementKind.PAGE_VIEW, malee, visitor),
        (EngagementKind.PAGE_VIEW, malee, visitor),
        (EngagementKind.EMAIL_CLICK, malee, visitor),
    ]
    async with unicrm_state.db.session() as session:
        assert (await session.get_one(Visitor, visitor)).customer_id == malee
    assert (await _message(unicrm_state, message.id)).status is MessageStatus.CLICKED

    # after identifying, new visits land on the customer straight away
    await anonymous_client.get("/t/e", params={"n": "video.play"}, headers=BROWSER)
    assert (await _events(unicrm_state))[-1].customer_id == malee


async def test_the_sent_mail_has_tracked_links_a_pixel_and_an_untouched_unsubscribe_link(
    unicrm_state, inbox
):
    malee = await add_person(unicrm_state, "Malee", "malee@example.co.th")
    message = await send_tracked(unicrm_state, malee)

    body = inbox.html()
    assert "https://shop.test/" not in body
    assert len(CLICK.findall(body)) == 2
    assert len(PIXEL.findall(body)) == 1
    assert "/messaging/unsubscribe/" in body
    text = inbox.mails[-1].get_body(("plain",)).get_content()
    assert "https://shop.test/" not in text and "/t/c/" in text
    async with unicrm_state.db.session() as session:
        urls = set(await session.scalars(select(TrackedLink.url)))
    assert urls == {
        "https://shop.test/pricing?from=mail&x=1",
        "https://shop.test/blog",
        "https://shop.test/pricing?from=mail",
    }
    assert await count(unicrm_state, TrackedLink, TrackedLink.message_id == message.id) == 3


async def test_a_person_opening_counts_and_a_scanner_opening_is_flagged_only(
    unicrm_state, anonymous_client, inbox
):
    malee = await add_person(unicrm_state, "Malee", "malee@example.co.th")
    message = await send_tracked(unicrm_state, malee)
    [pixel] = PIXEL.findall(inbox.html())

    scanner = await anonymous_client.get(pixel, headers={"User-Agent": "Barracuda scanner/1.0"})
    prefetch = await anonymous_client.get(pixel, headers={**BROWSER, "Sec-Purpose": "prefetch"})

    assert scanner.status_code == prefetch.status_code == 200
    assert scanner.headers["content-type"] == "image/gif"
    events = await _events(unicrm_state)
    assert [(e.kind, e.bot, e.bot_reason) for e in events] == [
        (EngagementKind.EMAIL_OPEN, True, "automated user agent"),
        (EngagementKind.EMAIL_OPEN, True, "prefetch"),
    ]
    assert (await _message(unicrm_state, message.id)).status is MessageStatus.SENT

    await anonymous_client.get(pixel, headers=BROWSER)  # a second after delivery: a scanner
    async with unicrm_state.db.transaction() as session:
        sent = await session.get_one(Message, message.id)
        sent.sent_at -= timedelta(minutes=5)
    await anonymous_client.get(pixel, headers=BROWSER)

    assert [e.bot_reason for e in await _events(unicrm_state)][2:] == ["opened on delivery", None]
    assert (await _message(unicrm_state, message.id)).status is MessageStatus.OPENED


async def test_a_scanner_following_a_link_is_redirected_but_identifies_nobody(
    unicrm_state, anonymous_client, inbox
):
    malee = await add_person(unicrm_state, "Malee", "malee@example.co.th")
    message = await send_tracked(unicrm_state, malee)
    [link, *_] = CLICK.findall(inbox.html())

    response = await anonymous_client.get(link, headers={"User-Agent": "curl/8.0"})

    assert response.status_code == 302
    assert "ucrm_vid" not in response.cookies
    [event] = await _events(unicrm_state)
    assert (event.bot, event.visitor_id, event.customer_id) == (True, None, malee)
    assert await count(unicrm_state, Visitor) == 0
    assert (await _message(unicrm_state, message.id)).status is MessageStatus.SENT


async def test_a_click_address_never_redirects_anywhere_but_a_link_of_the_message(
    unicrm_state, anonymous_client, inbox
):
    malee = await add_person(unicrm_state, "Malee", "malee@example.co.th")
    await send_tracked(unicrm_state, malee)
    [link, *_] = CLICK.findall(inbox.html())
    token = link.rsplit("/", 1)[1]
    secret = current().secret
    forged = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # bad MAC
        tokens.sign(b"another secret", "click", uuid.uuid4()),
        tokens.sign(secret, "open", tokens.verify(secret, "click", token)),  # wrong use
        tokens.sign(secret, "click", uuid.uuid4()),  # genuine, but no such link
        "not-a-token",
        "https:%2F%2Fevil.test",
    ]
    for bad in forged:
        response = await anonymous_client.get(f"/t/c/{bad}", headers=BROWSER)
        assert response.status_code == 404, bad
        assert "location" not in response.headers
    assert await count(unicrm_state, TrackingEvent) == 0


async def test_a_forged_open_pixel_records_nothing_but_still_answers_an_image(
    unicrm_state, anonymous_client
):
    response = await anonymous_client.get(
        f"/t/o/{tokens.sign(b'guess', 'open', uuid.uuid4())}.gif", headers=BROWSER
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert await count(unicrm_state, TrackingEvent) == 0


async def test_bad_page_views_and_events_are_refused_and_write_nothing(
    unicrm_state, anonymous_client
):
    bad = [
        ("/t/v", {}),  # no URL and no Referer
        ("/t/v", {"u": "javascript:alert(1)"}),
        ("/t/v", {"u": "https://shop.test/" + "x" * 2000}),
        ("/t/e", {"n": "Bad Name!"}),
        ("/t/e", {}),
        ("/t/e", {"n": "signup", "u": "ftp://shop.test/"}),
    ]
    for path, params in bad:
        response = await anonymous_client.get(path, params=params, headers=BROWSER)
        assert response.status_code == 400, (path, params)
        assert response.text
    assert await count(unicrm_state, TrackingEvent) == 0
    assert await count(unicrm_state, Visitor) == 0


async def test_the_referer_names_the_page_and_a_vid_parameter_names_the_visitor(
    unicrm_state, anonymous_client
):
    visitor = uuid.uuid4()
    response = await anonymous_client.get(
        "/t/v",
        params={"vid": str(visitor)},
        headers={**BROWSER, "Referer": "https://shop.test/about"},
    )
    assert response.status_code == 200
    [event] = await _events(unicrm_state)
    assert (event.visitor_id, event.url, event.bot) == (visitor, "https://shop.test/about", False)


async def test_customer_activity_loads_for_a_page_of_customers_in_one_statement(
    unicrm_state, gql, anonymous_client
):
    people = [await add_person(unicrm_state, f"P{i}", None, consent=False) for i in range(3)]
    from unicrm.plugins.ma.services.tracking import identify

    for i, person in enumerate(people):
        visitor = uuid.uuid4()
        for n in range(i + 1):
            await anonymous_client.get(
                "/t/v",
                params={"u": f"https://shop.test/p{n}", "vid": str(visitor)},
                headers=BROWSER,
            )
        async with unicrm_state.db.transaction() as session:
            await identify(session, visitor, person)
    query = "{ customers(first: 10) { edges { node { firstName maActivity(last: 2) { kind url bot } } } } }"

    with StatementCounter(unicrm_state) as counter:
        data = await gql(query)

    assert "errors" not in data, data
    got = {
        e["node"]["firstName"]: [a["url"] for a in e["node"]["maActivity"]]
        for e in data["data"]["customers"]["edges"]
    }
    assert got == {
        "P0": ["https://shop.test/p0"],
        "P1": ["https://shop.test/p1", "https://shop.test/p0"],
        "P2": ["https://shop.test/p2", "https://shop.test/p1"],
    }
    activity = [s for s in counter.statements if "ma_tracking_event" in s]
    assert len(activity) == 1
