"""The policy store: our own async SQLAlchemy adapter over ``authz_rule``, and the versions.

casbin's async SQLAlchemy adapter package keeps a table of its own and rewrites it whole on
save; UniCRM's rules carry more (scope, validity window, default flag, author), are written in
the caller's transaction together with a policy version, and are filtered on load (rules of
uninstalled plugins stay stored but inactive). So the adapter is these few functions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz import auth_audit
from unicrm.core.authz.enforcer import Rule
from unicrm.core.authz.policy_models import AuthzRole, AuthzRule, PolicyVersion
from unicrm.core.authz.vocabulary import Vocabulary

if TYPE_CHECKING:
    from unicrm.core.state import AppState

log = logging.getLogger("unicrm.authz")
LOCK_KEY = 0x0A07_2C0D
_warned: set[tuple[Any, ...]] = set()


@dataclass(frozen=True, slots=True)
class RoleInfo:
    name: str
    description: str
    department: str | None
    is_default: bool


def to_rule(row: AuthzRule) -> Rule:
    width = 5 if row.ptype == "p" else 3
    values = (row.v0, row.v1, row.v2, row.v3, row.v4, row.v5)[:width]
    return Rule(
        row.ptype,
        values,
        scope=row.scope,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        is_default=row.is_default,
        created_by=row.created_by,
    )


def to_row(rule: Rule) -> AuthzRule:
    padded = (*rule.values, "", "", "", "", "", "")[:6]
    return AuthzRule(
        ptype=rule.ptype,
        v0=padded[0],
        v1=padded[1],
        v2=padded[2],
        v3=padded[3],
        v4=padded[4],
        v5=padded[5],
        scope=rule.scope,
        valid_from=rule.valid_from,
        valid_until=rule.valid_until,
        is_default=rule.is_default,
        created_by=rule.created_by,
    )


async def read_rules(session: AsyncSession) -> list[Rule]:
    rows = await session.scalars(select(AuthzRule).order_by(AuthzRule.ptype, AuthzRule.id))
    return [to_rule(r) for r in rows]


async def read_roles(session: AsyncSession) -> list[RoleInfo]:
    rows = await session.scalars(select(AuthzRole).order_by(AuthzRole.name))
    return [RoleInfo(r.name, r.description, r.department, r.is_default) for r in rows]


async def lock(session: AsyncSession) -> None:
    """Serialize policy changes (SQLite's write transactions already are)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def rule_dict(rule: Rule) -> dict[str, Any]:
    return {
        "ptype": rule.ptype,
        "values": list(rule.values),
        "scope": rule.scope,
        "valid_from": _moment(rule.valid_from),
        "valid_until": _moment(rule.valid_until),
        "is_default": rule.is_default,
        "created_by": rule.created_by,
    }


def rule_from_dict(data: dict[str, Any]) -> Rule:
    def moment(value: str | None) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)

    return Rule(
        data["ptype"],
        tuple(data["values"]),
        scope=data["scope"],
        valid_from=moment(data["valid_from"]),
        valid_until=moment(data["valid_until"]),
        is_default=data["is_default"],
        created_by=data["created_by"],
    )


async def snapshot(session: AsyncSession) -> dict[str, Any]:
    roles = await read_roles(session)
    rules = await read_rules(session)
    return {
        "roles": [
            {
                "name": r.name,
                "description": r.description,
                "department": r.department,
                "is_default": r.is_default,
            }
            for r in roles
        ],
        "rules": [rule_dict(r) for r in rules],
    }


async def record_version(session: AsyncSession, by: str, comment: str) -> int:
    """Write the next policy version (the full snapshot after this change) and its audit
    entry; every policy change, from GraphQL, the CLI or the system, passes here."""
    await session.flush()
    number = (await session.scalar(select(func.max(PolicyVersion.number)))) or 0
    session.add(
        PolicyVersion(
            number=number + 1, created_by=by, comment=comment, snapshot=await snapshot(session)
        )
    )
    await session.flush()
    await auth_audit.policy_changed(session, by=by, version=number + 1, comment=comment)
    return number + 1


async def replace_all(session: AsyncSession, roles: list[RoleInfo], rules: list[Rule]) -> None:
    """Make the stored roles and rules exactly these (restore and import)."""
    await session.execute(delete(AuthzRule))
    await session.execute(delete(AuthzRole))
    session.add_all(
        AuthzRole(
            name=r.name, description=r.description, department=r.department, is_default=r.is_default
        )
        for r in roles
    )
    session.add_all(to_row(rule) for rule in rules)
    await session.flush()


def vocabulary(state: AppState) -> Vocabulary:
    """What rules may name in this installation (cached on the state)."""
    if state.vocabulary is None:
        coordinates = None
        if state.schema_factory is not None:
            schema = state.schema_for(frozenset(state.registry.installed))
            coordinates = schema.requirements.by_coordinate.keys()
        state.vocabulary = Vocabulary.of(state.registry, coordinates)
    return state.vocabulary


def enforceable(rules: list[Rule], known: Vocabulary) -> list[Rule]:
    """The rules whose objects exist now; one warning per stored rule that is left out."""
    kept = []
    for rule in rules:
        if rule.is_grant and known.actions_of(rule.values[2]) is None:
            if rule.key not in _warned:
                _warned.add(rule.key)
                log.warning(
                    "policy rule '%s' names %r, which no installed plugin declares; "
                    "it stays stored but is not enforced",
                    rule.describe(),
                    rule.values[2],
                )
            continue
        kept.append(rule)
    return kept


async def load_policies(state: AppState) -> None:
    """Load the stored rules into ``state.authz`` (a new version of its decisions)."""
    async with state.db.session() as session:
        rules = await read_rules(session)
    state.authz.load(enforceable(rules, vocabulary(state)))
