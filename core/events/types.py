"""The domain events core emits, each with its payload schema.

``emit`` validates the payload of every registered event type against its dataclass, so a
handler or webhook receiver can rely on the documented shape (docs/events.md). Event types
nobody registered (a plugin's own, for instance) are stored as given. Plugins may add their
own types with ``register_event_type``.

Event type patterns, used by webhook subscriptions: an exact type (``customer.created``),
a prefix wildcard (``customer.*``, matching every type under ``customer.``) or ``*``.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ConfigDict, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from unicrm.core.errors import DomainError, FieldError

_PAYLOAD = ConfigDict(extra="forbid")

_TYPE = r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+"
EVENT_TYPE = re.compile(_TYPE + r"\Z")
EVENT_PATTERN = re.compile(rf"(?:\*|{_TYPE}|[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*\.\*)\Z")


@dataclass(config=_PAYLOAD, frozen=True)
class CustomerCreated:
    kind: str


@dataclass(config=_PAYLOAD, frozen=True)
class CustomerUpdated:
    fields: list[str]


@dataclass(config=_PAYLOAD, frozen=True)
class CustomerMerged:
    """The payload's customer (``customer_id`` of the event) survived; ``source_id`` is gone."""

    source_id: str
    merge_id: str


@dataclass(config=_PAYLOAD, frozen=True)
class CustomerTagged:
    tag: str


@dataclass(config=_PAYLOAD, frozen=True)
class IdentityChanged:
    action: str
    source: str
    id: str


@dataclass(config=_PAYLOAD, frozen=True)
class ContactChanged:
    kind: str
    action: str
    id: str


@dataclass(config=_PAYLOAD, frozen=True)
class RelationshipChanged:
    company_id: str


@dataclass(config=_PAYLOAD, frozen=True)
class ConsentChanged:
    event_id: str
    purpose: str
    channel: str
    status: str
    source: str
    previous: str | None
    current: str


@dataclass(config=_PAYLOAD, frozen=True)
class OrderLinePlaced:
    product_id: str
    sku: str
    quantity: int
    line_total: str


@dataclass(config=_PAYLOAD, frozen=True)
class OrderPlaced:
    order_id: str
    source: str
    external_id: str | None
    store_code: str | None
    placed_at: str
    currency: str
    total: str
    lines: list[OrderLinePlaced]


@dataclass(config=_PAYLOAD, frozen=True)
class ProductCreated:
    product_id: str
    sku: str


@dataclass(config=_PAYLOAD, frozen=True)
class ProductUpdated:
    product_id: str
    fields: list[str]


@dataclass(config=_PAYLOAD, frozen=True)
class InvoiceIssued:
    invoice_id: str
    number: str
    kind: str
    store_code: str
    order_id: str
    currency: str
    subtotal: str
    vat: str
    total: str


@dataclass(config=_PAYLOAD, frozen=True)
class CreditNoteIssued:
    credit_note_id: str
    number: str
    invoice_id: str
    invoice_number: str
    currency: str
    total: str
    vat: str
    reason: str


@dataclass(config=_PAYLOAD, frozen=True)
class MessageStatusChanged:
    message_id: str
    channel: str
    purpose: str
    sender_key: str
    status: str
    reason_code: str | None


@dataclass(config=_PAYLOAD, frozen=True)
class SegmentMembership:
    """The event's customer entered or left a saved segment."""

    segment_id: str
    segment_name: str


@dataclass(config=_PAYLOAD, frozen=True)
class AssetRegistered:
    asset_id: str
    product_id: str
    serial_number: str | None
    order_id: str | None
    warranty_end: str | None


@dataclass(config=_PAYLOAD, frozen=True)
class AssetStatusChanged:
    asset_id: str
    from_status: str
    to_status: str


@dataclass(config=_PAYLOAD, frozen=True)
class AssetWarrantyEnding:
    """Sent once per asset and reminder threshold, ``threshold_days`` before ``warranty_end``."""

    asset_id: str
    product_id: str
    serial_number: str | None
    warranty_end: str
    threshold_days: int
    days_left: int


@dataclass(config=_PAYLOAD, frozen=True)
class ContractCreated:
    contract_id: str
    kind: str
    name: str
    status: str
    start_date: str
    end_date: str | None


@dataclass(config=_PAYLOAD, frozen=True)
class ContractStatusChanged:
    contract_id: str
    from_status: str | None
    to_status: str
    reason: str | None


@dataclass(config=_PAYLOAD, frozen=True)
class LifecycleChanged:
    from_stage: str
    to_stage: str
    reason: str | None


@dataclass(config=_PAYLOAD, frozen=True)
class ContractRenewed:
    """``contract_id`` is the new period; ``previous_id`` the period it continues."""

    contract_id: str
    previous_id: str
    start_date: str
    end_date: str


@dataclass(config=_PAYLOAD, frozen=True)
class ContractRenewalDue:
    """Sent once per contract period and threshold, ``threshold_days`` before renewal."""

    contract_id: str
    kind: str
    name: str
    renewal_date: str
    auto_renew: bool
    threshold_days: int
    days_left: int


@dataclass(config=_PAYLOAD, frozen=True)
class LeadCreated:
    lead_id: str
    source: str
    temperature: str
    owner_id: str | None


@dataclass(config=_PAYLOAD, frozen=True)
class LeadAssigned:
    lead_id: str
    owner_id: str


@dataclass(config=_PAYLOAD, frozen=True)
class LeadDisqualified:
    lead_id: str
    reason: str


@dataclass(config=_PAYLOAD, frozen=True)
class StageChangeSummary:
    from_stage: str | None
    to_stage: str
    changed_by: str
    changed_at: str


@dataclass(config=_PAYLOAD, frozen=True)
class TemperatureChangeSummary:
    from_temperature: str | None
    to_temperature: str
    changed_by: str
    changed_at: str


@dataclass(config=_PAYLOAD, frozen=True)
class LeadConverted:
    """The converted lead and a summary of its history, for the sales side (SFA's deal)."""

    lead_id: str
    temperature: str
    source: str
    owner_id: str | None
    external_source: str | None
    external_id: str | None
    created_at: str
    converted_at: str | None
    stage_history: list[StageChangeSummary]
    temperature_history: list[TemperatureChangeSummary]
    timeline_entries: int
    touches: int


@dataclass(config=_PAYLOAD, frozen=True)
class NotificationCreated:
    """A notification landed in a staff member's inbox (``user_id``: a User global id)."""

    notification_id: str
    user_id: str
    kind: str


EVENT_TYPES: dict[str, type] = {
    "customer.created": CustomerCreated,
    "customer.updated": CustomerUpdated,
    "customer.merged": CustomerMerged,
    "customer.tagged": CustomerTagged,
    "customer.untagged": CustomerTagged,
    "customer.identity_changed": IdentityChanged,
    "customer.contact_changed": ContactChanged,
    "customer.relationship_changed": RelationshipChanged,
    "consent.changed": ConsentChanged,
    "order.placed": OrderPlaced,
    "product.created": ProductCreated,
    "product.updated": ProductUpdated,
    "invoice.issued": InvoiceIssued,
    "credit_note.issued": CreditNoteIssued,
    "message.status_changed": MessageStatusChanged,
    "segment.entered": SegmentMembership,
    "segment.exited": SegmentMembership,
    "asset.registered": AssetRegistered,
    "asset.status_changed": AssetStatusChanged,
    "asset.warranty_ending": AssetWarrantyEnding,
    "contract.created": ContractCreated,
    "contract.status_changed": ContractStatusChanged,
    "contract.renewed": ContractRenewed,
    "contract.renewal_due": ContractRenewalDue,
    "customer.lifecycle_changed": LifecycleChanged,
    "lead.created": LeadCreated,
    "lead.assigned": LeadAssigned,
    "lead.converted": LeadConverted,
    "lead.disqualified": LeadDisqualified,
    "notification.created": NotificationCreated,
}
"""Every event type with a declared payload, core's and those plugins registered."""

_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(schema: type) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(schema)
    if adapter is None:
        adapter = _ADAPTERS[schema] = TypeAdapter(schema)
    return adapter


def register_event_type(event_type: str, schema: type) -> None:
    """Declare ``event_type``'s payload as the pydantic dataclass ``schema``."""
    if not EVENT_TYPE.match(event_type):
        raise ValueError(f"{event_type!r} is not an event type such as customer.created")
    known = EVENT_TYPES.get(event_type)
    if known is not None and known is not schema:
        raise ValueError(f"event type {event_type!r} is already declared")
    EVENT_TYPES[event_type] = schema


def validated_payload(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` checked against the type's schema, as JSON-ready data.

    Raises ``ValueError`` for a payload that does not fit: a programming error in the emitter.
    """
    schema = EVENT_TYPES.get(event_type)
    if schema is None:
        return payload
    try:
        adapter = _adapter(schema)
        return adapter.dump_python(adapter.validate_python(payload), mode="json")
    except ValidationError as exc:
        raise ValueError(f"payload of {event_type} does not match its schema: {exc}") from None


def typed_payload(event_type: str, payload: dict[str, Any]) -> Any:
    """The payload as its schema's dataclass, or the plain dict for an undeclared type."""
    schema = EVENT_TYPES.get(event_type)
    return payload if schema is None else _adapter(schema).validate_python(payload)


def payload_of(event: Any) -> dict[str, Any]:
    """A typed event instance (one of the dataclasses above) as payload data."""
    return _adapter(type(event)).dump_python(event, mode="json")


def matches(pattern: str, event_type: str) -> bool:
    """Whether ``event_type`` is selected by a subscription ``pattern``."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def check_patterns(patterns: list[str], field: str) -> list[str]:
    """Validate subscription patterns; duplicates are dropped, order kept."""
    cleaned = [p.strip() for p in patterns]
    if not cleaned:
        raise DomainError(FieldError("REQUIRED", "give at least one event type", field))
    for index, pattern in enumerate(cleaned):
        if len(pattern) > 100 or not EVENT_PATTERN.match(pattern):
            raise DomainError(
                FieldError(
                    "INVALID",
                    f"{pattern!r} is not an event type or pattern such as customer.created, "
                    "customer.* or *",
                    f"{field}.{index}",
                )
            )
    return list(dict.fromkeys(cleaned))
