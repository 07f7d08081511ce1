from __future__ import annotations

import strawberry

from unicrm.core.authz.declare import public
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.viewer.services import user_and_departments
from unicrm.core.graph.viewer.types import Viewer


@strawberry.type
class ViewerQuery:
    @strawberry.field(metadata=public(), description="The caller and what they may do.")
    async def viewer(self, info: strawberry.Info) -> Viewer:
        ctx = info.context
        actor = ctx.actor
        user, departments = None, []
        if actor.user_id is not None:
            async with ctx.db.session() as session:
                user, departments = await user_and_departments(session, actor.user_id)
        roles = sorted(ctx.access.roles()) if ctx.access is not None else []
        return Viewer(
            id=strawberry.ID(to_global_id("User", user.id)) if user else None,
            kind=actor.kind,
            display_name=user.display_name if user else actor.name,
            email=user.email if user else None,
            department=ctx.department.name,
            departments=departments,
            roles=roles,
        )


QUERY = ViewerQuery
