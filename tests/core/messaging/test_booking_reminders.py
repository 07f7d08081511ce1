"""Booking reminders go through the contact policy: a due reminder becomes one service e-mail
on the real SMTP server, once; without a template reminders wait; a suppressed address gets
a blocked message, never a silent drop."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from messaging_support import add_customer, add_templates, run_jobs
from sqlalchemy import select

from unicrm.core.graph.bookings.models import Booking, BookingKind, ResourceKind
from unicrm.core.graph.bookings.reminders import TEMPLATE, send_due_reminders
from unicrm.core.graph.bookings.services import (
    BookingData,
    ResourceData,
    create_booking,
    save_resource,
)
from unicrm.core.graph.stores import hours
from unicrm.core.graph.stores.services import StoreData, create_store
from unicrm.core.jobs.contracts import JobRun
from unicrm.core.messaging.models import Message, MessageStatus
from unicrm.core.messaging.services import TemplateData, add_suppression

BANGKOK = ZoneInfo("Asia/Bangkok")
REMINDER = TemplateData(
    key=TEMPLATE,
    channel="email",
    locale="th",
    subject="See you at {{ booking.store }}",
    text_body="{{ customer.first_name }}, your {{ booking.kind }} at {{ booking.store }} "
    "({{ booking.resource }}) starts {{ booking.starts_at }}.",
    variables=("booking",),
)


async def booked(state, customer: uuid.UUID) -> uuid.UUID:
    """A booking tomorrow at noon in Bangkok, made three days ago with its reminder due two
    days before the start (so it is due now)."""
    tomorrow = datetime.now(BANGKOK).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(12), BANGKOK)
    async with state.db.transaction() as session:
        store = await create_store(
            session,
            StoreData(
                code="BKK-09",
                name="Store BKK-09",
                line1="1 Rama I Rd",
                province="Bangkok",
                postal_code="10330",
                opening_hours=[hours.Interval(day, "10:00", "22:00") for day in range(7)],
            ),
            "Asia/Bangkok",
        )
        resource = await save_resource(
            session,
            None,
            ResourceData(
                store_id=store.id,
                kind=ResourceKind.TABLE,
                name="Window table",
                capacity=4,
                slot_minutes=60,
            ),
        )
        data = BookingData(
            customer, resource.id, BookingKind.TABLE, start, start + timedelta(hours=1)
        )
        booking = await create_booking(
            session, data, now=datetime.now(UTC) - timedelta(days=3), reminder=timedelta(days=2)
        )
    return booking.id


async def messages(state) -> list[Message]:
    async with state.db.session() as session:
        return list(await session.scalars(select(Message)))


async def test_a_due_reminder_is_one_service_email_sent_once(unicrm_state, configure, smtp):
    configure()
    customer = await add_customer(unicrm_state, consent=())  # service mail needs no consent
    booking = await booked(unicrm_state, customer)
    await add_templates(unicrm_state, REMINDER)
    job = unicrm_state.registry.job_types["core.bookings_remind"]
    schedule = unicrm_state.registry.schedules["core.bookings_remind"]
    run = JobRun(uuid.uuid4(), job.name, schedule.args, 1, job.max_attempts, None)

    for _ in range(2):  # a retried run sends nothing twice
        async with unicrm_state.db.transaction() as session:
            await job.handler(run, session)
    await run_jobs(unicrm_state)

    (message,) = await messages(unicrm_state)
    assert (message.sender_key, message.purpose.value) == (f"booking-reminder:{booking}", "service")
    assert message.status is MessageStatus.SENT
    (mail,) = smtp.mails
    assert mail["To"] == "malee@example.co.th"
    assert mail["Subject"].startswith("See you at Store BKK-09")
    assert "Malee, your table at Store BKK-09" in mail.get_content()
    async with unicrm_state.db.session() as session:
        assert (await session.get(Booking, booking)).reminded_at is not None


async def test_without_a_template_reminders_wait_and_go_out_once_one_exists(
    unicrm_state, configure
):
    configure()
    customer = await add_customer(unicrm_state)
    booking = await booked(unicrm_state, customer)

    async with unicrm_state.db.transaction() as session:
        assert await send_due_reminders(session, channel="email") == 0
    async with unicrm_state.db.session() as session:
        assert (await session.get(Booking, booking)).reminded_at is None
    await add_templates(unicrm_state, REMINDER)
    async with unicrm_state.db.transaction() as session:
        assert await send_due_reminders(session, channel="email") == 1

    assert [m.status for m in await messages(unicrm_state)] == [MessageStatus.QUEUED]


async def test_a_suppressed_address_gets_a_blocked_reminder_not_a_silent_drop(
    unicrm_state, configure, smtp
):
    configure()
    customer = await add_customer(unicrm_state)
    await booked(unicrm_state, customer)
    await add_templates(unicrm_state, REMINDER)
    async with unicrm_state.db.transaction() as session:
        await add_suppression(
            session, channel="email", address="malee@example.co.th", purpose=None, note="bounced"
        )

    async with unicrm_state.db.transaction() as session:
        await send_due_reminders(session, channel="email")
    await run_jobs(unicrm_state)

    (message,) = await messages(unicrm_state)
    assert message.status is MessageStatus.BLOCKED
    assert smtp.mails == []
