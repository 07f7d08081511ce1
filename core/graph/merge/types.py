from __future__ import annotations

from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.graph.customers.types import Customer


@strawberry.enum(description="Why another customer may be the same person or company.")
class DuplicateReason(Enum):
    SAME_EMAIL = "SAME_EMAIL"
    SAME_PHONE = "SAME_PHONE"
    SAME_IDENTITY = "SAME_IDENTITY"


@guard("core.customer")
@strawberry.type(description="A customer that may be a duplicate of the one asked about.")
class DuplicateCandidate:
    customer: Customer
    reasons: list[DuplicateReason]
    score: float = strawberry.field(
        description="0 to 1: how likely the two are one customer, from the reasons."
    )


@strawberry.input
class CustomerMergeInput:
    source_id: strawberry.ID = strawberry.field(description="The customer merged away.")
    target_id: strawberry.ID = strawberry.field(description="The customer that survives.")


@strawberry.enum
class MergeErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    NOT_FOUND = "not_found"
    SAME_CUSTOMER = "same_customer"
    KIND_MISMATCH = "kind_mismatch"


@strawberry.type
class MergeError:
    field: str | None
    code: MergeErrorCode
    message: str


@strawberry.type
class CustomerMergePayload:
    errors: list[MergeError]
    customer: Customer | None = strawberry.field(default=None, description="The survivor.")
    merge_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of this merge, to undo it later."
    )
