"""Helpers of the MA tests: customers with consent, a marketing e-mail sent and tracked."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select

from unicrm.core.graph.consents.models import (
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    ConsentStatus,
)
from unicrm.core.graph.consents.services import ConsentChange, record_consent
from unicrm.core.graph.contacts.services import add_email
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.jobs.runtime import make_worker
from unicrm.core.messaging.models import Message, MessagePurpose, MessageTemplate
from unicrm.core.messaging.services import TemplateData, create_template, send
from unicrm.plugins.ma.services.tracking import track_message

NEWS = TemplateData(
    key="ma-news",
    channel="email",
    locale="th",
    subject="News for {{ customer.first_name }}",
    text_body="See https://shop.test/pricing?from=mail\nUnsubscribe: {{ unsubscribe_url }}",
    html_body="<html><body><p>Hi {{ customer.first_name }}</p>"
    '<a href="https://shop.test/pricing?from=mail&amp;x=1">Pricing</a> '
    '<a href="https://shop.test/blog">Blog</a> '
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a></body></html>',
)
CLICK = re.compile(r'href="(http://unicrm\.test/t/c/[^"]+)"')
PIXEL = re.compile(r'src="(http://unicrm\.test/t/o/[^"]+)"')
BROWSER = {"User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15"}


async def add_person(
    state, first_name: str, email: str | None, *, consent: bool = True
) -> uuid.UUID:
    async with state.db.transaction() as session:
        customer = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name=first_name)
        )
        if email:
            await add_email(session, customer.id, email, is_primary=True)
        if consent:
            await record_consent(
                session,
                customer.id,
                ConsentChange(
                    ConsentPurpose.MARKETING,
                    ConsentChannel.EMAIL,
                    ConsentStatus.GRANTED,
                    ConsentSource.WEB_FORM,
                    policy_version="2026-01",
                ),
            )
    return customer.id


async def send_tracked(state, customer_id: uuid.UUID, sender_key: str = "test-news") -> Message:
    """Send NEWS to the customer with tracking, and deliver it (run the due jobs)."""
    async with state.db.transaction() as session:
        known = select(MessageTemplate.id).where(MessageTemplate.key == NEWS.key)
        if await session.scalar(known) is None:
            await create_template(session, NEWS)
        message = await send(
            session,
            customer_id=customer_id,
            channel="email",
            purpose=MessagePurpose.MARKETING,
            template=NEWS.key,
            sender_key=sender_key,
        )
        await track_message(session, message)
    await make_worker(state).run_due()
    return message


async def count(state, model: type, *where) -> int:
    async with state.db.session() as session:
        stmt = select(func.count()).select_from(model)
        return int(await session.scalar(stmt.where(*where) if where else stmt) or 0)
