"""Helpers of the messaging tests: customers with contact points and consents, templates,
running due jobs, counting rows."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update

from unicrm.core.db.types import utcnow
from unicrm.core.graph.consents.models import (
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    ConsentStatus,
)
from unicrm.core.graph.consents.services import ConsentChange, record_consent
from unicrm.core.graph.contacts.services import add_email, add_phone
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.jobs.models import Job
from unicrm.core.jobs.runtime import make_worker
from unicrm.core.messaging.models import Message, MessageStatusChange, Suppression
from unicrm.core.messaging.services import TemplateData, create_template


async def grant(
    session, customer_id: uuid.UUID, channel: ConsentChannel, granted: bool = True
) -> None:
    await record_consent(
        session,
        customer_id,
        ConsentChange(
            ConsentPurpose.MARKETING,
            channel,
            ConsentStatus.GRANTED if granted else ConsentStatus.WITHDRAWN,
            ConsentSource.WEB_FORM,
            policy_version="2026-01" if granted else None,
        ),
    )


async def add_customer(
    state,
    first_name: str = "Malee",
    *,
    email: str | None = "malee@example.co.th",
    phone: str | None = "0812345678",
    consent: tuple[ConsentChannel, ...] = (ConsentChannel.EMAIL, ConsentChannel.SMS),
    attributes: dict[str, Any] | None = None,
) -> uuid.UUID:
    async with state.db.transaction() as session:
        customer = await create_customer(
            session,
            CustomerData(
                kind=CustomerKind.PERSON,
                first_name=first_name,
                last_name="Suksan",
            ),
        )
        if attributes:
            customer.attributes = attributes
        if email:
            await add_email(session, customer.id, email, is_primary=True)
        if phone:
            await add_phone(session, customer.id, phone, is_primary=True)
        for channel in consent:
            await grant(session, customer.id, channel)
    return customer.id


WELCOME = TemplateData(
    key="welcome",
    channel="email",
    locale="th",
    subject="สวัสดี {{ customer.first_name }}",
    text_body="Hello {{ customer.first_name }}, your code is {{ code }}.\n"
    "Unsubscribe: {{ unsubscribe_url }}",
    html_body="<p>Hello {{ customer.first_name }}, code <b>{{ code }}</b></p>",
    variables=("code",),
)
SMS = TemplateData(
    key="welcome", channel="sms", locale="th", text_body="Code {{ code }}", variables=("code",)
)


async def add_templates(state, *templates: TemplateData) -> None:
    async with state.db.transaction() as session:
        for data in templates or (WELCOME, SMS):
            await create_template(session, data)


async def run_jobs(state) -> int:
    return await make_worker(state).run_due()


async def make_jobs_due(state) -> None:
    """Bring retried jobs' run_at to now, as if their backoff had passed."""
    async with state.db.transaction() as session:
        await session.execute(update(Job).values(run_at=utcnow()))


async def count(state, model: type) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def message_counts(state) -> dict[str, int]:
    return {
        "messages": await count(state, Message),
        "history": await count(state, MessageStatusChange),
        "suppressions": await count(state, Suppression),
        "jobs": await count(state, Job),
    }


async def load_message(state, message_id: uuid.UUID) -> Message:
    async with state.db.session() as session:
        return await session.get_one(Message, message_id)
