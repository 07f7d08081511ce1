"""Sending through the contact policy, delivery jobs, status updates, templates, suppressions.

``send`` is the senders' API: every plugin's messages (campaigns, reminders, coupons) go
through it, so every message passes the contact policy and leaves a record.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.events.outbox import emit
from unicrm.core.graph.consents.models import (
    ConsentPurpose,
    ConsentSource,
    ConsentState,
    ConsentStatus,
)
from unicrm.core.graph.consents.services import ConsentChange, record_consent
from unicrm.core.graph.contacts.services import customer_for_update
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.core.jobs.contracts import JobRun
from unicrm.core.jobs.queue import effect_once, enqueue
from unicrm.core.messaging import policy, templates
from unicrm.core.messaging.channels import Channel, DeliveryError, OutgoingMessage
from unicrm.core.messaging.models import (
    ALL_PURPOSES,
    Message,
    MessagePurpose,
    MessageStatus,
    MessageStatusChange,
    MessageTemplate,
    Suppression,
    SuppressionReason,
)
from unicrm.core.messaging.runtime import Runtime, current
from unicrm.core.messaging.tokens import unsubscribe_token

DELIVER_JOB = "core.message_deliver"
KEY = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,99}\Z")
MAX_SENDER_KEY = 200
MAX_ADDRESS = 500


def _actor_name(session: AsyncSession) -> str:
    return getattr(session.info.get("actor"), "name", None) or "system"


def channel_of(name: str, field: str = "channel") -> Channel:
    channel = current().channels.get(name)
    if channel is None:
        known = ", ".join(sorted(current().channels))
        raise DomainError.single("UNKNOWN_CHANNEL", f"no channel {name!r} (known: {known})", field)
    return channel


def customer_locale(customer: Customer, default: str) -> str:
    locale = (customer.attributes or {}).get("locale")
    return locale if locale in templates.LOCALES else default


def customer_variables(customer: Customer, locale: str) -> dict[str, Any]:
    """What templates see as ``customer``: exactly ``templates.CUSTOMER_FIELDS``."""
    return {
        "display_name": customer.display_name,
        "first_name": customer.first_name or "",
        "last_name": customer.last_name or "",
        "company_name": customer.company_name or "",
        "kind": customer.kind.value,
        "locale": locale,
    }


def parts_of(template: MessageTemplate) -> templates.Parts:
    return templates.Parts(template.subject, template.text_body, template.html_body)


# --- templates -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TemplateData:
    key: str
    channel: str
    locale: str
    text_body: str
    subject: str | None = None
    html_body: str | None = None
    variables: tuple[str, ...] = ()


def _template_errors(data: TemplateData) -> list[FieldError]:
    errors: list[FieldError] = []
    if not KEY.match(data.key):
        errors.append(
            FieldError("INVALID", "a key is lowercase letters, digits, '_', '-' and '.'", "key")
        )
    if data.locale not in templates.LOCALES:
        errors.append(
            FieldError("INVALID", f"locale must be one of {', '.join(templates.LOCALES)}", "locale")
        )
    try:
        channel = channel_of(data.channel)
    except DomainError as error:
        return errors + error.errors
    if channel.name == "email" and not (data.subject or "").strip():
        errors.append(FieldError("REQUIRED", "an e-mail template needs a subject", "subject"))
    if channel.name != "email" and data.html_body is not None:
        errors.append(FieldError("INVALID", "only e-mail templates have an HTML body", "html_body"))
    if len(data.subject or "") > 500:
        errors.append(FieldError("TOO_LONG", "a subject has at most 500 characters", "subject"))
    if not data.text_body.strip():
        errors.append(FieldError("REQUIRED", "a template needs a text body", "text_body"))
    return errors


def _checked(data: TemplateData) -> list[str]:
    """The cleaned variables of valid template data; every problem at once as a DomainError."""
    errors = _template_errors(data)
    variables: list[str] = []
    try:
        variables = templates.check_variables(data.variables)
    except DomainError as error:
        errors += error.errors
    if not errors:
        try:
            templates.check(
                templates.Parts(data.subject, data.text_body, data.html_body), variables
            )
        except DomainError as error:
            errors += error.errors
    if errors:
        raise DomainError(*errors)
    return variables


async def create_template(session: AsyncSession, data: TemplateData) -> MessageTemplate:
    variables = _checked(data)
    values = {
        "id": uuid7(),
        "key": data.key,
        "channel": data.channel,
        "locale": data.locale,
        "subject": data.subject,
        "text_body": data.text_body,
        "html_body": data.html_body,
        "variables": variables,
        "version": 1,
    }
    if not await insert_or_skip(session, MessageTemplate, values, ("key", "channel", "locale")):
        raise DomainError.single(
            "DUPLICATE",
            f"template {data.key!r} exists for {data.channel} in {data.locale}",
            "key",
        )
    return await session.get_one(MessageTemplate, values["id"])


async def _template(session: AsyncSession, template_id: uuid.UUID) -> MessageTemplate:
    row = await session.get(MessageTemplate, template_id, with_for_update=True)
    if row is None:
        raise DomainError.single("NOT_FOUND", "no such template", "id")
    return row


async def update_template(
    session: AsyncSession,
    template_id: uuid.UUID,
    *,
    subject: str | None,
    text_body: str | None,
    html_body: str | None,
    variables: tuple[str, ...] | None,
) -> MessageTemplate:
    """Change a template's content (None keeps a part); the version grows by one."""
    row = await _template(session, template_id)
    data = TemplateData(
        key=row.key,
        channel=row.channel,
        locale=row.locale,
        text_body=row.text_body if text_body is None else text_body,
        subject=row.subject if subject is None else subject,
        html_body=row.html_body if html_body is None else (html_body or None),
        variables=tuple(row.variables) if variables is None else variables,
    )
    cleaned = _checked(data)
    row.subject, row.text_body, row.html_body = data.subject, data.text_body, data.html_body
    row.variables = cleaned
    row.version += 1
    await session.flush()
    return row


async def delete_template(session: AsyncSession, template_id: uuid.UUID) -> MessageTemplate:
    row = await _template(session, template_id)
    await session.delete(row)
    await session.flush()
    return row


async def find_template(
    session: AsyncSession, key: str, channel: str, locales: list[str]
) -> MessageTemplate | None:
    """The template of ``key`` on ``channel`` in the first of ``locales`` it exists in."""
    wanted = list(dict.fromkeys(locales))
    rows = (
        await session.scalars(
            select(MessageTemplate).where(
                MessageTemplate.key == key,
                MessageTemplate.channel == channel,
                MessageTemplate.locale.in_(wanted),
            )
        )
    ).all()
    by_locale = {r.locale: r for r in rows}
    return next((by_locale[loc] for loc in wanted if loc in by_locale), None)


async def _template_for(
    session: AsyncSession,
    rt: Runtime,
    key: str,
    channel: str,
    customer: Customer,
    locale: str | None,
) -> MessageTemplate:
    if locale is not None and locale not in templates.LOCALES:
        raise DomainError.single("INVALID", f"locale must be one of {templates.LOCALES}", "locale")
    default = rt.settings.default_locale
    candidates = [loc for loc in (locale, customer_locale(customer, default), default) if loc]
    found = await find_template(session, key, channel, candidates)
    if found is None:
        raise DomainError.single(
            "NOT_FOUND", f"no template {key!r} for {channel} in {'/'.join(candidates)}", "template"
        )
    return found


@dataclass(frozen=True, slots=True)
class Preview:
    template: MessageTemplate
    rendered: templates.Rendered


async def preview(
    session: AsyncSession,
    *,
    template: str,
    customer_id: uuid.UUID,
    channel: str,
    locale: str | None,
    context: Mapping[str, Any] | None = None,
) -> Preview:
    """Render a template for a customer; declared variables not given show as ``[name]``."""
    rt = current()
    channel_of(channel)
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise DomainError.single("NOT_FOUND", "no such customer", "customer_id")
    row = await _template_for(session, rt, template, channel, customer, locale)
    given = dict(context or {})
    values = {v: given.get(v, f"[{v}]") for v in row.variables}
    unknown = sorted(set(given) - set(row.variables))
    if unknown:
        raise DomainError.single(
            "UNKNOWN_VARIABLE", f"the template declares no variable {unknown[0]!r}", "context"
        )
    rendered = templates.render(
        parts_of(row),
        row.variables,
        values,
        {
            "customer": customer_variables(customer, row.locale),
            "unsubscribe_url": f"{rt.settings.public_url}/messaging/unsubscribe/preview",
        },
    )
    return Preview(template=row, rendered=rendered)


# --- sending -------------------------------------------------------------------------------


def _status_changed(session: AsyncSession, message: Message) -> None:
    emit(
        session,
        "message.status_changed",
        {
            "message_id": str(message.id),
            "channel": message.channel,
            "purpose": message.purpose.value,
            "sender_key": message.sender_key,
            "status": message.status.value,
            "reason_code": message.reason_code,
        },
        customer_id=message.customer_id,
    )


def set_status(
    session: AsyncSession,
    message: Message,
    status: MessageStatus,
    *,
    source: str,
    reason: str | None = None,
    code: str | None = None,
) -> None:
    """Move the message to ``status`` and append the step to its history."""
    message.status, message.reason, message.reason_code = status, reason, code
    session.add(
        MessageStatusChange(
            id=uuid7(), message_id=message.id, status=status, reason=reason, source=source
        )
    )
    _status_changed(session, message)


async def find_message(
    session: AsyncSession, sender_key: str, customer_id: uuid.UUID, channel: str
) -> Message | None:
    return await session.scalar(
        select(Message).where(
            Message.sender_key == sender_key,
            Message.customer_id == customer_id,
            Message.channel == channel,
        )
    )


def unsubscribe_url(rt: Runtime, message_id: uuid.UUID) -> str:
    return (
        f"{rt.settings.public_url}/messaging/unsubscribe/{unsubscribe_token(rt.secret, message_id)}"
    )


def _send_errors(sender_key: str, context: Mapping[str, Any] | None) -> list[FieldError]:
    errors: list[FieldError] = []
    if not sender_key.strip():
        errors.append(
            FieldError("REQUIRED", "a send names its sender (campaign or job)", "sender_key")
        )
    elif len(sender_key) > MAX_SENDER_KEY:
        errors.append(
            FieldError(
                "TOO_LONG", f"a sender key has at most {MAX_SENDER_KEY} characters", "sender_key"
            )
        )
    if context is not None and not isinstance(context, Mapping):
        errors.append(FieldError("INVALID", "context must be an object", "context"))
    return errors


async def send(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    channel: str,
    purpose: MessagePurpose | str,
    template: str,
    sender_key: str,
    context: Mapping[str, Any] | None = None,
    locale: str | None = None,
    now: datetime | None = None,
) -> Message:
    """Send one message to one customer through the contact policy; return its record.

    Idempotent per ``(sender_key, customer, channel)``: a repeat returns the first message and
    sends nothing. Bad input (unknown channel, template or customer, a template variable
    missing or unknown) is a ``DomainError`` and writes nothing. A send the policy refuses is
    recorded with status ``blocked`` and the reason; one inside quiet hours stays ``queued``
    with a later ``send_at``. Delivery runs as a durable job after the caller commits.
    """
    rt = current()
    errors = _send_errors(sender_key, context)
    try:
        purpose = MessagePurpose(purpose)
    except ValueError:
        errors.append(FieldError("INVALID", f"no purpose {purpose!r}", "purpose"))
    try:
        chosen = channel_of(channel)
    except DomainError as error:
        errors += error.errors
    if errors:
        raise DomainError(*errors)
    customer = await customer_for_update(session, customer_id)
    existing = await find_message(session, sender_key, customer.id, chosen.name)
    if existing is not None:
        return existing
    row = await _template_for(session, rt, template, chosen.name, customer, locale)
    message_id = uuid7()
    marketing = purpose is MessagePurpose.MARKETING
    link = unsubscribe_url(rt, message_id) if marketing else None
    rendered = templates.render(
        parts_of(row),
        row.variables,
        dict(context or {}),
        {"customer": customer_variables(customer, row.locale), "unsubscribe_url": link or ""},
    )
    moment = now or utcnow()
    decision = await policy.decide(
        session, rt.settings, ZoneInfo(rt.timezone), customer.id, chosen, purpose, moment
    )
    status = MessageStatus.QUEUED if decision.allowed else MessageStatus.BLOCKED
    values = {
        "id": message_id,
        "customer_id": customer.id,
        "channel": chosen.name,
        "purpose": purpose,
        "template_key": row.key,
        "template_version": row.version,
        "locale": row.locale,
        "sender_key": sender_key,
        "address": decision.address,
        "status": status,
        "reason_code": decision.code,
        "reason": decision.reason,
        "subject": rendered.subject if decision.allowed else None,
        "text_body": rendered.text if decision.allowed else None,
        "html_body": rendered.html if decision.allowed else None,
        "send_at": decision.send_at,
        "created_at": moment,
        "updated_at": moment,
    }
    if not await insert_or_skip(session, Message, values, ("sender_key", "customer_id", "channel")):
        found = await find_message(session, sender_key, customer.id, chosen.name)
        assert found is not None  # the concurrent winner's row
        return found
    message = await session.get_one(Message, message_id)
    session.add(
        MessageStatusChange(
            id=uuid7(),
            message_id=message_id,
            status=status,
            reason=decision.reason,
            source=sender_key[:40],
            occurred_at=moment,
        )
    )
    _status_changed(session, message)
    if decision.allowed:
        await enqueue(
            session,
            DELIVER_JOB,
            {"message_id": str(message_id)},
            run_at=decision.send_at,
            unique_key=f"message:{message_id}",
            max_attempts=rt.settings.max_attempts,
        )
    return message


async def check_policy(
    session: AsyncSession,
    customer_id: uuid.UUID,
    channel: str,
    purpose: MessagePurpose,
    now: datetime | None = None,
) -> policy.Decision:
    """What the contact policy would decide for a send now, without sending anything."""
    rt = current()
    chosen = channel_of(channel)
    if await session.get(Customer, customer_id) is None:
        raise DomainError.single("NOT_FOUND", "no such customer", "customer_id")
    return await policy.decide(
        session, rt.settings, ZoneInfo(rt.timezone), customer_id, chosen, purpose, now or utcnow()
    )


async def _refusal_at_delivery(
    session: AsyncSession, message: Message, channel: Channel
) -> tuple[str, str] | None:
    """Suppression and consent again at delivery: either may have changed while it waited."""
    if message.address is not None:
        suppressed = await policy.suppression_for(
            session, channel.name, message.address, message.purpose
        )
        if suppressed is not None:
            return (
                "SUPPRESSED",
                f"the address is suppressed on {channel.name} ({suppressed.reason})",
            )
    if message.customer_id is None:
        return "ERASED", "the customer was erased"
    return await policy.consent_refusal(session, message.customer_id, channel, message.purpose)


async def deliver(job: JobRun, session: AsyncSession) -> None:
    """The delivery job: hand a queued message to its channel's provider.

    A temporary provider error fails the attempt (the job retries with backoff); a permanent
    one, or the last attempt's, marks the message ``failed``.
    """
    rt = current()
    message = await session.get(Message, uuid.UUID(job.payload["message_id"]), with_for_update=True)
    if message is None or message.status is not MessageStatus.QUEUED:
        return
    channel = rt.channels.get(message.channel)
    if channel is None:
        set_status(
            session,
            message,
            MessageStatus.FAILED,
            source="delivery",
            code="UNKNOWN_CHANNEL",
            reason=f"channel {message.channel!r} is not installed",
        )
        return
    refused = await _refusal_at_delivery(session, message, channel)
    if refused is not None:
        set_status(
            session,
            message,
            MessageStatus.BLOCKED,
            source="delivery",
            code=refused[0],
            reason=refused[1],
        )
        return
    if not await effect_once(session, job.id, "deliver"):
        return
    outgoing = OutgoingMessage(
        message_id=str(message.id),
        channel=message.channel,
        to=message.address or "",
        text=message.text_body or "",
        subject=message.subject,
        html=message.html_body,
        unsubscribe_url=unsubscribe_url(rt, message.id)
        if message.purpose is MessagePurpose.MARKETING
        else None,
        metadata={"sender_key": message.sender_key, "template": message.template_key},
    )
    try:
        delivery = await channel.adapter.send(outgoing)
    except DeliveryError as exc:
        if not exc.permanent and job.attempt < job.max_attempts:
            raise
        set_status(
            session,
            message,
            MessageStatus.FAILED,
            source="delivery",
            code="PROVIDER_ERROR",
            reason=str(exc)[:500],
        )
        return
    message.provider_id = delivery.provider_id
    message.sent_at = utcnow()
    set_status(session, message, MessageStatus.SENT, source="delivery")


# --- statuses from providers, unsubscribes, suppressions -----------------------------------

PROGRESS = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.OPENED: 3,
    MessageStatus.CLICKED: 4,
}
FINAL = frozenset({MessageStatus.BLOCKED, MessageStatus.UNSUBSCRIBED, MessageStatus.BOUNCED})
CALLBACK_STATUSES = {
    "delivered": MessageStatus.DELIVERED,
    "opened": MessageStatus.OPENED,
    "clicked": MessageStatus.CLICKED,
    "bounced": MessageStatus.BOUNCED,
    "complained": MessageStatus.UNSUBSCRIBED,
    "failed": MessageStatus.FAILED,
}


async def suppress(
    session: AsyncSession,
    *,
    channel: str,
    address: str,
    reason: SuppressionReason,
    purpose: str = ALL_PURPOSES,
    customer_id: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
    note: str | None = None,
) -> Suppression:
    """Suppress ``address`` on ``channel`` (for ``purpose`` or all); an existing suppression
    of the same address, channel and purpose is returned unchanged."""
    digest = policy.address_hash(address)
    values = {
        "id": uuid7(),
        "channel": channel,
        "address_hash": digest,
        "address": None if reason is SuppressionReason.ERASED else address.strip(),
        "purpose": purpose,
        "reason": reason,
        "customer_id": None if reason is SuppressionReason.ERASED else customer_id,
        "message_id": message_id,
        "note": note,
        "created_by": _actor_name(session),
        "created_at": utcnow(),
    }
    await insert_or_skip(session, Suppression, values, ("channel", "address_hash", "purpose"))
    row = await session.scalar(
        select(Suppression).where(
            Suppression.channel == channel,
            Suppression.address_hash == digest,
            Suppression.purpose == purpose,
        )
    )
    assert row is not None
    return row


async def add_suppression(
    session: AsyncSession,
    *,
    channel: str,
    address: str,
    purpose: MessagePurpose | None,
    note: str | None,
) -> Suppression:
    """A suppression added by staff (reason ``manual``); ``purpose`` None stops every purpose."""
    errors: list[FieldError] = []
    try:
        channel_of(channel)
    except DomainError as error:
        errors += error.errors
    if not address.strip():
        errors.append(FieldError("REQUIRED", "give the address to suppress", "address"))
    elif len(address) > MAX_ADDRESS:
        errors.append(FieldError("TOO_LONG", f"at most {MAX_ADDRESS} characters", "address"))
    if note is not None and len(note) > 500:
        errors.append(FieldError("TOO_LONG", "a note has at most 500 characters", "note"))
    if errors:
        raise DomainError(*errors)
    return await suppress(
        session,
        channel=channel,
        address=address,
        reason=SuppressionReason.MANUAL,
        purpose=ALL_PURPOSES if purpose is None else purpose.value,
        note=note,
    )


async def remove_suppression(session: AsyncSession, suppression_id: uuid.UUID) -> Suppression:
    row = await session.get(Suppression, suppression_id)
    if row is None:
        raise DomainError.single("NOT_FOUND", "no such suppression", "id")
    if row.reason is SuppressionReason.ERASED:
        raise DomainError.single(
            "ERASED", "an erased customer's suppression is kept for good", "id"
        )
    await session.execute(delete(Suppression).where(Suppression.id == suppression_id))
    return row


async def record_callback(
    session: AsyncSession,
    *,
    channel: str,
    provider_id: str | None,
    message_id: uuid.UUID | None,
    event: str,
    hard: bool = True,
    reason: str | None = None,
) -> Message | None:
    """A provider's status report (delivered, opened, clicked, bounced, complained, failed).

    Statuses only move forward; every report joins the history. A soft bounce changes no
    status; a hard bounce and a complaint suppress the address on the channel.
    """
    status = CALLBACK_STATUSES[event]
    stmt = select(Message).where(Message.channel == channel).with_for_update()
    if message_id is not None:
        stmt = stmt.where(Message.id == message_id)
    else:
        stmt = stmt.where(Message.provider_id == provider_id)
    message = await session.scalar(stmt.limit(1))
    if message is None:
        return None
    soft_bounce = event == "bounced" and not hard
    moves = (
        not soft_bounce
        and message.status not in FINAL
        and (status not in PROGRESS or PROGRESS[status] > PROGRESS.get(message.status, 99))
    )
    note = reason[:500] if reason else None
    if moves:
        set_status(
            session, message, status, source="provider", reason=note or event, code=event.upper()
        )
    else:
        session.add(
            MessageStatusChange(
                id=uuid7(),
                message_id=message.id,
                status=status,
                reason=note or event,
                source="provider",
            )
        )
    bounced = event == "bounced" and hard
    if (bounced or event == "complained") and message.address is not None:
        await suppress(
            session,
            channel=channel,
            address=message.address,
            reason=SuppressionReason.BOUNCED if bounced else SuppressionReason.COMPLAINED,
            customer_id=message.customer_id,
            message_id=message.id,
            note=note,
        )
    await session.flush()
    return message


async def unsubscribe(session: AsyncSession, message_id: uuid.UUID) -> Message | None:
    """One-click unsubscribe from a message: withdraw marketing consent on its channel,
    suppress its address for marketing and mark it unsubscribed. Repeating changes nothing."""
    message = await session.get(Message, message_id, with_for_update=True)
    if message is None or message.status is MessageStatus.UNSUBSCRIBED:
        return message
    channel = current().channels.get(message.channel)
    consent_channel = channel.consent_channel if channel is not None else None
    if message.customer_id is not None and consent_channel is not None:
        state = await session.get(
            ConsentState, (message.customer_id, ConsentPurpose.MARKETING, consent_channel)
        )
        if state is None or state.status is not ConsentStatus.WITHDRAWN:
            await record_consent(
                session,
                message.customer_id,
                ConsentChange(
                    ConsentPurpose.MARKETING,
                    consent_channel,
                    ConsentStatus.WITHDRAWN,
                    ConsentSource.UNSUBSCRIBE_LINK,
                    evidence={"message_id": str(message.id)},
                ),
            )
    if message.address is not None:
        await suppress(
            session,
            channel=message.channel,
            address=message.address,
            reason=SuppressionReason.UNSUBSCRIBED,
            purpose=MessagePurpose.MARKETING.value,
            customer_id=message.customer_id,
            message_id=message.id,
        )
    set_status(
        session,
        message,
        MessageStatus.UNSUBSCRIBED,
        source="unsubscribe_link",
        reason="unsubscribed through the one-click link",
    )
    await session.flush()
    return message
