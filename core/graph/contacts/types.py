from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.contacts import models, services
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import direct

CONTACT = {"pii": "contact"}
EMAIL = {"pii": "contact", "mask": "email"}
PHONE = {"pii": "contact", "mask": "phone"}

EmailLabel = strawberry.enum(models.EmailLabel, description="What an email address is for.")
PhoneLabel = strawberry.enum(models.PhoneLabel, description="What kind of phone a number is.")
AddressLabel = strawberry.enum(models.AddressLabel, description="What an address is used for.")


async def owner(info: strawberry.Info, customer_pk: uuid.UUID) -> Customer | None:
    """The customer a contact row belongs to, through the batched customer loader."""
    return await Customer.load_node(info, customer_pk)


async def load_by_id(info: strawberry.Info, loader: str, pk: uuid.UUID) -> Any:
    return await info.context.loaders[loader].load(pk)


@guard("core.contact")
@strawberry.type(description="An email address of a customer, stored normalized.")
class CustomerEmail(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    address: str = strawberry.field(metadata=EMAIL)
    label: EmailLabel
    is_primary: bool
    is_verified: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> CustomerEmail:
        return cls(
            id=strawberry.ID(to_global_id("CustomerEmail", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            address=row.address,
            label=row.label,
            is_primary=row.is_primary,
            is_verified=row.is_verified,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> CustomerEmail | None:
        row = await load_by_id(info, "core.email_by_id", pk)
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="The customer this address belongs to.")
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return await owner(info, self.customer_pk)


@guard("core.contact")
@strawberry.type(description="A phone number of a customer.")
class CustomerPhone(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    number: str = strawberry.field(metadata=PHONE, description="E.164, e.g. +66812345678.")
    label: PhoneLabel
    is_primary: bool
    is_verified: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> CustomerPhone:
        return cls(
            id=strawberry.ID(to_global_id("CustomerPhone", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            number=row.number,
            label=row.label,
            is_primary=row.is_primary,
            is_verified=row.is_verified,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> CustomerPhone | None:
        row = await load_by_id(info, "core.phone_by_id", pk)
        return None if row is None else cls.from_row(row)

    @strawberry.field(
        metadata=PHONE, description="The number as its country writes it, e.g. 081 234 5678."
    )
    @direct
    def national(self) -> str:
        return services.format_phone_national(self.number)

    @strawberry.field(description="The customer this number belongs to.")
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return await owner(info, self.customer_pk)


@guard("core.contact")
@strawberry.type(description="A postal address of a customer, in Thai structure.")
class CustomerAddress(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    line1: str = strawberry.field(
        metadata=CONTACT, description="House number, building, soi and road."
    )
    line2: str | None = strawberry.field(metadata=CONTACT)
    sub_district: str | None = strawberry.field(metadata=CONTACT, description="Tambon or khwaeng.")
    district: str | None = strawberry.field(metadata=CONTACT, description="Amphoe or khet.")
    province: str | None = strawberry.field(metadata=CONTACT)
    postal_code: str | None = strawberry.field(metadata=CONTACT)
    country: str = strawberry.field(metadata=CONTACT, description="ISO 3166 alpha-2 code.")
    label: AddressLabel
    is_primary: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> CustomerAddress:
        return cls(
            id=strawberry.ID(to_global_id("CustomerAddress", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            line1=row.line1,
            line2=row.line2,
            sub_district=row.sub_district,
            district=row.district,
            province=row.province,
            postal_code=row.postal_code,
            country=row.country,
            label=row.label,
            is_primary=row.is_primary,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> CustomerAddress | None:
        row = await load_by_id(info, "core.address_by_id", pk)
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="The customer this address belongs to.")
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return await owner(info, self.customer_pk)


@strawberry.enum(description="Why a contact mutation failed.")
class ContactErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    TOO_LONG = "too_long"


@strawberry.type
class ContactError:
    field: str | None
    code: ContactErrorCode
    message: str


@strawberry.input
class CustomerEmailAddInput:
    customer_id: strawberry.ID
    address: str
    label: EmailLabel = models.EmailLabel.OTHER
    is_primary: bool = False
    is_verified: bool = False


@strawberry.input(description="Omitted fields stay as they are.")
class CustomerEmailUpdateInput:
    customer_id: strawberry.ID
    id: strawberry.ID
    label: EmailLabel | None = strawberry.UNSET
    is_primary: bool | None = strawberry.UNSET
    is_verified: bool | None = strawberry.UNSET


@strawberry.input
class CustomerPhoneAddInput:
    customer_id: strawberry.ID
    number: str = strawberry.field(description="Thai numbers may omit +66: 081-234-5678.")
    label: PhoneLabel = models.PhoneLabel.MOBILE
    is_primary: bool = False
    is_verified: bool = False


@strawberry.input(description="Omitted fields stay as they are.")
class CustomerPhoneUpdateInput:
    customer_id: strawberry.ID
    id: strawberry.ID
    label: PhoneLabel | None = strawberry.UNSET
    is_primary: bool | None = strawberry.UNSET
    is_verified: bool | None = strawberry.UNSET


@strawberry.input
class CustomerAddressAddInput:
    customer_id: strawberry.ID
    line1: str
    line2: str | None = None
    sub_district: str | None = None
    district: str | None = None
    province: str | None = None
    postal_code: str | None = None
    country: str = "TH"
    label: AddressLabel = models.AddressLabel.HOME
    is_primary: bool = False


@strawberry.input(description="Omitted fields stay as they are; null clears an optional one.")
class CustomerAddressUpdateInput:
    customer_id: strawberry.ID
    id: strawberry.ID
    line1: str | None = strawberry.UNSET
    line2: str | None = strawberry.UNSET
    sub_district: str | None = strawberry.UNSET
    district: str | None = strawberry.UNSET
    province: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    label: AddressLabel | None = strawberry.UNSET
    is_primary: bool | None = strawberry.UNSET


@strawberry.input(description="Which contact row of which customer.")
class CustomerContactRemoveInput:
    customer_id: strawberry.ID
    id: strawberry.ID


@strawberry.type
class CustomerEmailPayload:
    errors: list[ContactError]
    email: CustomerEmail | None = None


@strawberry.type
class CustomerPhonePayload:
    errors: list[ContactError]
    phone: CustomerPhone | None = None


@strawberry.type
class CustomerAddressPayload:
    errors: list[ContactError]
    address: CustomerAddress | None = None


@strawberry.type
class CustomerContactRemovePayload:
    errors: list[ContactError]
    removed_id: strawberry.ID | None = None
    customer: Customer | None = None
