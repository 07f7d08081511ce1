from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.stores import hours, models


@strawberry.enum(description="A day of the week.")
class Weekday(Enum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


@guard("public")
@strawberry.type(
    description="Open from `opens` to `closes` (HH:MM, local time) on `weekday`; when `closes` "
    "is at or before `opens` the interval runs past midnight (`overnight`)."
)
class OpeningInterval:
    weekday: Weekday
    opens: str
    closes: str
    overnight: bool

    @classmethod
    def from_stored(cls, stored: list[dict]) -> list[OpeningInterval]:
        return [
            cls(weekday=Weekday(i.day), opens=i.opens, closes=i.closes, overnight=i.overnight)
            for i in hours.parse(stored)
        ]


@strawberry.input
class OpeningIntervalInput:
    weekday: Weekday
    opens: str = strawberry.field(description="HH:MM, 00:00 to 23:59.")
    closes: str = strawberry.field(
        description="HH:MM, 00:00 to 24:00; at or before opens: overnight."
    )


def to_intervals(given: list[OpeningIntervalInput]) -> list[hours.Interval]:
    return [hours.Interval(i.weekday.value, i.opens.strip(), i.closes.strip()) for i in given]


@guard("core.store")
@strawberry.type(name="Store", description="A store or branch of the organization.")
class Store(Node):
    pk: strawberry.Private[uuid.UUID]
    code: str = strawberry.field(description="Unique; what orders carry as their store code.")
    name: str
    line1: str
    line2: str | None
    sub_district: str | None
    district: str | None
    province: str | None
    postal_code: str | None
    country: str
    province_code: str | None = strawberry.field(description="ISO 3166-2:TH, e.g. TH-10.")
    region: str | None = strawberry.field(
        description="north, northeast, central, east, west, south."
    )
    phone: str | None = strawberry.field(description="E.164.")
    opening_hours: list[OpeningInterval] = strawberry.field(
        description="Days without an interval are closed."
    )
    timezone: str
    tax_branch: str = strawberry.field(
        description="Branch number on tax invoices; 00000 = head office."
    )
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Store) -> Store:
        return cls(
            id=strawberry.ID(to_global_id("Store", row.id)),
            pk=row.id,
            code=row.code,
            name=row.name,
            line1=row.line1,
            line2=row.line2,
            sub_district=row.sub_district,
            district=row.district,
            province=row.province,
            postal_code=row.postal_code,
            country=row.country,
            province_code=row.province_code,
            region=row.region,
            phone=row.phone,
            opening_hours=OpeningInterval.from_stored(row.opening_hours),
            timezone=row.timezone,
            tax_branch=row.tax_branch,
            active=row.active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Store | None:
        row = await info.context.loaders["core.store_by_id"].load(pk)
        return None if row is None else cls.from_row(row)


@strawberry.input
class StoreFilterInput:
    regions: list[str] = strawberry.field(default_factory=list, description="Region keys.")
    provinces: list[str] = strawberry.field(
        default_factory=list, description="ISO codes, numbers or Thai/English names."
    )
    active: bool | None = None


@strawberry.enum
class StoreErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"
    OVERLAP = "overlap"


@strawberry.type
class StoreError:
    field: str | None
    code: StoreErrorCode
    message: str


@strawberry.input
class StoreCreateInput:
    code: str
    name: str
    line1: str
    line2: str | None = None
    sub_district: str | None = None
    district: str | None = None
    province: str | None = None
    postal_code: str | None = None
    country: str = "TH"
    phone: str | None = None
    opening_hours: list[OpeningIntervalInput] = strawberry.field(default_factory=list)
    timezone: str | None = strawberry.field(
        default=None, description="Defaults to the business time zone."
    )
    tax_branch: str = "00000"
    active: bool = True
    staff_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Users who work at the store."
    )


@strawberry.input
class StoreUpdateInput:
    id: strawberry.ID
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    line1: str | None = strawberry.UNSET
    line2: str | None = strawberry.UNSET
    sub_district: str | None = strawberry.UNSET
    district: str | None = strawberry.UNSET
    province: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    opening_hours: list[OpeningIntervalInput] | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
    tax_branch: str | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET
    staff_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces the store's staff."
    )


@strawberry.type
class StorePayload:
    errors: list[StoreError]
    store: Store | None = None
