"""Reading the policies: permissions, roles with their rules, role assignments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.enforcer import Rule
from unicrm.core.authz.store import RoleInfo, read_roles, read_rules
from unicrm.core.graph.users.models import User
from unicrm.core.plugins.contracts import Permission
from unicrm.core.plugins.registry import Registry


@dataclass(frozen=True, slots=True)
class RoleView:
    role: RoleInfo
    inherits: list[str]
    rules: list[Rule]


@dataclass(frozen=True, slots=True)
class Assignment:
    subject: str
    user: str | None
    role: str
    department: str
    rule: Rule


def list_permissions(registry: Registry) -> list[tuple[Permission, str]]:
    """Every declared permission with the plugin that declares it, by name."""
    return [
        (registry.permissions[name], registry.permission_owner[name])
        for name in sorted(registry.permissions)
    ]


async def list_roles(session: AsyncSession) -> list[RoleView]:
    rules = await read_rules(session)
    views = []
    for role in await read_roles(session):
        inherits = sorted(r.values[1] for r in rules if not r.is_grant and r.values[0] == role.name)
        grants = [r for r in rules if r.is_grant and r.values[0] == role.name]
        views.append(RoleView(role, inherits, grants))
    return views


async def list_assignments(
    session: AsyncSession, department: str | None = None, subject: str | None = None
) -> list[Assignment]:
    """Role assignments of users and API keys, optionally of one department or subject."""
    links = [
        r
        for r in await read_rules(session)
        if not r.is_grant
        and ":" in r.values[0]
        and (department is None or r.values[2] == department)
        and (subject is None or r.values[0] == subject)
    ]
    ids = {uuid.UUID(r.values[0][5:]) for r in links if r.values[0].startswith("user:")}
    emails = dict(
        (await session.execute(select(User.id, User.email).where(User.id.in_(ids)))).all()
    )
    return [
        Assignment(
            subject=r.values[0],
            user=emails.get(uuid.UUID(r.values[0][5:]))
            if r.values[0].startswith("user:")
            else None,
            role=r.values[1],
            department=r.values[2],
            rule=r,
        )
        for r in sorted(links, key=lambda r: (r.values[2], r.values[0], r.values[1]))
    ]
