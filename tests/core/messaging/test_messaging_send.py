"""Sending through the contact policy: records, delivery over real SMTP and real HTTP,
idempotency, blocks, quiet hours and retries (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parseaddr

import pytest
from messaging_support import (
    add_customer,
    add_templates,
    grant,
    load_message,
    make_jobs_due,
    message_counts,
    run_jobs,
)
from sqlalchemy import select

from unicrm.core.errors import DomainError
from unicrm.core.graph.consents.models import ConsentChannel
from unicrm.core.jobs.models import Job
from unicrm.core.messaging import services
from unicrm.core.messaging.models import (
    MessagePurpose,
    MessageStatus,
    MessageStatusChange,
    SuppressionReason,
)
from unicrm.core.messaging.tokens import read_unsubscribe_token


async def send(state, customer_id, *, channel="email", sender_key="campaign:1", **kw):
    args = {
        "purpose": MessagePurpose.MARKETING,
        "template": "welcome",
        "context": {"code": "A1"},
        **kw,
    }
    async with state.db.transaction() as session:
        return await services.send(
            session, customer_id=customer_id, channel=channel, sender_key=sender_key, **args
        )


async def history(state, message_id) -> list[str]:
    async with state.db.session() as session:
        rows = await session.scalars(
            select(MessageStatusChange.status)
            .where(MessageStatusChange.message_id == message_id)
            .order_by(MessageStatusChange.occurred_at, MessageStatusChange.id)
        )
        return [s.value for s in rows]


async def test_an_email_is_queued_then_delivered_over_smtp(unicrm_state, configure, smtp):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)

    message = await send(unicrm_state, malee)

    assert message.status is MessageStatus.QUEUED
    assert message.address == "malee@example.co.th"
    assert message.subject == "สวัสดี Malee"
    assert smtp.mails == []
    assert await run_jobs(unicrm_state) == 1

    [mail] = smtp.mails
    assert mail["To"] == "malee@example.co.th"
    assert parseaddr(mail["From"])[1] == "news@shop.test"
    assert str(mail["Subject"]) == "สวัสดี Malee"
    link = mail["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://unicrm.test/messaging/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = link.rsplit("/", 1)[1]
    assert read_unsubscribe_token(configure().secret, token) == message.id
    text, html = (part.get_content() for part in mail.iter_parts())
    assert "your code is A1" in text and link in text
    assert "<b>A1</b>" in html
    sent = await load_message(unicrm_state, message.id)
    assert sent.status is MessageStatus.SENT
    assert sent.provider_id == mail["Message-ID"]
    assert sent.sent_at is not None
    assert await history(unicrm_state, message.id) == ["queued", "sent"]


async def test_a_service_message_has_no_unsubscribe_link_and_needs_no_consent(
    unicrm_state, configure, smtp
):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state, consent=())

    message = await send(unicrm_state, malee, purpose=MessagePurpose.SERVICE)
    await run_jobs(unicrm_state)

    assert message.status is MessageStatus.QUEUED
    [mail] = smtp.mails
    assert mail["List-Unsubscribe"] is None
    assert "unicrm.test/messaging/unsubscribe" not in mail.get_body(("plain",)).get_content()


async def test_a_repeated_send_returns_the_first_message_and_sends_once(
    unicrm_state, configure, smtp
):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)

    first = await send(unicrm_state, malee)
    again = await send(unicrm_state, malee, context={"code": "B2"})
    await run_jobs(unicrm_state)
    await send(unicrm_state, malee)
    await run_jobs(unicrm_state)

    assert again.id == first.id
    assert len(smtp.mails) == 1
    assert (await message_counts(unicrm_state))["messages"] == 1
    other_sender = await send(unicrm_state, malee, sender_key="campaign:2")
    assert other_sender.id != first.id


async def test_concurrent_sends_of_one_sender_make_one_message(
    unicrm_state, configure, smtp, unicrm_backend
):
    if unicrm_backend != "postgres":
        pytest.skip("concurrent writers need PostgreSQL")
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)

    messages = await asyncio.gather(*[send(unicrm_state, malee) for _ in range(6)])
    await run_jobs(unicrm_state)

    assert len({m.id for m in messages}) == 1
    counts = await message_counts(unicrm_state)
    assert (counts["messages"], counts["jobs"]) == (1, 1)
    assert len(smtp.mails) == 1


async def test_concurrent_sends_of_many_senders_respect_the_frequency_cap(
    unicrm_state, configure, unicrm_backend
):
    if unicrm_backend != "postgres":
        pytest.skip("concurrent writers need PostgreSQL")
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)

    messages = await asyncio.gather(
        *[send(unicrm_state, malee, sender_key=f"campaign:{i}") for i in range(6)]
    )

    statuses = sorted(m.status.value for m in messages)
    assert statuses == ["blocked"] * 3 + ["queued"] * 3


async def test_without_consent_the_send_is_recorded_blocked(unicrm_state, configure, smtp):
    await add_templates(unicrm_state)
    never = await add_customer(unicrm_state, "Never", email="never@example.co.th", consent=())
    gone = await add_customer(unicrm_state, "Gone", email="gone@example.co.th")
    async with unicrm_state.db.transaction() as session:
        await grant(session, gone, ConsentChannel.EMAIL, granted=False)

    no_consent = await send(unicrm_state, never)
    withdrawn = await send(unicrm_state, gone)
    await run_jobs(unicrm_state)

    assert (no_consent.status, no_consent.reason_code) == (MessageStatus.BLOCKED, "NO_CONSENT")
    assert (withdrawn.status, withdrawn.reason_code) == (
        MessageStatus.BLOCKED,
        "CONSENT_WITHDRAWN",
    )
    assert "withdrawn" in withdrawn.reason
    assert withdrawn.text_body is None
    assert smtp.mails == []
    counts = await message_counts(unicrm_state)
    assert (counts["messages"], counts["history"], counts["jobs"]) == (2, 2, 0)


async def test_a_suppressed_address_is_blocked_for_every_purpose(unicrm_state, configure):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        await services.add_suppression(
            session, channel="email", address=" Malee@Example.co.th ", purpose=None, note=None
        )

    marketing = await send(unicrm_state, malee)
    service = await send(unicrm_state, malee, sender_key="receipt:1", purpose="service")

    assert marketing.reason_code == service.reason_code == "SUPPRESSED"
    sms = await send(unicrm_state, malee, channel="sms")
    assert sms.status is MessageStatus.QUEUED  # suppressed on e-mail only


async def test_the_frequency_cap_counts_marketing_across_senders(unicrm_state, configure):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)

    sent = [await send(unicrm_state, malee, sender_key=f"campaign:{i}") for i in range(3)]
    receipt = await send(unicrm_state, malee, sender_key="receipt:1", purpose="service")
    fourth = await send(unicrm_state, malee, sender_key="campaign:4")
    sms = await send(unicrm_state, malee, channel="sms", sender_key="campaign:4")

    assert [m.status for m in sent] == [MessageStatus.QUEUED] * 3
    assert receipt.status is MessageStatus.QUEUED
    assert (fourth.status, fourth.reason_code) == (MessageStatus.BLOCKED, "FREQUENCY_CAP")
    assert "3 email messages per 7 days" in fourth.reason
    assert sms.status is MessageStatus.QUEUED  # no cap configured for sms


async def test_blocked_and_failed_messages_do_not_count_against_the_cap(unicrm_state, configure):
    configure(frequency_caps={"email": {"count": 1, "days": 7}})
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        suppression = await services.add_suppression(
            session, channel="email", address="malee@example.co.th", purpose=None, note=None
        )
    blocked = await send(unicrm_state, malee, sender_key="campaign:1")
    async with unicrm_state.db.transaction() as session:
        await services.remove_suppression(session, suppression.id)

    allowed = await send(unicrm_state, malee, sender_key="campaign:2")

    assert blocked.reason_code == "SUPPRESSED"
    assert allowed.status is MessageStatus.QUEUED


async def test_a_customer_without_an_address_is_blocked(unicrm_state, configure):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state, email=None, phone=None)

    message = await send(unicrm_state, malee)

    assert (message.status, message.reason_code) == (MessageStatus.BLOCKED, "NO_ADDRESS")
    assert message.address is None


async def test_quiet_hours_defer_the_send_to_their_end(unicrm_state, configure):
    configure(quiet_hours_start="21:00", quiet_hours_end="08:00")
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    late = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)  # 22:30 in Bangkok
    morning = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 08:00 the next day in Bangkok
    noon = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)

    deferred = await send(unicrm_state, malee, now=late)
    daytime = await send(unicrm_state, malee, sender_key="campaign:2", now=noon)

    assert deferred.status is MessageStatus.QUEUED
    assert deferred.send_at == morning
    assert daytime.send_at == noon
    async with unicrm_state.db.session() as session:
        run_at = await session.scalar(
            select(Job.run_at).where(Job.unique_key == f"message:{deferred.id}")
        )
    assert run_at == morning


async def test_an_sms_goes_to_the_http_provider(unicrm_state, configure, provider):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)

    message = await send(unicrm_state, malee, channel="sms")
    await run_jobs(unicrm_state)

    [(headers, body)] = provider.received
    assert headers["idempotency-key"] == str(message.id)
    assert headers["authorization"] == "Bearer sms-token"
    assert body["to"] == "+66812345678"
    assert body["text"] == "Code A1"
    assert body["channel"] == "sms"
    assert body["metadata"] == {"sender_key": "campaign:1", "template": "welcome"}
    sent = await load_message(unicrm_state, message.id)
    assert (sent.status, sent.provider_id) == (MessageStatus.SENT, "prov-1")


async def test_provider_errors_are_retried_until_it_accepts(unicrm_state, configure, provider):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    provider.script[:] = [503, 429]

    message = await send(unicrm_state, malee, channel="sms")
    for _ in range(3):
        await run_jobs(unicrm_state)
        await make_jobs_due(unicrm_state)

    assert len(provider.received) == 3
    assert len({h["idempotency-key"] for h, _ in provider.received}) == 1
    sent = await load_message(unicrm_state, message.id)
    assert (sent.status, sent.provider_id) == (MessageStatus.SENT, "prov-3")
    async with unicrm_state.db.session() as session:
        job = await session.scalar(select(Job).where(Job.unique_key == f"message:{message.id}"))
    assert (job.status, job.attempts) == ("succeeded", 3)
    assert await history(unicrm_state, message.id) == ["queued", "sent"]


async def test_a_provider_refusal_fails_the_message_without_retrying(
    unicrm_state, configure, provider
):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    provider.script[:] = [400]

    message = await send(unicrm_state, malee, channel="sms")
    await run_jobs(unicrm_state)
    await make_jobs_due(unicrm_state)
    await run_jobs(unicrm_state)

    assert len(provider.received) == 1
    failed = await load_message(unicrm_state, message.id)
    assert (failed.status, failed.reason_code) == (MessageStatus.FAILED, "PROVIDER_ERROR")
    assert "400" in failed.reason


async def test_the_last_failed_attempt_fails_the_message(unicrm_state, configure, provider):
    configure(max_attempts=2)
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    provider.script[:] = [503, 503, 503]

    message = await send(unicrm_state, malee, channel="sms")
    for _ in range(3):
        await run_jobs(unicrm_state)
        await make_jobs_due(unicrm_state)

    assert len(provider.received) == 2
    failed = await load_message(unicrm_state, message.id)
    assert failed.status is MessageStatus.FAILED
    assert await history(unicrm_state, message.id) == ["queued", "failed"]


async def test_an_smtp_rejection_fails_the_message(unicrm_state, configure, smtp):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state, email="reject@example.co.th")

    message = await send(unicrm_state, malee)
    await run_jobs(unicrm_state)

    failed = await load_message(unicrm_state, message.id)
    assert (failed.status, failed.reason_code) == (MessageStatus.FAILED, "PROVIDER_ERROR")
    assert "550" in failed.reason
    assert smtp.mails == []


async def test_an_unreachable_smtp_server_is_retried(unicrm_state, configure, smtp):
    configure(smtp={"host": "127.0.0.1", "port": 9, "timeout_seconds": 2})
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)

    message = await send(unicrm_state, malee)
    await run_jobs(unicrm_state)

    assert (await load_message(unicrm_state, message.id)).status is MessageStatus.QUEUED
    async with unicrm_state.db.session() as session:
        job = await session.scalar(select(Job).where(Job.unique_key == f"message:{message.id}"))
    assert job.status == "failed"
    assert "unreachable" in job.last_error


async def test_consent_withdrawn_while_queued_blocks_at_delivery(unicrm_state, configure, smtp):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    message = await send(unicrm_state, malee)
    async with unicrm_state.db.transaction() as session:
        await grant(session, malee, ConsentChannel.EMAIL, granted=False)

    await run_jobs(unicrm_state)

    blocked = await load_message(unicrm_state, message.id)
    assert (blocked.status, blocked.reason_code) == (MessageStatus.BLOCKED, "CONSENT_WITHDRAWN")
    assert smtp.mails == []
    assert await history(unicrm_state, message.id) == ["queued", "blocked"]


async def test_the_customer_locale_picks_the_template(unicrm_state, configure, smtp):
    english = services.TemplateData(
        key="welcome",
        channel="email",
        locale="en",
        subject="Hi",
        text_body="Hi {{ code }}",
        variables=("code",),
    )
    await add_templates(unicrm_state, english)
    thai = await add_customer(unicrm_state, "Thai", email="thai@example.co.th")
    en = await add_customer(
        unicrm_state, "En", email="en@example.co.th", attributes={"locale": "en"}
    )

    for_en = await send(unicrm_state, en)
    # The default locale (th) has no template: the only one found is used.
    with pytest.raises(DomainError) as missing:
        await send(unicrm_state, thai)

    assert (for_en.locale, for_en.text_body) == ("en", "Hi A1")
    assert missing.value.errors[0].code == "NOT_FOUND"
    await add_templates(unicrm_state)
    assert (await send(unicrm_state, thai)).locale == "th"
    assert (await send(unicrm_state, en, sender_key="campaign:th", locale="th")).locale == "th"


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"channel": "fax"}, "UNKNOWN_CHANNEL", "channel"),
        ({"template": "nope"}, "NOT_FOUND", "template"),
        ({"context": {}}, "MISSING_VARIABLE", "context"),
        ({"context": {"code": "A", "extra": 1}}, "UNKNOWN_VARIABLE", "context"),
        ({"sender_key": " "}, "REQUIRED", "sender_key"),
        ({"purpose": "spam"}, "INVALID", "purpose"),
        ({"locale": "fr"}, "INVALID", "locale"),
    ],
)
async def test_bad_input_is_a_typed_error_and_writes_nothing(
    unicrm_state, configure, kwargs, code, field
):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    before = await message_counts(unicrm_state)

    with pytest.raises(DomainError) as raised:
        await send(unicrm_state, malee, **kwargs)

    assert (raised.value.errors[0].code, raised.value.errors[0].field) == (code, field)
    assert await message_counts(unicrm_state) == before


async def test_a_render_error_names_the_line_and_sends_nothing(unicrm_state, configure):
    broken = services.TemplateData(
        key="broken",
        channel="email",
        locale="th",
        subject="Hi",
        text_body="Hello\n{{ code.missing_attribute }}",
        variables=("code",),
    )
    await add_templates(unicrm_state, broken)
    malee = await add_customer(unicrm_state)

    with pytest.raises(DomainError) as raised:
        await send(unicrm_state, malee, template="broken")

    assert raised.value.errors[0].code == "RENDER_ERROR"
    assert raised.value.errors[0].message.startswith("line 2:")
    assert (await message_counts(unicrm_state))["messages"] == 0


async def test_suppression_reason_is_in_the_block_reason(unicrm_state, configure):
    await add_templates(unicrm_state)
    malee = await add_customer(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        await services.suppress(
            session,
            channel="email",
            address="malee@example.co.th",
            reason=SuppressionReason.BOUNCED,
        )

    message = await send(unicrm_state, malee)

    assert message.reason == "the address is suppressed on email (bounced)"
