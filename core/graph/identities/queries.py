from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.declare import requires
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.identities import services
from unicrm.core.graph.identities.types import IdentitySource
from unicrm.core.graph.queries import run_query


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        metadata=requires("core.identity:read"),
        description="The customer holding an external identity, if any.",
    )
    async def customer_by_identity(
        self,
        info: strawberry.Info,
        source: IdentitySource,
        external_id: str,
        source_name: str | None = None,
    ) -> Customer | None:
        async def work(session: AsyncSession) -> uuid.UUID | None:
            slug = services.source_slug(source.value, source_name)
            value = services.normalize_external_id(external_id)
            return await services.customer_id_by_identity(session, slug, value)

        customer_id = await run_query(info, work)
        return None if customer_id is None else await Customer.load_node(info, customer_id)


QUERY = IdentityQuery
