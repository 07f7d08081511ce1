"""Fixtures of the MA tests: a real SMTP server (aiosmtpd) and the messaging runtime on it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from unicrm.core.config import MessagingSettings
from unicrm.core.messaging import runtime

PUBLIC_URL = "http://unicrm.test"


@dataclass
class Inbox:
    port: int = 0
    mails: list[MimeMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def html(self, i: int = -1) -> str:
        return self.mails[i].get_body(("html",)).get_content()

    def recipients(self) -> list[str]:
        return [m["To"] for m in self.mails]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def inbox(unicrm_state) -> Iterator[Inbox]:
    """A real SMTP server, with the messaging runtime sending to it (no quiet hours, no caps)
    and the app's test address as its public URL; restored afterwards."""
    box = Inbox(port=_free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    values: dict[str, Any] = {
        "smtp": {"host": "127.0.0.1", "port": box.port, "from_address": "Shop <news@shop.test>"},
        "public_url": PUBLIC_URL,
        "quiet_hours_start": None,
        "quiet_hours_end": None,
        "frequency_caps": {},
    }
    settings = unicrm_state.settings.model_copy(update={"messaging": MessagingSettings(**values)})
    runtime.configure(settings, unicrm_state.registry.channels)
    try:
        yield box
    finally:
        controller.stop()
        runtime.configure(unicrm_state.settings, unicrm_state.registry.channels)
