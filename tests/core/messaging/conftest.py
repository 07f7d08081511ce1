"""Fixtures of the messaging tests: a real SMTP server (aiosmtpd), a fake SMS provider served
over real HTTP (starlette + uvicorn), and the messaging runtime pointed at both."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from unicrm.core.config import MessagingSettings
from unicrm.core.graph.consents.models import ConsentChannel
from unicrm.core.messaging import runtime
from unicrm.core.messaging.channels import AddressKind, Channel, HttpJsonProvider
from unicrm.core.testing.servers import serve


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
    async with serve(Starlette(routes=[Route("/sms", fake.endpoint, methods=["POST"])])) as base:
        fake.url = f"{base}/sms"
        yield fake


@pytest.fixture
def provider(http_provider: FakeProvider) -> FakeProvider:
    http_provider.script.clear()
    http_provider.received.clear()
    return http_provider


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
