"""Policy versions: the history of changes, restoring one, and the diff between two."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.admin import POLICY_PERMISSION, Change, PolicyAdmin
from unicrm.core.authz.enforcer import ORGANIZATION, Rule
from unicrm.core.authz.policy_models import PolicyVersion
from unicrm.core.authz.store import RoleInfo, replace_all, rule_from_dict
from unicrm.core.errors import DomainError


@dataclass(frozen=True, slots=True)
class VersionInfo:
    number: int
    created_by: str
    created_at: datetime
    comment: str


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """What changed from version ``old`` to version ``new``."""

    old: int
    new: int
    added_rules: list[Rule]
    removed_rules: list[Rule]
    added_roles: list[str]
    removed_roles: list[str]


async def list_versions(session: AsyncSession, limit: int = 100) -> list[VersionInfo]:
    rows = await session.execute(
        select(
            PolicyVersion.number,
            PolicyVersion.created_by,
            PolicyVersion.created_at,
            PolicyVersion.comment,
        )
        .order_by(PolicyVersion.number.desc())
        .limit(limit)
    )
    return [VersionInfo(*row) for row in rows]


async def _snapshot(session: AsyncSession, number: int, field: str) -> dict[str, Any]:
    row = await session.get(PolicyVersion, number)
    if row is None:
        raise DomainError.single("NOT_FOUND", f"no policy version {number}", field)
    return row.snapshot


def _contents(snapshot: dict[str, Any]) -> tuple[list[RoleInfo], list[Rule]]:
    roles = [RoleInfo(**role) for role in snapshot["roles"]]
    return roles, [rule_from_dict(rule) for rule in snapshot["rules"]]


def restore(admin: PolicyAdmin, number: int) -> Change:
    """Make the roles and rules those of version ``number`` (a new version records it)."""

    async def change(session: AsyncSession) -> str:
        roles, rules = _contents(await _snapshot(session, number, "number"))
        admin.editor.check(POLICY_PERMISSION, ORGANIZATION)
        await replace_all(session, roles, rules)
        return f"restored version {number}"

    return change


async def diff(session: AsyncSession, old: int, new: int) -> VersionDiff:
    old_roles, old_rules = _contents(await _snapshot(session, old, "old"))
    new_roles, new_rules = _contents(await _snapshot(session, new, "new"))
    old_keys = {r.key for r in old_rules}
    new_keys = {r.key for r in new_rules}
    old_names = {r.name for r in old_roles}
    new_names = {r.name for r in new_roles}
    return VersionDiff(
        old=old,
        new=new,
        added_rules=[r for r in new_rules if r.key not in old_keys],
        removed_rules=[r for r in old_rules if r.key not in new_keys],
        added_roles=sorted(new_names - old_names),
        removed_roles=sorted(old_names - new_names),
    )
