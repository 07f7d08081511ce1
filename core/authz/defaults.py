"""The default roles core and plugins declare, kept in the rule table.

Synchronised at startup and by the test kit, idempotently: missing default roles and rules are
written, default rules no longer declared are removed, and rules admins added stay. Default
rules of a plugin that is no longer installed are left alone (stored, not enforced).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.enforcer import ORGANIZATION, Rule
from unicrm.core.authz.policy_models import AuthzRole, AuthzRule
from unicrm.core.authz.store import lock, record_version, to_row, to_rule
from unicrm.core.authz.vocabulary import Vocabulary
from unicrm.core.plugins.contracts import split_grant
from unicrm.core.plugins.registry import Registry

SYSTEM = "system"


def declared_rules(registry: Registry) -> tuple[dict[str, str], list[Rule]]:
    """The default roles with their descriptions, and their rules (organization-wide)."""
    descriptions: dict[str, str] = {}
    rules: dict[tuple, Rule] = {}
    for role, grants in registry.roles.items():
        descriptions[role] = next((g.description for g in grants if g.description), "")
        for grant in grants:
            for item in grant.grants:
                obj, action, scope = split_grant(item)
                rule = Rule.allow(role, ORGANIZATION, obj, action, scope, is_default=True)
                rules.setdefault(rule.key, rule)
            for item in grant.denies:
                obj, action, _ = split_grant(item)
                rule = Rule.deny(role, ORGANIZATION, obj, action, is_default=True)
                rules.setdefault(rule.key, rule)
            for parent in grant.inherits:
                rule = Rule.link(role, parent, ORGANIZATION, is_default=True)
                rules.setdefault(rule.key, rule)
    return descriptions, list(rules.values())


async def sync_default_roles(session: AsyncSession, registry: Registry) -> bool:
    """Bring the stored default roles in line with the declared ones; True if anything changed.

    A change is recorded as a policy version by ``system``.
    """
    await lock(session)
    descriptions, wanted = declared_rules(registry)
    known = Vocabulary.of(registry, None)
    changed = False
    roles = {r.name: r for r in await session.scalars(select(AuthzRole))}
    for name, description in descriptions.items():
        row = roles.get(name)
        if row is None:
            session.add(AuthzRole(name=name, description=description, is_default=True))
            changed = True
        elif not row.is_default or (description and row.description != description):
            row.is_default = True
            row.description = description or row.description
            changed = True
    stored = list(await session.scalars(select(AuthzRule).where(AuthzRule.is_default.is_(True))))

    present = {to_rule(row).key: row for row in stored}
    wanted_keys = {rule.key for rule in wanted}
    for key, row in present.items():
        rule = to_rule(row)
        declared_here = not rule.is_grant or known.actions_of(rule.values[2]) is not None
        if key not in wanted_keys and declared_here:
            await session.delete(row)
            changed = True
    for rule in wanted:
        if rule.key not in present:
            session.add(to_row(rule))
            changed = True
    if changed:
        await record_version(session, SYSTEM, "default roles synchronised")
    return changed
