from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from unicrm.core.authz.declare import guard
from unicrm.core.graph.consents import models
from unicrm.core.graph.contacts.types import load_by_id, owner
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import direct

ConsentPurpose = strawberry.enum(models.ConsentPurpose, description="What consent is given for.")
ConsentChannel = strawberry.enum(
    models.ConsentChannel,
    description="How the customer may be contacted; ANY for purposes without a channel.",
)
ConsentStatus = strawberry.enum(models.ConsentStatus, description="Given or taken back.")
ConsentSource = strawberry.enum(models.ConsentSource, description="Where a consent was given.")


@guard("core.consent")
@strawberry.type(description="A customer's current consent for one purpose and channel.")
class Consent:
    purpose: ConsentPurpose
    channel: ConsentChannel
    status: ConsentStatus
    source: ConsentSource
    policy_version: str | None
    occurred_at: datetime
    recorded_by: str
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Consent:
        return cls(
            purpose=row.purpose,
            channel=row.channel,
            status=row.status,
            source=row.source,
            policy_version=row.policy_version,
            occurred_at=row.occurred_at,
            recorded_by=row.recorded_by,
            updated_at=row.updated_at,
        )


@guard("core.consent")
@strawberry.type(description="One grant or withdrawal in a customer's consent history.")
class ConsentEvent(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    purpose: ConsentPurpose
    channel: ConsentChannel
    status: ConsentStatus
    source: ConsentSource
    policy_version: str | None
    occurred_at: datetime = strawberry.field(description="When the customer gave or withdrew it.")
    recorded_at: datetime = strawberry.field(description="When UniCRM recorded it.")
    recorded_by: str
    evidence: JSON | None = strawberry.field(
        metadata={"pii": "profile"}, description="What proves it, e.g. the form and IP address."
    )

    @classmethod
    def from_row(cls, row: Any) -> ConsentEvent:
        return cls(
            id=strawberry.ID(to_global_id("ConsentEvent", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            purpose=row.purpose,
            channel=row.channel,
            status=row.status,
            source=row.source,
            policy_version=row.policy_version,
            occurred_at=row.occurred_at,
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
            evidence=row.evidence,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> ConsentEvent | None:
        row = await load_by_id(info, "core.consent_event_by_id", pk)
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="The customer this consent belongs to.")
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return await owner(info, self.customer_pk)


@strawberry.enum(description="Why a consent mutation failed.")
class ConsentErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"


@strawberry.type
class ConsentError:
    field: str | None
    code: ConsentErrorCode
    message: str


@strawberry.input
class ConsentGrantInput:
    customer_id: strawberry.ID
    purpose: ConsentPurpose
    source: ConsentSource
    policy_version: str = strawberry.field(description="The privacy notice version agreed to.")
    channel: ConsentChannel = models.ConsentChannel.ANY
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it was given; defaults to now."
    )
    evidence: JSON | None = None


@strawberry.input
class ConsentWithdrawInput:
    customer_id: strawberry.ID
    purpose: ConsentPurpose
    source: ConsentSource
    channel: ConsentChannel = models.ConsentChannel.ANY
    policy_version: str | None = None
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it was withdrawn; defaults to now."
    )
    evidence: JSON | None = None


@strawberry.type
class ConsentPayload:
    errors: list[ConsentError]
    consent: Consent | None = strawberry.field(
        default=None, description="The current state after the change."
    )
    event: ConsentEvent | None = strawberry.field(default=None, description="The event recorded.")
    customer: Customer | None = None
