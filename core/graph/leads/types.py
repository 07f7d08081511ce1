from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.leads import models
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import direct
from unicrm.core.graph.users.types import User


@strawberry.enum(description="Where a customer stands; CHURNED is off the line.")
class LifecycleStage(Enum):
    SUBSCRIBER = "subscriber"
    LEAD = "lead"
    MARKETING_QUALIFIED = "marketing_qualified"
    SALES_QUALIFIED = "sales_qualified"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    CHURNED = "churned"


@strawberry.enum
class LeadStatus(Enum):
    OPEN = "open"
    CONVERTED = "converted"
    DISQUALIFIED = "disqualified"


@strawberry.enum(description="How ready to buy a lead is (the B2B lead status).")
class LeadTemperature(Enum):
    COLD = "cold"
    WARM = "warm"
    HOT = "hot"


@strawberry.enum(description="Where a lead came from.")
class LeadSource(Enum):
    WEB_FORM = "web_form"
    EVENT = "event"
    INSIDE_SALES_CALL = "inside_sales_call"
    IMPORT = "import"
    POS = "pos"
    REFERRAL = "referral"


@strawberry.enum(description="What leadUpsert does when the lead or its person is known.")
class LeadDedupePolicy(Enum):
    UPDATE_EXISTING = strawberry.enum_value(
        "update_existing",
        description="Update the open lead (or open one for the known person). The default.",
    )
    SKIP_EXISTING = strawberry.enum_value(
        "skip_existing", description="Leave an open lead as it is (open one if there is none)."
    )
    REJECT_DUPLICATE = strawberry.enum_value(
        "reject_duplicate", description="Answer a DUPLICATE error and write nothing."
    )


@strawberry.enum
class LeadUpsertOutcome(Enum):
    CREATED = strawberry.enum_value("created", description="A new person and their lead.")
    LEAD_OPENED = strawberry.enum_value("lead_opened", description="A lead for a known person.")
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@strawberry.enum
class LeadMatchedBy(Enum):
    EXTERNAL_ID = "external_id"
    EMAIL = "email"
    PHONE = "phone"


@guard("core.customer")
@strawberry.type(name="LifecycleChange", description="One move of a customer's lifecycle stage.")
class LifecycleChange:
    user_pk: strawberry.Private[uuid.UUID | None]
    from_stage: LifecycleStage | None
    to_stage: LifecycleStage
    changed_by: str = strawberry.field(description="Who moved it: a user's name, or system.")
    reason: str | None
    changed_at: datetime

    @classmethod
    def from_row(cls, row: models.LifecycleChange) -> LifecycleChange:
        return cls(
            user_pk=row.user_id,
            from_stage=None if row.from_stage is None else LifecycleStage(row.from_stage.value),
            to_stage=LifecycleStage(row.to_stage.value),
            changed_by=row.changed_by,
            reason=row.reason,
            changed_at=row.changed_at,
        )

    @strawberry.field(description="The user who moved it; null for automatic moves.")
    @direct
    async def user(self, info: strawberry.Info) -> User | None:
        return None if self.user_pk is None else await User.load_node(info, self.user_pk)


@guard("core.lead")
@strawberry.type(name="LeadTemperatureChange", description="One temperature change of a lead.")
class LeadTemperatureChange:
    from_temperature: LeadTemperature | None
    to_temperature: LeadTemperature
    changed_by: str
    changed_at: datetime

    @classmethod
    def from_row(cls, row: models.LeadTemperatureChange) -> LeadTemperatureChange:
        return cls(
            from_temperature=None
            if row.from_temperature is None
            else LeadTemperature(row.from_temperature.value),
            to_temperature=LeadTemperature(row.to_temperature.value),
            changed_by=row.changed_by,
            changed_at=row.changed_at,
        )


@guard("core.lead")
@strawberry.type(name="Lead", description="A customer's interest in buying, worked by an owner.")
class Lead(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    owner_pk: strawberry.Private[uuid.UUID | None]
    status: LeadStatus
    temperature: LeadTemperature
    source: LeadSource
    external_source: str | None = strawberry.field(
        description="The integrator's system; with externalId the key leadUpsert matches on."
    )
    external_id: str | None
    created_at: datetime
    updated_at: datetime
    converted_at: datetime | None
    converted_by: str | None
    disqualified_at: datetime | None
    disqualified_reason: str | None

    @classmethod
    def from_row(cls, row: models.Lead) -> Lead:
        return cls(
            id=strawberry.ID(to_global_id("Lead", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            owner_pk=row.owner_id,
            status=LeadStatus(row.status.value),
            temperature=LeadTemperature(row.temperature.value),
            source=LeadSource(row.source.value),
            external_source=row.external_source,
            external_id=row.external_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            converted_at=row.converted_at,
            converted_by=row.converted_by,
            disqualified_at=row.disqualified_at,
            disqualified_reason=row.disqualified_reason,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> Lead | None:
        row = await info.context.loaders["core.lead_by_id"].load(pk)
        return None if row is None else cls.from_row(row)

    @strawberry.field
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return await Customer.load_node(info, self.customer_pk)

    @strawberry.field(description="The user working the lead.")
    @direct
    async def owner(self, info: strawberry.Info) -> User | None:
        return None if self.owner_pk is None else await User.load_node(info, self.owner_pk)

    @strawberry.field(description="Every temperature the lead had, oldest first.")
    @direct
    async def temperature_history(self, info: strawberry.Info) -> list[LeadTemperatureChange]:
        rows = await info.context.loaders["core.temperature_changes_by_lead"].load(self.pk)
        return [LeadTemperatureChange.from_row(r) for r in rows]


@strawberry.input
class LeadFilterInput:
    status: LeadStatus | None = None
    temperature: LeadTemperature | None = None
    source: LeadSource | None = None
    owner_id: strawberry.ID | None = None
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Leads owned by a member of this team."
    )


@strawberry.enum
class LeadErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    DUPLICATE = "duplicate"
    OPEN_LEAD_EXISTS = "open_lead_exists"
    LEAD_CLOSED = "lead_closed"
    ALREADY_CONVERTED = "already_converted"
    ALREADY_DISQUALIFIED = "already_disqualified"


@strawberry.type
class LeadError:
    field: str | None
    code: LeadErrorCode
    message: str


@strawberry.input
class LeadCreateInput:
    customer_id: strawberry.ID
    source: LeadSource
    temperature: LeadTemperature = LeadTemperature.COLD
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the caller."
    )
    external_source: str | None = None
    external_id: str | None = None


@strawberry.input(description="A lead pushed by an integrator; see docs/leads.md for matching.")
class LeadUpsertInput:
    source: LeadSource
    external_source: str | None = None
    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    temperature: LeadTemperature | None = None
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Without one, the lead is routed by province (docs/leads.md)."
    )
    province: str | None = strawberry.field(
        default=None, description="Where the lead is, for routing; any spelling of a province."
    )
    policy: LeadDedupePolicy = LeadDedupePolicy.UPDATE_EXISTING


@strawberry.input
class LeadUpdateInput:
    id: strawberry.ID
    temperature: LeadTemperature | None = strawberry.UNSET
    source: LeadSource | None = strawberry.UNSET


@strawberry.input
class LeadAssignInput:
    id: strawberry.ID
    owner_id: strawberry.ID


@strawberry.input
class LeadConvertInput:
    id: strawberry.ID


@strawberry.input
class LeadDisqualifyInput:
    id: strawberry.ID
    reason: str


@strawberry.input
class CustomerLifecycleStageSetInput:
    customer_id: strawberry.ID
    stage: LifecycleStage
    reason: str | None = None


@strawberry.type
class LeadPayload:
    errors: list[LeadError]
    lead: Lead | None = None


@strawberry.type
class LeadUpsertPayload:
    errors: list[LeadError]
    lead: Lead | None = None
    customer: Customer | None = None
    outcome: LeadUpsertOutcome | None = None
    matched_by: LeadMatchedBy | None = None


@strawberry.type
class CustomerLifecycleStagePayload:
    errors: list[LeadError]
    customer: Customer | None = None
