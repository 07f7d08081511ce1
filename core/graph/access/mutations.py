from __future__ import annotations

from collections.abc import Callable

import strawberry

from unicrm.core.authz import admin as policies
from unicrm.core.authz import transfer, versions
from unicrm.core.authz.admin import Change, Editor, GrantSpec, PolicyAdmin
from unicrm.core.authz.declare import requires
from unicrm.core.errors import DomainError
from unicrm.core.graph.access.types import (
    AccessChange,
    GrantAddInput,
    GrantRevokeInput,
    PolicyChangePayload,
    PolicyError,
    PolicyErrorCode,
    PolicyImportInput,
    PolicyRestoreInput,
    RoleAssignInput,
    RoleCreateInput,
    RoleDeleteInput,
    RoleUnassignInput,
    RoleUpdateInput,
)
from unicrm.core.graph.mutations import payload_errors


def admin_of(info: strawberry.Info) -> PolicyAdmin:
    """The caller as a policy editor: restricted by its own decisions when it has them."""
    ctx = info.context
    access = getattr(ctx, "access", None)
    if access is not None:
        return PolicyAdmin(ctx.state, Editor(access.subject, access.authz))
    actor = ctx.actor
    return PolicyAdmin(ctx.state, Editor(getattr(actor, "subject", None) or actor.name))


async def run_change(
    info: strawberry.Info, make: Callable[[PolicyAdmin], Change], dry_run: bool
) -> PolicyChangePayload:
    admin = admin_of(info)
    change = make(admin)
    try:
        if dry_run:
            impact = await admin.preview(change)
            return PolicyChangePayload(errors=[], impact=[AccessChange.of(c) for c in impact])
        version = await admin.apply(change)
    except DomainError as error:
        return PolicyChangePayload(errors=payload_errors(error, PolicyError, PolicyErrorCode))
    return PolicyChangePayload(errors=[], version=version)


@strawberry.type
class AccessMutation:
    @strawberry.mutation(metadata=requires("core.role:write"), description="Create a custom role.")
    async def role_create(
        self, info: strawberry.Info, input: RoleCreateInput
    ) -> PolicyChangePayload:
        return await run_change(
            info,
            lambda a: policies.create_role(
                a,
                name=input.name,
                description=input.description,
                inherits=input.inherits,
                department=input.department,
            ),
            input.dry_run,
        )

    @strawberry.mutation(
        metadata=requires("core.role:write"),
        description="Change a custom role's description or inherited roles.",
    )
    async def role_update(
        self, info: strawberry.Info, input: RoleUpdateInput
    ) -> PolicyChangePayload:
        return await run_change(
            info,
            lambda a: policies.update_role(
                a, name=input.name, description=input.description, inherits=input.inherits
            ),
            input.dry_run,
        )

    @strawberry.mutation(
        metadata=requires("core.role:delete"),
        description="Delete a custom role with its rules and assignments.",
    )
    async def role_delete(
        self, info: strawberry.Info, input: RoleDeleteInput
    ) -> PolicyChangePayload:
        return await run_change(
            info, lambda a: policies.delete_role(a, name=input.name), input.dry_run
        )

    @strawberry.mutation(
        metadata=requires("core.role:write"),
        description="Add an allow or deny rule to a role in a department.",
    )
    async def grant_add(self, info: strawberry.Info, input: GrantAddInput) -> PolicyChangePayload:
        spec = GrantSpec(
            role=input.role,
            department=input.department,
            obj=input.object,
            action=input.action,
            effect=input.effect,
            scope=input.scope,
            valid_from=input.valid_from,
            valid_until=input.valid_until,
        )
        return await run_change(info, lambda a: policies.grant(a, spec), input.dry_run)

    @strawberry.mutation(
        metadata=requires("core.role:write"),
        description="Remove a rule added to a role (default rules stay; deny them instead).",
    )
    async def grant_revoke(
        self, info: strawberry.Info, input: GrantRevokeInput
    ) -> PolicyChangePayload:
        spec = GrantSpec(
            role=input.role,
            department=input.department,
            obj=input.object,
            action=input.action,
            effect=input.effect,
        )
        return await run_change(info, lambda a: policies.revoke(a, spec), input.dry_run)

    @strawberry.mutation(
        metadata=requires("core.policy:write"),
        description="Give a user or API key a role in a department (* for every one).",
    )
    async def role_assign(
        self, info: strawberry.Info, input: RoleAssignInput
    ) -> PolicyChangePayload:
        return await run_change(
            info,
            lambda a: policies.assign(
                a,
                subject=input.subject,
                role=input.role,
                department=input.department,
                valid_from=input.valid_from,
                valid_until=input.valid_until,
            ),
            input.dry_run,
        )

    @strawberry.mutation(
        metadata=requires("core.policy:write"), description="Take a role away in a department."
    )
    async def role_unassign(
        self, info: strawberry.Info, input: RoleUnassignInput
    ) -> PolicyChangePayload:
        return await run_change(
            info,
            lambda a: policies.unassign(
                a, subject=input.subject, role=input.role, department=input.department
            ),
            input.dry_run,
        )

    @strawberry.mutation(
        metadata=requires("core.policy:write"),
        description="Make every role and rule those of an earlier version (a new version).",
    )
    async def policy_restore(
        self, info: strawberry.Info, input: PolicyRestoreInput
    ) -> PolicyChangePayload:
        return await run_change(info, lambda a: versions.restore(a, input.number), input.dry_run)

    @strawberry.mutation(
        metadata=requires("core.policy:write"),
        description="Replace every role and rule with those of a policyExport CSV.",
    )
    async def policy_import(
        self, info: strawberry.Info, input: PolicyImportInput
    ) -> PolicyChangePayload:
        return await run_change(info, lambda a: transfer.import_csv(a, input.csv), input.dry_run)


MUTATION = AccessMutation
