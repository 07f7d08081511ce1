"""Core's e-mail channel: SMTP through aiosmtplib, with RFC 8058 one-click unsubscribe."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from unicrm.core.config import SmtpSettings, SmtpTls
from unicrm.core.graph.consents.models import ConsentChannel
from unicrm.core.messaging.channels import (
    EMAIL,
    AddressKind,
    Channel,
    Delivery,
    DeliveryError,
    OutgoingMessage,
)

PERMANENT_SMTP_CODES = range(500, 600)


def build_email(settings: SmtpSettings, message: OutgoingMessage) -> EmailMessage:
    """The MIME message: text, with an HTML alternative when there is one."""
    mail = EmailMessage()
    mail["From"] = settings.from_address
    mail["To"] = message.to
    mail["Subject"] = message.subject or ""
    if settings.reply_to:
        mail["Reply-To"] = settings.reply_to
    domain = settings.from_address.rpartition("@")[2].rstrip(">").strip() or None
    mail["Message-ID"] = make_msgid(idstring=message.message_id, domain=domain)
    mail["X-UniCRM-Message-Id"] = message.message_id
    if message.unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(message.text)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    return mail


class EmailProvider:
    """Sends through the configured SMTP server; the provider id is the Message-ID."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    async def send(self, message: OutgoingMessage) -> Delivery:
        s = self.settings
        mail = build_email(s, message)
        try:
            await aiosmtplib.send(
                mail,
                hostname=s.host,
                port=s.port,
                username=s.user or None,
                password=s.password.get_secret_value() or None,
                use_tls=s.tls is SmtpTls.TLS,
                start_tls=s.tls is SmtpTls.STARTTLS,
                timeout=s.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            permanent = all(code in PERMANENT_SMTP_CODES for code in codes)
            raise DeliveryError(f"recipient refused: {codes}", permanent=permanent) from None
        except aiosmtplib.SMTPResponseException as exc:
            permanent = exc.code in PERMANENT_SMTP_CODES
            raise DeliveryError(f"SMTP {exc.code}: {exc.message}", permanent=permanent) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP server unreachable: {type(exc).__name__}") from None
        return Delivery(provider_id=str(mail["Message-ID"]))


def email_channel(settings: SmtpSettings) -> Channel:
    return Channel(
        name=EMAIL,
        title="E-mail",
        address_kind=AddressKind.EMAIL,
        consent_channel=ConsentChannel.EMAIL,
        adapter=EmailProvider(settings),
    )
