"""Inbound e-mail and web forms: a message from a customer opens a case or continues one.

An e-mail is parsed with the standard library (``email``, the default policy). It continues
the case whose messages it answers (``In-Reply-To``/``References`` naming a Message-ID the
case already holds, or the Message-ID of a reply the team e-mailed) or whose tag ``[case:<id>]`` its subject carries, unless that case is
closed; otherwise it opens a new ``EMAIL`` case. The sender is the customer with that e-mail
address, or a new customer. Attachments are recorded as metadata (name, type, size); their
bytes are not kept.
"""

from __future__ import annotations

import email
import re
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.contacts.models import CustomerEmail
from unicrm.core.graph.contacts.services import add_email, normalize_email
from unicrm.core.graph.customers.models import Customer, CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import InvalidGlobalId, from_global_id
from unicrm.core.graph.teams.models import Team
from unicrm.core.messaging.models import Message
from unicrm.plugins.crm.models import Case, CaseChannel, CaseMessage, CaseMessageKind, CaseStatus
from unicrm.plugins.crm.services import cases

CASE_TAG = re.compile(r"\[case:([A-Za-z0-9+/=_-]+)\]")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
MAX_EMAIL_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Received:
    """What an inbound message did: the case, its message, and whether the case is new."""

    case: Case
    message: CaseMessage
    opened: bool


async def customer_by_email(
    session: AsyncSession, address: str, display_name: str | None, field: str = "from"
) -> Customer:
    """The customer with ``address`` (the oldest one when several share it), or a new person
    named after the sender."""
    normalized = normalize_email(address, field)
    found = await session.scalar(
        select(Customer)
        .join(CustomerEmail, CustomerEmail.customer_id == Customer.id)
        .where(CustomerEmail.address == normalized)
        .order_by(Customer.created_at, Customer.id)
        .limit(1)
    )
    if found is not None:
        return found
    name = (display_name or "").strip() or normalized.split("@")[0]
    customer = await create_customer(
        session, CustomerData(kind=CustomerKind.PERSON, first_name=name[:100])
    )
    await add_email(session, customer.id, normalized, is_primary=True)
    return customer


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_type() == "text/html":
        content = re.sub(r"<[^>]+>", " ", content)
    return content.strip()


def _attachments(message: EmailMessage, message_id: str) -> list[cases.AttachmentData]:
    found = []
    for i, part in enumerate(message.iter_attachments()):
        payload = part.get_payload(decode=True) or b""
        if not payload:
            continue
        found.append(
            cases.AttachmentData(
                filename=(part.get_filename() or f"attachment-{i + 1}")[:255],
                content_type=part.get_content_type(),
                size_bytes=len(payload),
                url=f"mid:{message_id.strip('<>')}/{i + 1}",
            )
        )
    return found


async def _thread(session: AsyncSession, message: EmailMessage, subject: str) -> Case | None:
    """The case this e-mail continues, if any."""
    refs = MESSAGE_ID.findall(f"{message.get('In-Reply-To', '')} {message.get('References', '')}")
    if refs:
        case = await session.scalar(
            select(Case)
            .join(CaseMessage, CaseMessage.case_id == Case.id)
            .where(CaseMessage.email_message_id.in_(refs))
            .order_by(CaseMessage.created_at.desc())
            .limit(1)
        )
        if case is not None:
            return case
        case = await session.scalar(
            select(Case)
            .join(CaseMessage, CaseMessage.case_id == Case.id)
            .join(Message, Message.id == CaseMessage.outbound_message_id)
            .where(Message.provider_id.in_(refs))
            .order_by(CaseMessage.created_at.desc())
            .limit(1)
        )
        if case is not None:
            return case
    tag = CASE_TAG.search(subject)
    if tag:
        try:
            type_name, pk = from_global_id(tag.group(1))
        except InvalidGlobalId:
            return None
        if type_name == "Case":
            return await session.get(Case, pk)
    return None


async def team_named(session: AsyncSession, name: str) -> uuid.UUID | None:
    """The queue of inbound cases (``crm.inbound_team``), None when unset or unknown."""
    if not name.strip():
        return None
    return await session.scalar(
        select(Team.id).where(Team.name == name.strip()).order_by(Team.id).limit(1)
    )


async def receive_email(
    session: AsyncSession, raw: bytes, zone: ZoneInfo, reopen_days: int, team: str = ""
) -> Received:
    """Turn one received e-mail into a case or a message of its case."""
    if len(raw) > MAX_EMAIL_BYTES:
        raise DomainError.single("TOO_LARGE", "the e-mail is too large", None)
    parsed = email.message_from_bytes(raw, _class=EmailMessage, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    name, sender = parseaddr(str(parsed.get("From", "")))
    if not sender:
        senders = getaddresses([str(parsed.get("Reply-To", ""))])
        name, sender = senders[0] if senders else ("", "")
    if not sender:
        raise DomainError.single("REQUIRED", "the e-mail has no sender", "from")
    subject = " ".join(str(parsed.get("Subject", "")).split()) or "(no subject)"
    message_id = (MESSAGE_ID.findall(str(parsed.get("Message-ID", ""))) or [None])[0]
    if message_id is not None:
        known = await session.scalar(
            select(CaseMessage).where(CaseMessage.email_message_id == message_id)
        )
        if known is not None:  # a redelivery: nothing twice
            return Received(await cases.get_case(session, known.case_id), known, False)
    body = _text_of(parsed) or subject
    files = _attachments(parsed, message_id or uuid.uuid4().hex)
    case = await _thread(session, parsed, subject)
    customer = await customer_by_email(session, sender, name)
    if (
        case is not None
        and case.status is not CaseStatus.CLOSED
        and case.customer_id == customer.id
    ):
        added = await cases.add_message(
            session,
            case.id,
            CaseMessageKind.CUSTOMER,
            body[: cases.MAX_BODY],
            attachments=files,
            author_name=name or sender,
            reopen_days=reopen_days,
            zone=zone,
        )
        added.email_message_id = message_id
        return Received(case, added, False)
    opened = await cases.open_case(
        session,
        cases.CaseData(
            customer_id=customer.id,
            subject=CASE_TAG.sub("", subject).strip()[: cases.MAX_SUBJECT] or "(no subject)",
            channel=CaseChannel.EMAIL,
            team_id=await team_named(session, team),
        ),
        zone,
    )
    first = await cases.add_message(
        session,
        opened.id,
        CaseMessageKind.CUSTOMER,
        body[: cases.MAX_BODY],
        attachments=files,
        author_name=name or sender,
        reopen_days=reopen_days,
        zone=zone,
    )
    first.email_message_id = message_id
    return Received(opened, first, True)


@dataclass(frozen=True, slots=True)
class WebForm:
    name: str
    email: str
    subject: str
    message: str
    category: str | None = None


async def receive_form(
    session: AsyncSession, form: WebForm, zone: ZoneInfo, reopen_days: int, team: str = ""
) -> Received:
    """Open a ``WEB_FORM`` case with the customer's message, the customer found by e-mail."""
    errors = []
    if not form.message.strip():
        errors.append(FieldError("REQUIRED", "write a message", "message"))
    if not form.email.strip():
        errors.append(FieldError("REQUIRED", "give your e-mail address", "email"))
    if len(form.name) > 150:
        errors.append(FieldError("TOO_LONG", "at most 150 characters", "name"))
    if errors:
        raise DomainError(*errors)
    customer = await customer_by_email(session, form.email, form.name, "email")
    opened = await cases.open_case(
        session,
        cases.CaseData(
            customer_id=customer.id,
            subject=form.subject,
            channel=CaseChannel.WEB_FORM,
            category=form.category,
            team_id=await team_named(session, team),
        ),
        zone,
    )
    first = await cases.add_message(
        session,
        opened.id,
        CaseMessageKind.CUSTOMER,
        form.message,
        author_name=form.name or form.email,
        reopen_days=reopen_days,
        zone=zone,
    )
    return Received(opened, first, True)
