from __future__ import annotations

import strawberry

from unicrm.core.authz import apikeys
from unicrm.core.authz.declare import requires
from unicrm.core.graph.auth.types import ApiKey


@strawberry.type
class AuthQuery:
    @strawberry.field(
        metadata=requires("core.apikey:read"),
        description="Every API key, newest first (their secrets are never shown again).",
    )
    async def api_keys(self, info: strawberry.Info) -> list[ApiKey]:
        async with info.context.db.session() as session:
            return [ApiKey.of(key) for key in await apikeys.list_api_keys(session)]


QUERY = AuthQuery
