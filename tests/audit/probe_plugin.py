"""A plugin that exists only in the audit tests: a sign-up mutation carrying personal data and
a password, to prove the audit log records the call without any of its values, and a
``sensitive`` field on Customer, ``probeHealthNote``, whose clear reads are audited.

``probeSignup`` answers a short password with a WEAK_PASSWORD payload error, a malformed
customer id with INVALID_ID, and an address at ``blocked.test`` with a FORBIDDEN GraphQL error.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types.field import StrawberryField

from unicrm.core.authz.declare import requires
from unicrm.core.errors import DomainError, FieldError, Forbidden
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.ids import decode_id
from unicrm.core.graph.mutations import mutate
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import PluginManifest

NAME = "audit_probe"
MIN_PASSWORD = 8


@strawberry.enum
class ProbeErrorCode(Enum):
    INVALID = "invalid"
    INVALID_ID = "invalid_id"
    WEAK_PASSWORD = "weak_password"


@strawberry.type
class ProbeError:
    field: str | None
    code: ProbeErrorCode
    message: str


@strawberry.input
class ProbeSignupInput:
    customer_id: strawberry.ID
    email: str
    phone: str
    password: str


@strawberry.type
class ProbeSignupPayload:
    errors: list[ProbeError]
    customer: Customer | None = None


@strawberry.type
class ProbeMutation:
    @strawberry.mutation(metadata=requires("core.customer:write"))
    async def probe_signup(
        self, info: strawberry.Info, input: ProbeSignupInput
    ) -> ProbeSignupPayload:
        if input.email.endswith("@blocked.test"):
            raise Forbidden("sign-ups from this domain are blocked")

        async def work(session: object) -> Customer | None:
            pk = decode_id(input.customer_id, "Customer", "customer_id")
            if len(input.password) < MIN_PASSWORD:
                raise DomainError(
                    FieldError("WEAK_PASSWORD", f"{input.password!r} is too short", "password")
                )
            return await Customer.load_node(info, pk)

        return await mutate(
            info,
            work,
            payload=ProbeSignupPayload,
            error_type=ProbeError,
            codes=ProbeErrorCode,
            result=lambda customer: {"customer": customer},
        )


@hookimpl
def plugin_manifest() -> PluginManifest:
    return PluginManifest(name=NAME, version="0.0.1", title="Audit probe")


@hookimpl
def graphql_mutation() -> type:
    return ProbeMutation


HEALTH_NOTE = "peanut allergy"


def _health_note(root: Customer) -> str | None:
    return HEALTH_NOTE


@hookimpl
def graphql_type_fields() -> dict[str, list[StrawberryField]]:
    note = strawberry.field(
        resolver=_health_note, name="probeHealthNote", metadata={"pii": "sensitive"}
    )
    return {"Customer": [note]}
