"""One-click unsubscribe (RFC 8058) and signed provider status callbacks, over HTTP."""

from __future__ import annotations

import time

import orjson
from messaging_support import add_customer, add_templates, grant, load_message, run_jobs
from sqlalchemy import select

from unicrm.core.graph.consents.models import (
    ConsentChannel,
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    ConsentState,
    ConsentStatus,
)
from unicrm.core.messaging import services
from unicrm.core.messaging.models import (
    MessagePurpose,
    MessageStatus,
    MessageStatusChange,
    Suppression,
    SuppressionReason,
)
from unicrm.core.messaging.tokens import callback_key, callback_signature


async def send(state, customer_id, sender_key="campaign:1", channel="email"):
    async with state.db.transaction() as session:
        return await services.send(
            session,
            customer_id=customer_id,
            channel=channel,
            purpose=MessagePurpose.MARKETING,
            template="welcome",
            sender_key=sender_key,
            context={"code": "A1"},
        )


async def test_unsubscribe_link_confirms_then_withdraws_on_post(
    anonymous_client, unicrm_state, configure, smtp
):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    message = await send(unicrm_state, malee)
    await run_jobs(unicrm_state)
    link = smtp.mails[0]["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("http://unicrm.test")

    page = await anonymous_client.get(path)

    assert page.status_code == 200
    assert f'<form method="post" action="{path}">' in page.text
    assert (await load_message(unicrm_state, message.id)).status is MessageStatus.SENT

    # What a mail client sends for List-Unsubscribe-Post (RFC 8058).
    done = await anonymous_client.post(path, data={"List-Unsubscribe": "One-Click"})
    again = await anonymous_client.post(path, data={"List-Unsubscribe": "One-Click"})

    assert done.status_code == again.status_code == 200
    assert "no longer" in done.text
    async with unicrm_state.db.session() as session:
        state = await session.get(
            ConsentState, (malee, ConsentPurpose.MARKETING, ConsentChannel.EMAIL)
        )
        events = (
            await session.scalars(
                select(ConsentEvent).where(ConsentEvent.source == ConsentSource.UNSUBSCRIBE_LINK)
            )
        ).all()
        suppression = await session.scalar(select(Suppression))
        statuses = (
            await session.scalars(
                select(MessageStatusChange.status).where(
                    MessageStatusChange.message_id == message.id
                )
            )
        ).all()
    assert state.status is ConsentStatus.WITHDRAWN
    assert len(events) == 1 and events[0].evidence == {"message_id": str(message.id)}
    assert (suppression.reason, suppression.purpose, suppression.channel) == (
        SuppressionReason.UNSUBSCRIBED,
        "marketing",
        "email",
    )
    assert statuses.count(MessageStatus.UNSUBSCRIBED) == 1
    assert (await load_message(unicrm_state, message.id)).status is MessageStatus.UNSUBSCRIBED

    # Even with consent granted again by mistake, the suppression keeps marketing away.
    async with unicrm_state.db.transaction() as session:
        await grant(session, malee, ConsentChannel.EMAIL)
    later = await send(unicrm_state, malee, sender_key="campaign:2")
    assert later.reason_code == "SUPPRESSED"


async def test_a_forged_unsubscribe_token_is_refused(anonymous_client, unicrm_state, configure):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    message = await send(unicrm_state, malee)
    token = services.unsubscribe_url(configure(), message.id).rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    responses = [
        await anonymous_client.post(f"/messaging/unsubscribe/{forged}"),
        await anonymous_client.get("/messaging/unsubscribe/not-a-token"),
    ]

    assert [r.status_code for r in responses] == [404, 404]
    assert (await load_message(unicrm_state, message.id)).status is MessageStatus.QUEUED


def signed(body: dict, rt, stamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    raw = orjson.dumps(body)
    ts = str(int(time.time()) if stamp is None else stamp)
    key = callback_key(rt.secret, rt.settings.callback_secret.get_secret_value())
    return raw, {
        "UniCRM-Timestamp": ts,
        "UniCRM-Signature": callback_signature(key, ts, raw),
        "Content-Type": "application/json",
    }


async def test_provider_callbacks_move_the_status_forward(
    anonymous_client, unicrm_state, configure, provider
):
    rt = configure(callback_secret="provider-shared-secret")
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    message = await send(unicrm_state, malee, channel="sms")
    await run_jobs(unicrm_state)

    for event in ("delivered", "clicked", "opened"):
        body, headers = signed({"event": event, "provider_id": "prov-1"}, rt)
        response = await anonymous_client.post(
            "/messaging/callbacks/sms", content=body, headers=headers
        )
        assert response.status_code == 200

    assert response.json() == {"status": "clicked"}
    async with unicrm_state.db.session() as session:
        statuses = (
            await session.scalars(
                select(MessageStatusChange.status)
                .where(MessageStatusChange.message_id == message.id)
                .order_by(MessageStatusChange.occurred_at, MessageStatusChange.id)
            )
        ).all()
    assert [s.value for s in statuses] == ["queued", "sent", "delivered", "clicked", "opened"]
    assert (await load_message(unicrm_state, message.id)).status is MessageStatus.CLICKED


async def test_a_hard_bounce_suppresses_the_address(
    anonymous_client, unicrm_state, configure, smtp
):
    rt = configure()
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    message = await send(unicrm_state, malee)
    await run_jobs(unicrm_state)
    soft, soft_headers = signed(
        {"event": "bounced", "message_id": str(message.id), "bounce": "soft"}, rt
    )
    hard, hard_headers = signed(
        {"event": "bounced", "message_id": str(message.id), "reason": "550 no such user"}, rt
    )

    await anonymous_client.post("/messaging/callbacks/email", content=soft, headers=soft_headers)
    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(Suppression)) is None
    await anonymous_client.post("/messaging/callbacks/email", content=hard, headers=hard_headers)

    bounced = await load_message(unicrm_state, message.id)
    assert (bounced.status, bounced.reason) == (MessageStatus.BOUNCED, "550 no such user")
    async with unicrm_state.db.session() as session:
        suppression = await session.scalar(select(Suppression))
    assert (suppression.reason, suppression.purpose) == (SuppressionReason.BOUNCED, "all")
    assert suppression.message_id == message.id
    later = await send(unicrm_state, malee, sender_key="campaign:2")
    assert later.reason_code == "SUPPRESSED"


async def test_unsigned_stale_or_malformed_callbacks_are_refused(
    anonymous_client, unicrm_state, configure
):
    rt = configure()
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    message = await send(unicrm_state, malee)
    good = {"event": "delivered", "message_id": str(message.id)}
    body, headers = signed(good, rt)
    stale_body, stale = signed(good, rt, stamp=int(time.time()) - 3600)
    bad_body, bad = signed({"event": "teleported", "message_id": str(message.id)}, rt)

    answers = [
        await anonymous_client.post(
            "/messaging/callbacks/email",
            content=body,
            headers={**headers, "UniCRM-Signature": "sha256=00"},
        ),
        await anonymous_client.post(
            "/messaging/callbacks/email", content=stale_body, headers=stale
        ),
        await anonymous_client.post("/messaging/callbacks/email", content=bad_body, headers=bad),
        await anonymous_client.post("/messaging/callbacks/fax", content=body, headers=headers),
    ]

    assert [a.status_code for a in answers] == [401, 401, 400, 404]
    assert (await load_message(unicrm_state, message.id)).status is MessageStatus.QUEUED
