from __future__ import annotations

import uuid
from datetime import datetime, time
from enum import Enum
from typing import Any

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.loaders import load_one
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import direct
from unicrm.core.graph.preferences import models
from unicrm.core.graph.preferences.services import windows_of
from unicrm.core.graph.products.types import Product

PreferredChannel = strawberry.enum(
    models.PreferredChannel, description="How a customer likes to be contacted."
)
PreferenceNoteKind = strawberry.enum(
    models.NoteKind, name="PreferenceNoteKind", description="What a preference note is about."
)
AllergySeverity = strawberry.enum(
    models.Severity, name="AllergySeverity", description="How serious an allergy is."
)
SENSITIVE = {"pii": "sensitive", "mask": "text"}


@guard("core.preference")
@strawberry.type(description="A weekday and a time range in the business time zone.")
class ContactWindow:
    weekday: int = strawberry.field(description="0 is Monday, 6 is Sunday.")
    start: time
    end: time


@guard("core.preference")
@strawberry.type(
    description="A dietary, allergy or other note. A sensitive note (every allergy, and "
    "health restrictions) has its text in `sensitiveText`, which needs clear access to the "
    "sensitive class; others have it in `text`."
)
class PreferenceNote(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    kind: PreferenceNoteKind
    severity: AllergySeverity | None = strawberry.field(description="Allergies only.")
    sensitive: bool
    text: str | None = strawberry.field(
        metadata={"pii": "profile"}, description='"no coriander"; null for a sensitive note.'
    )
    sensitive_text: str | None = strawberry.field(
        metadata=SENSITIVE, description='"peanut allergy"; null unless the note is sensitive.'
    )
    created_at: datetime
    created_by: str | None

    @classmethod
    def from_row(cls, row: models.PreferenceNote) -> PreferenceNote:
        return cls(
            id=strawberry.ID(to_global_id("PreferenceNote", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            kind=row.kind,
            severity=row.severity,
            sensitive=row.sensitive,
            text=None if row.sensitive else row.text,
            sensitive_text=row.text if row.sensitive else None,
            created_at=row.created_at,
            created_by=row.created_by,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> PreferenceNote | None:
        return await load_one(info, "core.preference_note_by_id", pk, cls.from_row)

    @strawberry.field
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return await Customer.load_node(info, self.customer_pk)


@guard("core.preference")
@strawberry.type(description="How a customer likes to be served and contacted.")
class CustomerPreferences:
    customer_pk: strawberry.Private[uuid.UUID]
    preferred_channel: PreferredChannel | None
    preferred_language: str | None = strawberry.field(description="A language tag: th, en.")
    preferred_store_code: str | None
    contact_windows: list[ContactWindow] = strawberry.field(
        description="When the customer likes to be contacted; empty: any time."
    )
    updated_at: datetime | None = strawberry.field(description="Null when never set.")

    @classmethod
    def from_row(
        cls, customer_pk: uuid.UUID, row: models.CustomerPreference | None
    ) -> CustomerPreferences:
        if row is None:
            return cls(
                customer_pk=customer_pk,
                preferred_channel=None,
                preferred_language=None,
                preferred_store_code=None,
                contact_windows=[],
                updated_at=None,
            )
        return cls(
            customer_pk=customer_pk,
            preferred_channel=row.preferred_channel,
            preferred_language=row.preferred_language,
            preferred_store_code=row.preferred_store_code,
            contact_windows=[
                ContactWindow(weekday=w.weekday, start=w.start, end=w.end) for w in windows_of(row)
            ],
            updated_at=row.updated_at,
        )

    @strawberry.field(description="Dietary, allergy and other notes, in the order added.")
    @direct
    async def notes(self, info: strawberry.Info) -> list[PreferenceNote]:
        rows = await info.context.loaders["core.preference_notes_by_customer"].load(
            self.customer_pk
        )
        return [PreferenceNote.from_row(r) for r in rows]


@guard("core.order")
@strawberry.type(description="A product a customer buys often, derived from their orders.")
class FavouriteProduct:
    product_pk: strawberry.Private[uuid.UUID]
    quantity: int = strawberry.field(description="Items bought in all.")
    orders: int = strawberry.field(description="Orders it was in.")
    last_bought_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> FavouriteProduct:
        """From a row of ``services.favourites_of``."""
        return cls(
            product_pk=row.product_id,
            quantity=row.quantity,
            orders=row.orders,
            last_bought_at=row.last_bought_at,
        )

    @strawberry.field
    @direct
    async def product(self, info: strawberry.Info) -> Product | None:
        return await Product.load_node(info, self.product_pk)


@guard("core.order")
@strawberry.type(
    description='An order-line modifier a customer asks for often ("no coriander"), in lower case.'
)
class FrequentModifier:
    modifier: str
    times: int = strawberry.field(description="Order lines it was on.")
    last_used_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> FrequentModifier:
        """From a row of ``services.modifiers_of``."""
        return cls(modifier=row.modifier, times=row.times, last_used_at=row.last_used_at)


@strawberry.enum(description="Why a preference mutation failed.")
class PreferenceErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"


@strawberry.type
class PreferenceError:
    field: str | None
    code: PreferenceErrorCode
    message: str


@strawberry.input
class ContactWindowInput:
    weekday: int = strawberry.field(description="0 is Monday, 6 is Sunday.")
    start: time
    end: time


@strawberry.input(description="Omitted fields stay as they are; null clears one.")
class CustomerPreferencesSetInput:
    customer_id: strawberry.ID
    preferred_channel: PreferredChannel | None = strawberry.UNSET
    preferred_language: str | None = strawberry.UNSET
    preferred_store_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="A store code such as BKK-01."
    )
    contact_windows: list[ContactWindowInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces every window; [] or null: any time."
    )


@strawberry.input
class PreferenceNoteAddInput:
    customer_id: strawberry.ID
    kind: PreferenceNoteKind
    text: str
    severity: AllergySeverity | None = strawberry.field(default=None, description="Allergies only.")
    sensitive: bool = strawberry.field(
        default=False, description="A health note; allergies are always sensitive."
    )


@strawberry.input
class PreferenceNoteRemoveInput:
    customer_id: strawberry.ID
    id: strawberry.ID


@strawberry.type
class CustomerPreferencesPayload:
    errors: list[PreferenceError]
    preferences: CustomerPreferences | None = None


@strawberry.type
class PreferenceNotePayload:
    errors: list[PreferenceError]
    note: PreferenceNote | None = None


@strawberry.type
class PreferenceNoteRemovePayload:
    errors: list[PreferenceError]
    removed_id: strawberry.ID | None = None
    customer: Customer | None = None
