"""Fixtures of the messaging tests: a real SMTP server (aiosmtpd), a fake SMS provider served
over real HTTP (starlette + uvicorn), and the messaging runtime pointed at both."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from unicrm.core.config import MessagingSettings
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
from unicrm.core.messaging import runtime
from unicrm.core.messaging.channels import AddressKind, Channel, HttpJsonProvider
from unicrm.core.messaging.models import Message, MessageStatusChange, Suppression
from unicrm.core.messaging.services import TemplateData, create_template


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Inbox:
    """An aiosmtpd handler keeping every message; recipients starting "reject" get a 550."""

    port: int = 0
    mails: list[MimeMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.mails.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Any:
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


@dataclass
class FakeProvider:
    """An SMS provider over HTTP: answers the scripted statuses in turn, then 200."""

    url: str = ""
    script: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)

    async def endpoint(self, request: Request) -> JSONResponse:
        self.received.append((dict(request.headers), await request.json()))
        status = self.script.pop(0) if self.script else 200
        if status == 200:
            return JSONResponse({"id": f"prov-{len(self.received)}"})
        return JSONResponse({"error": "scripted"}, status_code=status)


@pytest.fixture(scope="session")
async def http_provider() -> AsyncIterator[FakeProvider]:
    fake = FakeProvider()
    port = free_port()
    app = Starlette(routes=[Route("/sms", fake.endpoint, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.01)
    fake.url = f"http://127.0.0.1:{port}/sms"
    yield fake
    server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture
def provider(http_provider: FakeProvider) -> FakeProvider:
    http_provider.script.clear()
    http_provider.received.clear()
    return http_provider


Configure = Callable[..., runtime.Runtime]


@pytest.fixture
def configure(unicrm_state, smtp, provider) -> Any:
    """``configure(**messaging settings)``: the runtime on the test SMTP server and an ``sms``
    channel on the fake provider; no quiet hours unless given. Restored afterwards."""

    def apply(**overrides: Any) -> runtime.Runtime:
        values: dict[str, Any] = {
            "smtp": {
                "host": "127.0.0.1",
                "port": smtp.port,
                "from_address": "Shop <news@shop.test>",
            },
            "public_url": "http://unicrm.test",
            "quiet_hours_start": None,
            "quiet_hours_end": None,
            "frequency_caps": {"email": {"count": 3, "days": 7}},
            **overrides,
        }
        settings = unicrm_state.settings.model_copy(
            update={"messaging": MessagingSettings(**values)}
        )
        sms = Channel(
            name="sms",
            title="SMS",
            address_kind=AddressKind.PHONE,
            consent_channel=ConsentChannel.SMS,
            adapter=HttpJsonProvider(url=provider.url, token="sms-token"),
        )
        return runtime.configure(settings, {**unicrm_state.registry.channels, "test": [sms]})

    apply()
    yield apply
    runtime.configure(unicrm_state.settings, unicrm_state.registry.channels)


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


Sender = Callable[..., Awaitable[Message]]
