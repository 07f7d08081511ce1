"""Ingesting custom events pushed by integrators (``POST /events``).

Each event names a registered, active custom type (``unicrm.core.events.ingest_types``), a
customer (UniCRM id, external identity, email or phone), when it happened, its payload and
an idempotency key. Events are checked one by one: a bad one is reported with a code and not
stored, the good ones of the same batch are stored together, each written to the outbox
(``emit``) and to its customer's timeline in the same transaction.

One event is stored per ``(source, idempotency key)``, the source being the caller (an API
key or a user): the insert skips a key already taken (``ON CONFLICT DO NOTHING``, so
concurrent pushes of one key store it once), and a repeat answers the first event's id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.errors import DomainError
from unicrm.core.events.ingest_models import CustomEvent, CustomEventType
from unicrm.core.events.outbox import emit
from unicrm.core.graph.contacts.models import CustomerEmail, CustomerPhone
from unicrm.core.graph.contacts.services import normalize_email, normalize_phone
from unicrm.core.graph.customers.models import Customer, CustomerAlias
from unicrm.core.graph.identities.services import (
    customer_id_by_identity,
    normalize_external_id,
    normalize_source,
)
from unicrm.core.graph.timeline.services import add_entry

MAX_BATCH = 500
MAX_KEY = 200
TIMELINE_KIND = "core.custom_event"


class Rejected(Exception):
    """Why one event of a request is not stored."""

    def __init__(self, code: str, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path


@dataclass(frozen=True, slots=True)
class Incoming:
    """One event as checked from the request body (customer not yet resolved)."""

    type: str
    customer: dict[str, Any]
    occurred_at: datetime
    payload: dict[str, Any]
    idempotency_key: str


@dataclass(slots=True)
class Result:
    """The answer for one event: stored (or a repeat of a stored one), or rejected."""

    index: int
    id: uuid.UUID | None = None
    duplicate: bool = False
    error: Rejected | None = None

    def as_json(self) -> dict[str, Any]:
        if self.error is not None:
            error: dict[str, Any] = {"code": self.error.code, "message": self.error.message}
            if self.error.path is not None:
                error["path"] = self.error.path
            return {"index": self.index, "status": "rejected", "error": error}
        return {
            "index": self.index,
            "status": "accepted",
            "id": str(self.id),
            "duplicate": self.duplicate,
        }


@dataclass(slots=True)
class Outcome:
    results: list[Result] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        rejected = sum(1 for r in self.results if r.error is not None)
        return {
            "accepted": len(self.results) - rejected,
            "rejected": rejected,
            "results": [r.as_json() for r in self.results],
        }


def parse_event(raw: Any) -> Incoming:
    """The fields of one event, or ``Rejected`` (INVALID_EVENT) naming the first bad one."""
    if not isinstance(raw, dict):
        raise Rejected("INVALID_EVENT", "an event is a JSON object")
    kind = raw.get("type")
    if not isinstance(kind, str) or not kind:
        raise Rejected("INVALID_EVENT", "type is required", "/type")
    customer = raw.get("customer")
    if not isinstance(customer, dict) or not customer:
        raise Rejected(
            "INVALID_EVENT",
            "customer is an object with id, {source, externalId}, email or phone",
            "/customer",
        )
    key = raw.get("idempotencyKey")
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY:
        raise Rejected(
            "INVALID_EVENT", f"idempotencyKey is a string of 1 to {MAX_KEY}", "/idempotencyKey"
        )
    occurred = raw.get("occurredAt")
    try:
        occurred_at = datetime.fromisoformat(occurred) if isinstance(occurred, str) else None
    except ValueError:
        occurred_at = None
    if occurred_at is None or occurred_at.tzinfo is None:
        raise Rejected("INVALID_EVENT", "occurredAt is an ISO 8601 time with a zone", "/occurredAt")
    payload = raw.get("payload", {})
    if not isinstance(payload, dict):
        raise Rejected("INVALID_EVENT", "payload is a JSON object", "/payload")
    return Incoming(kind, customer, occurred_at, payload, key.strip())


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


_validators: dict[tuple[uuid.UUID, int], Draft202012Validator] = {}


def _validator(row: CustomEventType) -> Draft202012Validator:
    key = (row.id, row.version)
    found = _validators.get(key)
    if found is None:
        found = _validators[key] = Draft202012Validator(
            row.json_schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    return found


def check_payload(row: CustomEventType, payload: dict[str, Any]) -> None:
    """INVALID_PAYLOAD with the JSON pointer of the most relevant violation, if any."""
    error = best_match(_validator(row).iter_errors(payload))
    if error is not None:
        path = _pointer(error.absolute_path)
        raise Rejected("INVALID_PAYLOAD", error.message, path or "/")


def _customer_id(raw: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise Rejected("UNKNOWN_CUSTOMER", "customer.id is not a UniCRM customer id") from None


async def _one(session: AsyncSession, stmt: Any, what: str) -> uuid.UUID:
    found = set((await session.scalars(stmt.limit(2))).all())
    if not found:
        raise Rejected("UNKNOWN_CUSTOMER", f"no customer has this {what}", "/customer")
    if len(found) > 1:
        raise Rejected("AMBIGUOUS_CUSTOMER", f"several customers have this {what}", "/customer")
    return found.pop()


async def resolve_customer(session: AsyncSession, ref: dict[str, Any]) -> uuid.UUID:
    """The customer ``ref`` names; a merged-away id resolves to the customer it became."""
    try:
        if "id" in ref:
            customer_id = _customer_id(ref["id"])
            if await session.get(Customer, customer_id) is not None:
                return customer_id
            survivor = await session.scalar(
                select(CustomerAlias.customer_id).where(CustomerAlias.old_id == customer_id)
            )
            if survivor is None:
                raise Rejected("UNKNOWN_CUSTOMER", "no customer has this id", "/customer/id")
            return survivor
        if "source" in ref or "externalId" in ref:
            source = normalize_source(str(ref.get("source", "")))
            external_id = normalize_external_id(str(ref.get("externalId", "")))
            found = await customer_id_by_identity(session, source, external_id)
            if found is None:
                raise Rejected("UNKNOWN_CUSTOMER", "no customer has this identity", "/customer")
            return found
        if "email" in ref:
            address = normalize_email(str(ref["email"]))
            stmt = select(CustomerEmail.customer_id).where(CustomerEmail.address == address)
            return await _one(session, stmt.distinct(), "email")
        if "phone" in ref:
            number = normalize_phone(str(ref["phone"]))
            stmt = select(CustomerPhone.customer_id).where(CustomerPhone.number == number)
            return await _one(session, stmt.distinct(), "phone")
    except DomainError as exc:
        raise Rejected("UNKNOWN_CUSTOMER", exc.errors[0].message, "/customer") from None
    raise Rejected(
        "UNKNOWN_CUSTOMER", "customer needs id, {source, externalId}, email or phone", "/customer"
    )


def _insert(dialect: str) -> Any:
    return (postgresql if dialect == "postgresql" else sqlite).insert(CustomEvent)


async def _store(
    session: AsyncSession, event: Incoming, customer_id: uuid.UUID, source: str
) -> tuple[uuid.UUID, bool]:
    """Insert the event unless its key is taken: (its id, whether it is a repeat)."""
    event_id = uuid7()
    values = {
        "id": event_id,
        "type": event.type,
        "customer_id": customer_id,
        "source": source,
        "idempotency_key": event.idempotency_key,
        "occurred_at": event.occurred_at,
        "payload": event.payload,
    }
    stmt = (
        _insert(session.bind.dialect.name)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["source", "idempotency_key"])
        .returning(CustomEvent.id)
    )
    if (await session.execute(stmt)).scalar_one_or_none() is not None:
        return event_id, False
    first = await session.scalar(
        select(CustomEvent).where(
            CustomEvent.source == source, CustomEvent.idempotency_key == event.idempotency_key
        )
    )
    if first is None:  # the conflicting row went away again (its customer was erased)
        raise Rejected("DUPLICATE", "idempotencyKey was already used", "/idempotencyKey")
    if (first.type, first.customer_id, first.payload) != (event.type, customer_id, event.payload):
        raise Rejected(
            "DUPLICATE",
            f"idempotencyKey was already used for another event ({first.id})",
            "/idempotencyKey",
        )
    return first.id, True


def _publish(
    session: AsyncSession, event_id: uuid.UUID, event: Incoming, customer_id: uuid.UUID
) -> None:
    outbox = emit(
        session,
        event.type,
        {"occurred_at": event.occurred_at.isoformat(), "data": event.payload},
        customer_id=customer_id,
    )
    outbox.id = event_id
    add_entry(
        session,
        customer_id,
        TIMELINE_KIND,
        event.type,
        data={"type": event.type, "payload": event.payload},
        occurred_at=event.occurred_at,
        ref_type="CustomEvent",
        ref_id=event_id,
    )


async def _within(
    session: AsyncSession, customer_id: uuid.UUID, scope: ColumnElement[bool] | None
) -> uuid.UUID:
    """``customer_id`` if the caller's row scope covers it; else as unknown as a stranger."""
    if scope is not None:
        found = await session.scalar(select(Customer.id).where(Customer.id == customer_id, scope))
        if found is None:
            raise Rejected("UNKNOWN_CUSTOMER", "no customer you may name matches", "/customer")
    return customer_id


async def ingest(
    session: AsyncSession,
    raw_events: list[Any],
    source: str,
    scope: ColumnElement[bool] | None = None,
) -> Outcome:
    """Check and store ``raw_events`` in ``session``'s transaction, one result per event.

    ``scope`` limits the customers events may name (the caller's row scope; None: all).
    """
    names = {e.get("type") for e in raw_events if isinstance(e, dict)}
    names = {n for n in names if isinstance(n, str)}
    rows = (
        await session.scalars(select(CustomEventType).where(CustomEventType.name.in_(names)))
        if names
        else []
    )
    types = {row.name: row for row in rows}
    outcome = Outcome()
    for index, raw in enumerate(raw_events):
        result = Result(index)
        try:
            event = parse_event(raw)
            row = types.get(event.type)
            if row is None or not row.active:
                raise Rejected(
                    "UNKNOWN_TYPE", f"no active custom event type {event.type!r}", "/type"
                )
            check_payload(row, event.payload)
            customer_id = await _within(
                session, await resolve_customer(session, event.customer), scope
            )
            result.id, result.duplicate = await _store(session, event, customer_id, source)
            if not result.duplicate:
                _publish(session, result.id, event, customer_id)
        except Rejected as exc:
            result.error = exc
        outcome.results.append(result)
    return outcome
