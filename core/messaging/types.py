from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from unicrm.core.authz.declare import guard
from unicrm.core.graph.contacts.types import CONTACT, EMAIL
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import direct
from unicrm.core.messaging import models

MessagePurpose = strawberry.enum(
    models.MessagePurpose,
    description="MARKETING needs marketing consent on the channel, counts against the "
    "frequency cap and carries an unsubscribe link; SERVICE (reminders, receipts) does not.",
)
MessageStatus = strawberry.enum(models.MessageStatus, description="Where a message stands.")
SuppressionReason = strawberry.enum(
    models.SuppressionReason, description="Why an address is suppressed."
)


@guard("core.message")
@strawberry.type(description="One step of a message's status history.")
class MessageStatusChange:
    status: MessageStatus
    reason: str | None
    source: str = strawberry.field(
        description="Who moved it: the sender key, delivery, provider or unsubscribe_link."
    )
    occurred_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> MessageStatusChange:
        return cls(
            status=models.MessageStatus(row.status),
            reason=row.reason,
            source=row.source,
            occurred_at=row.occurred_at,
        )


@guard("core.message")
@strawberry.type(description="One message to one customer over one channel.")
class Message(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID | None]
    channel: str
    purpose: MessagePurpose
    template_key: str
    template_version: int
    locale: str
    sender_key: str = strawberry.field(description="The campaign or job that sent it.")
    address: str | None = strawberry.field(
        metadata=EMAIL, description="The address used; none when erased or when there was none."
    )
    subject: str | None = strawberry.field(metadata=CONTACT)
    text_body: str | None = strawberry.field(metadata=CONTACT)
    status: MessageStatus
    reason_code: str | None = strawberry.field(
        description="Why it was blocked or failed: SUPPRESSED, NO_CONSENT, CONSENT_WITHDRAWN, "
        "FREQUENCY_CAP, NO_ADDRESS, PROVIDER_ERROR…"
    )
    reason: str | None
    provider_id: str | None
    send_at: datetime = strawberry.field(
        description="When it is (was) due: later than createdAt when deferred by quiet hours."
    )
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Message:
        return cls(
            id=strawberry.ID(to_global_id("Message", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            channel=row.channel,
            purpose=models.MessagePurpose(row.purpose),
            template_key=row.template_key,
            template_version=row.template_version,
            locale=row.locale,
            sender_key=row.sender_key,
            address=row.address,
            subject=row.subject,
            text_body=row.text_body,
            status=models.MessageStatus(row.status),
            reason_code=row.reason_code,
            reason=row.reason,
            provider_id=row.provider_id,
            send_at=row.send_at,
            sent_at=row.sent_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Message | None:
        return await load_one(info, "core.message_by_id", pk, cls.from_row)

    @strawberry.field(description="The recipient; none once erased.")
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return (
            None if self.customer_pk is None else await Customer.load_node(info, self.customer_pk)
        )

    @strawberry.field(description="Every status it went through, oldest first.")
    @direct
    async def history(self, info: strawberry.Info) -> list[MessageStatusChange]:
        rows = await info.context.loaders["core.message_history_by_message"].load(self.pk)
        return [MessageStatusChange.from_row(r) for r in rows]


@guard("core.message_template")
@strawberry.type(description="A Jinja2 template of one channel in one locale.")
class MessageTemplate(Node):
    pk: strawberry.Private[uuid.UUID]
    key: str
    channel: str
    locale: str
    subject: str | None = strawberry.field(description="E-mail only.")
    text_body: str
    html_body: str | None = strawberry.field(description="E-mail only; optional.")
    variables: list[str] = strawberry.field(
        description="Context variables senders provide, besides customer and unsubscribe_url."
    )
    version: int = strawberry.field(description="1 when created, one more with every change.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> MessageTemplate:
        return cls(
            id=strawberry.ID(to_global_id("MessageTemplate", row.id)),
            pk=row.id,
            key=row.key,
            channel=row.channel,
            locale=row.locale,
            subject=row.subject,
            text_body=row.text_body,
            html_body=row.html_body,
            variables=list(row.variables),
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> MessageTemplate | None:
        return await load_one(info, "core.message_template_by_id", pk, cls.from_row)


@guard("core.message")
@strawberry.type(description="An address that must not be contacted on a channel.")
class Suppression(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID | None]
    channel: str
    address: str | None = strawberry.field(
        metadata=EMAIL, description="None once the customer is erased (the hash is kept)."
    )
    purpose: MessagePurpose | None = strawberry.field(
        description="The purpose it stops; none: every purpose."
    )
    reason: SuppressionReason
    note: str | None
    created_by: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Suppression:
        return cls(
            id=strawberry.ID(to_global_id("Suppression", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            channel=row.channel,
            address=row.address,
            purpose=None
            if row.purpose == models.ALL_PURPOSES
            else models.MessagePurpose(row.purpose),
            reason=models.SuppressionReason(row.reason),
            note=row.note,
            created_by=row.created_by,
            created_at=row.created_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Suppression | None:
        return await load_one(info, "core.suppression_by_id", pk, cls.from_row)

    @strawberry.field
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return (
            None if self.customer_pk is None else await Customer.load_node(info, self.customer_pk)
        )


@guard("core.message")
@strawberry.type(description="What the contact policy decides for a send now.")
class ContactPolicyDecision:
    allowed: bool
    code: str | None = strawberry.field(
        description="Why not: SUPPRESSED, NO_CONSENT, CONSENT_WITHDRAWN, FREQUENCY_CAP or "
        "NO_ADDRESS."
    )
    reason: str | None
    deferred: bool = strawberry.field(description="Inside quiet hours: sent at sendAt.")
    send_at: datetime


@guard("core.message_template")
@strawberry.type(description="A template rendered for one customer.")
class MessagePreview:
    subject: str | None = strawberry.field(metadata=CONTACT)
    text: str | None = strawberry.field(metadata=CONTACT)
    html: str | None = strawberry.field(metadata=CONTACT)
    locale: str | None
    template: MessageTemplate | None


@strawberry.enum
class MessageErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"
    UNKNOWN_CHANNEL = "unknown_channel"
    TEMPLATE_SYNTAX = "template_syntax"
    UNKNOWN_VARIABLE = "unknown_variable"
    MISSING_VARIABLE = "missing_variable"
    RENDER_ERROR = "render_error"
    SUPPRESSED = "suppressed"
    NO_CONSENT = "no_consent"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    FREQUENCY_CAP = "frequency_cap"
    NO_ADDRESS = "no_address"
    ERASED = "erased"


@strawberry.type
class MessageError:
    field: str | None
    code: MessageErrorCode
    message: str


@strawberry.input
class MessageTemplateCreateInput:
    key: str
    channel: str
    locale: str
    text_body: str
    subject: str | None = None
    html_body: str | None = None
    variables: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="Only the parts given change; an empty htmlBody removes it.")
class MessageTemplateUpdateInput:
    id: strawberry.ID
    subject: str | None = None
    text_body: str | None = None
    html_body: str | None = None
    variables: list[str] | None = None


@strawberry.type
class MessageTemplatePayload:
    errors: list[MessageError]
    template: MessageTemplate | None = None


@strawberry.input
class MessageSendInput:
    customer_id: strawberry.ID
    channel: str = strawberry.field(description="email, or a channel a plugin registered.")
    purpose: MessagePurpose
    template_key: str
    sender_key: str = strawberry.field(
        description="The campaign or job; one message per sender, customer and channel."
    )
    context: JSON | None = strawberry.field(
        default=None, description="The template's declared variables."
    )
    locale: str | None = strawberry.field(
        default=None, description="th or en; defaults to the customer's, then the default."
    )


@strawberry.type
class MessageSendPayload:
    errors: list[MessageError] = strawberry.field(
        description="Bad input, or why the policy blocked the send (the message is recorded)."
    )
    message: Message | None = None
    blocked: bool = strawberry.field(default=False, description="The contact policy refused.")


@strawberry.input
class SuppressionAddInput:
    channel: str
    address: str
    purpose: MessagePurpose | None = strawberry.field(
        default=None, description="Stop only this purpose; default: every purpose."
    )
    note: str | None = None


@strawberry.type
class SuppressionPayload:
    errors: list[MessageError]
    suppression: Suppression | None = None


@strawberry.input
class MessageFilter:
    customer_id: strawberry.ID | None = None
    channel: str | None = None
    status: MessageStatus | None = None
    purpose: MessagePurpose | None = None
    sender_key: str | None = None
