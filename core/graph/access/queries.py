from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz import listing, review, transfer, versions
from unicrm.core.authz.declare import requires
from unicrm.core.graph.access.types import (
    AccessExplanation,
    AccessReviewEntry,
    PermissionInfo,
    PolicyRule,
    PolicyVersion,
    PolicyVersionDiff,
    Role,
    RoleAssignment,
)
from unicrm.core.graph.queries import run_query

READ_ROLES = requires("core.role:read")
READ_POLICY = requires("core.policy:read")


@strawberry.type
class AccessQuery:
    @strawberry.field(metadata=READ_ROLES, description="Every declared permission.")
    def permissions(self, info: strawberry.Info) -> list[PermissionInfo]:
        return [
            PermissionInfo(
                name=p.name, description=p.description, actions=list(p.actions), plugin=owner
            )
            for p, owner in listing.list_permissions(info.context.state.registry)
        ]

    @strawberry.field(metadata=READ_ROLES, description="Every role with its rules.")
    async def roles(self, info: strawberry.Info) -> list[Role]:
        views = await run_query(info, listing.list_roles)
        return [
            Role(
                name=v.role.name,
                description=v.role.description,
                department=v.role.department,
                is_default=v.role.is_default,
                inherits=v.inherits,
                rules=[PolicyRule.of(r) for r in v.rules],
            )
            for v in views
        ]

    @strawberry.field(metadata=READ_POLICY, description="Who holds which role where.")
    async def role_assignments(
        self, info: strawberry.Info, department: str | None = None, subject: str | None = None
    ) -> list[RoleAssignment]:
        async def work(session: AsyncSession) -> list[listing.Assignment]:
            return await listing.list_assignments(session, department, subject)

        return [
            RoleAssignment(
                subject=a.subject,
                user=a.user,
                role=a.role,
                department=a.department,
                valid_from=a.rule.valid_from,
                valid_until=a.rule.valid_until,
            )
            for a in await run_query(info, work)
        ]

    @strawberry.field(metadata=READ_POLICY, description="Policy versions, newest first.")
    async def policy_versions(self, info: strawberry.Info, limit: int = 50) -> list[PolicyVersion]:
        async def work(session: AsyncSession) -> list[versions.VersionInfo]:
            return await versions.list_versions(session, max(1, min(limit, 500)))

        return [PolicyVersion.of(v) for v in await run_query(info, work)]

    @strawberry.field(metadata=READ_POLICY, description="What changed between two versions.")
    async def policy_version_diff(
        self, info: strawberry.Info, old: int, new: int
    ) -> PolicyVersionDiff:
        async def work(session: AsyncSession) -> versions.VersionDiff:
            return await versions.diff(session, old, new)

        return PolicyVersionDiff.of(await run_query(info, work))

    @strawberry.field(metadata=READ_POLICY, description="Every role and rule as CSV.")
    async def policy_export(self, info: strawberry.Info) -> str:
        return await run_query(info, transfer.export_csv)

    @strawberry.field(
        metadata=READ_POLICY,
        description="Whether a subject may do an action on an object in a department, and why.",
    )
    async def access_explain(
        self, info: strawberry.Info, subject: str, department: str, object: str, action: str
    ) -> AccessExplanation:
        state = info.context.state

        async def work(session: AsyncSession):
            return await review.explain(state, session, subject, department, object, action)

        return AccessExplanation.of(await run_query(info, work))

    @strawberry.field(
        metadata=READ_POLICY,
        description="Who may do an action on an object (Customer.phone) in a department, "
        "and through which role.",
    )
    async def access_review(
        self, info: strawberry.Info, department: str, object: str, action: str = "read"
    ) -> list[AccessReviewEntry]:
        rows = await _review(info, department, object, action)
        return [AccessReviewEntry.of(row) for row in rows]

    @strawberry.field(metadata=READ_POLICY, description="The access review as a CSV report.")
    async def access_review_csv(
        self, info: strawberry.Info, department: str, object: str, action: str = "read"
    ) -> str:
        return review.review_csv(await _review(info, department, object, action))


async def _review(
    info: strawberry.Info, department: str, obj: str, action: str
) -> list[review.ReviewRow]:
    state = info.context.state

    async def work(session: AsyncSession) -> list[review.ReviewRow]:
        return await review.access_review(state, session, department, obj, action)

    return await run_query(info, work)


QUERY = AccessQuery
