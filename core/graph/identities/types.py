from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.contacts.types import load_by_id, owner
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.identities import services
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.node import Node
from unicrm.core.graph.plan import direct


@strawberry.enum(description="Where an external identity comes from; OTHER names its source.")
class IdentitySource(Enum):
    LINE = "line"
    POS_MEMBER = "pos_member"
    WEB_COOKIE = "web_cookie"
    CRM_IMPORT = "crm_import"
    OTHER = services.OTHER

    @classmethod
    def of(cls, slug: str) -> IdentitySource:
        return cls(slug) if slug in services.KNOWN_SOURCES else cls.OTHER


@guard("core.identity")
@strawberry.type(description="A customer's id in another system, unique per source.")
class CustomerIdentity(Node):
    pk: strawberry.Private[uuid.UUID]
    customer_pk: strawberry.Private[uuid.UUID]
    source: IdentitySource
    source_name: str = strawberry.field(description="The source's slug, e.g. line or pos_member.")
    external_id: str = strawberry.field(metadata={"pii": "identity"})
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> CustomerIdentity:
        return cls(
            id=strawberry.ID(to_global_id("CustomerIdentity", row.id)),
            pk=row.id,
            customer_pk=row.customer_id,
            source=IdentitySource.of(row.source),
            source_name=row.source,
            external_id=row.external_id,
            created_at=row.created_at,
        )

    @classmethod
    async def load_node(cls, info: strawberry.Info, pk: uuid.UUID) -> CustomerIdentity | None:
        row = await load_by_id(info, "core.identity_by_id", pk)
        return None if row is None else cls.from_row(row)

    @strawberry.field(description="The customer holding this identity.")
    @direct
    async def customer(self, info: strawberry.Info) -> Customer | None:
        return await owner(info, self.customer_pk)


@strawberry.enum(description="Why an identity mutation failed.")
class IdentityErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    TOO_LONG = "too_long"


@strawberry.type
class IdentityError:
    field: str | None
    code: IdentityErrorCode
    message: str


@strawberry.input
class CustomerIdentityLinkInput:
    customer_id: strawberry.ID
    source: IdentitySource
    external_id: str
    source_name: str | None = strawberry.field(
        default=None, description="The source's slug when source is OTHER, e.g. shopee."
    )


@strawberry.input
class CustomerIdentityUnlinkInput:
    customer_id: strawberry.ID
    id: strawberry.ID


@strawberry.type
class CustomerIdentityPayload:
    errors: list[IdentityError]
    identity: CustomerIdentity | None = None


@strawberry.type
class CustomerIdentityUnlinkPayload:
    errors: list[IdentityError]
    removed_id: strawberry.ID | None = None
    customer: Customer | None = None
