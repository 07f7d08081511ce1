"""Changing the policies: roles, grants and role assignments, each change a policy version.

A change is an async function of a session that validates its input (``DomainError`` with
typed codes, nothing written) and writes rules. ``PolicyAdmin.apply`` runs it in one
transaction with the new policy version, then reloads every process; ``PolicyAdmin.preview``
runs it, measures who gains or loses what, and rolls it back.

Department admins act only inside their own department: a change in department ``d`` needs
``core.role:write`` (roles, grants) or ``core.policy:write`` (assignments, restore, import) in
``d``; organization-wide changes (department ``*``) need it organization-wide. Outside the
organization-wide admins, nobody grants what they do not hold themselves.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from casbin.util import key_match
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.enforcer import ALLOW, DENY, ORGANIZATION, SCOPES, Authorizer, Rule
from unicrm.core.authz.lifecycle import policies_changed
from unicrm.core.authz.policy_models import AuthzRole, AuthzRule
from unicrm.core.authz.store import lock, read_rules, record_version, to_row, to_rule, vocabulary
from unicrm.core.authz.vocabulary import Vocabulary
from unicrm.core.errors import DomainError, FieldError, Forbidden
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.users.models import User
from unicrm.core.plugins.contracts import ROLE_RE

if TYPE_CHECKING:
    from unicrm.core.authz.impact import AccessChange
    from unicrm.core.state import AppState

ROLE_PERMISSION = "core.role"
POLICY_PERMISSION = "core.policy"
WRITE = "write"
SUBJECT_RE = re.compile(r"^(user|apikey):([0-9a-fA-F-]{36})$")

Change = Callable[[AsyncSession], Awaitable[str]]
"""A policy change: writes rules in the session and returns the version comment."""


@dataclass(frozen=True, slots=True)
class Editor:
    """Who changes the policies. ``authz=None``: unrestricted (the CLI, the system)."""

    subject: str
    authz: Authorizer | None = None

    def may(self, permission: str, department: str) -> bool:
        if self.authz is None:
            return True
        return self.authz.allowed(self.subject, department, permission, WRITE)

    def check(self, permission: str, department: str) -> None:
        """Raise FORBIDDEN unless this editor may change ``permission`` in ``department``."""
        if self.may(permission, ORGANIZATION):
            return
        if department == ORGANIZATION or not self.may(permission, department):
            where = "organization-wide" if department == ORGANIZATION else f"in {department!r}"
            raise Forbidden(f"not allowed to change {permission} {where}")

    def check_holds(self, department: str, obj: str, action: str) -> None:
        """Nobody but organization-wide admins grants what they do not hold themselves."""
        if self.authz is None or self.may(ROLE_PERMISSION, ORGANIZATION):
            return
        if not self.authz.allowed(self.subject, department, obj, action):
            raise Forbidden(f"cannot grant {obj}:{action}, which you do not hold in {department}")


@dataclass(frozen=True, slots=True)
class GrantSpec:
    role: str
    department: str
    obj: str
    action: str
    effect: str = ALLOW
    scope: str = "all"
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class PolicyAdmin:
    """The policy changes of one editor in one process."""

    def __init__(self, state: AppState, editor: Editor) -> None:
        self.state = state
        self.editor = editor

    @property
    def vocabulary(self) -> Vocabulary:
        return vocabulary(self.state)

    async def apply(self, change: Change) -> int:
        """Run ``change`` and record the new version in one transaction; reload everywhere."""
        async with self.state.db.transaction() as session:
            await lock(session)
            comment = await change(session)
            number = await record_version(session, self.editor.subject, comment)
        await policies_changed(self.state)
        return number

    async def preview(self, change: Change) -> list[AccessChange]:
        """Who would gain or lose what through ``change``; nothing is written."""
        from unicrm.core.authz.impact import compare

        async with self.state.db.sessions() as session:
            transaction = await session.begin()
            try:
                before = await read_rules(session)
                await change(session)
                await session.flush()
                after = await read_rules(session)
                departments = list(await session.scalars(select(Department.slug)))
            finally:
                await transaction.rollback()
        return compare(before, after, self.vocabulary, departments)


def _error(code: str, message: str, field: str) -> DomainError:
    return DomainError(FieldError(code, message, field))


async def check_department(session: AsyncSession, slug: str, field: str = "department") -> str:
    if slug == ORGANIZATION:
        return slug
    if await session.scalar(select(Department.id).where(Department.slug == slug)) is None:
        raise _error("UNKNOWN_DEPARTMENT", f"no department {slug!r}", field)
    return slug


async def get_role(session: AsyncSession, name: str, field: str = "role") -> AuthzRole:
    row = await session.scalar(select(AuthzRole).where(AuthzRole.name == name))
    if row is None:
        raise _error("UNKNOWN_ROLE", f"no role {name!r}", field)
    return row


async def check_subject(session: AsyncSession, subject: str, field: str = "subject") -> str:
    """``user:<uuid>`` of an existing user, or ``apikey:<uuid>``."""
    found = SUBJECT_RE.match(subject)
    if found is None:
        raise _error("UNKNOWN_SUBJECT", f"{subject!r} is not user:<id> or apikey:<id>", field)
    kind, raw = found.groups()
    if kind == "user" and await session.get(User, uuid.UUID(raw)) is None:
        raise _error("UNKNOWN_SUBJECT", f"no user {raw}", field)
    return f"{kind}:{uuid.UUID(raw)}"


async def user_subject(session: AsyncSession, email: str) -> str:
    """The subject of the user signing in with ``email`` (``user:<uuid>``)."""
    user_id = await session.scalar(select(User.id).where(User.email == email.strip().lower()))
    if user_id is None:
        raise _error("UNKNOWN_SUBJECT", f"no user with e-mail {email.strip()}", "user")
    return f"user:{user_id}"


def _check_validity(valid_from: datetime | None, valid_until: datetime | None) -> None:
    for name, moment in (("valid_from", valid_from), ("valid_until", valid_until)):
        if moment is not None and moment.tzinfo is None:
            raise _error("INVALID_VALIDITY", "give times with a time zone", name)
    if valid_from and valid_until and valid_until <= valid_from:
        raise _error("INVALID_VALIDITY", "valid_until must come after valid_from", "valid_until")


def _check_role_name(name: str) -> None:
    if not ROLE_RE.match(name):
        raise _error(
            "INVALID", "a role name is 2-64 lowercase letters, digits and underscores", "name"
        )


async def _owner_check(admin: PolicyAdmin, role: AuthzRole) -> None:
    if role.is_default:
        raise _error("DEFAULT_ROLE", f"{role.name!r} is a default role", "name")
    admin.editor.check(ROLE_PERMISSION, role.department or ORGANIZATION)


async def _check_inherits(
    session: AsyncSession, name: str, inherits: Sequence[str]
) -> list[AuthzRole]:
    parents = [await get_role(session, parent, "inherits") for parent in dict.fromkeys(inherits)]
    if name in inherits:
        raise _error("INHERITANCE_CYCLE", f"{name!r} cannot inherit itself", "inherits")
    links = await session.execute(select(AuthzRule.v0, AuthzRule.v1).where(AuthzRule.ptype == "g"))
    graph: dict[str, set[str]] = {}
    for child, parent in links:
        graph.setdefault(child, set()).add(parent)
    graph[name] = set(inherits)
    stack, seen = list(inherits), set()
    while stack:
        role = stack.pop()
        if role == name:
            raise _error("INHERITANCE_CYCLE", f"{name!r} would inherit itself", "inherits")
        if role not in seen:
            seen.add(role)
            stack.extend(graph.get(role, ()))
    return parents


async def _set_inherits(session: AsyncSession, name: str, inherits: Sequence[str], by: str) -> None:
    await session.execute(
        delete(AuthzRule).where(
            AuthzRule.ptype == "g", AuthzRule.v0 == name, AuthzRule.v2 == ORGANIZATION
        )
    )
    session.add_all(
        to_row(Rule.link(name, parent, ORGANIZATION, created_by=by))
        for parent in dict.fromkeys(inherits)
    )


def create_role(
    admin: PolicyAdmin,
    *,
    name: str,
    description: str = "",
    inherits: Sequence[str] = (),
    department: str | None = None,
) -> Change:
    """A custom role; owned by ``department`` (its admins manage it) or organization-wide."""

    async def change(session: AsyncSession) -> str:
        _check_role_name(name)
        if department is not None:
            await check_department(session, department)
        admin.editor.check(ROLE_PERMISSION, department or ORGANIZATION)
        if await session.scalar(select(AuthzRole.id).where(AuthzRole.name == name)):
            raise _error("DUPLICATE", f"a role named {name!r} exists", "name")
        await _check_inherits(session, name, inherits)
        session.add(
            AuthzRole(
                name=name,
                description=description.strip(),
                department=None if department == ORGANIZATION else department,
                created_by=admin.editor.subject,
            )
        )
        await _set_inherits(session, name, inherits, admin.editor.subject)
        return f"role {name} created"

    return change


def update_role(
    admin: PolicyAdmin,
    *,
    name: str,
    description: str | None = None,
    inherits: Sequence[str] | None = None,
) -> Change:
    """Change a custom role's description and/or the roles it inherits."""

    async def change(session: AsyncSession) -> str:
        role = await get_role(session, name, "name")
        await _owner_check(admin, role)
        if description is not None:
            role.description = description.strip()
        if inherits is not None:
            await _check_inherits(session, name, inherits)
            await _set_inherits(session, name, inherits, admin.editor.subject)
        return f"role {name} changed"

    return change


def delete_role(admin: PolicyAdmin, *, name: str) -> Change:
    """Delete a custom role with its grants, its inheritance and its assignments."""

    async def change(session: AsyncSession) -> str:
        role = await get_role(session, name, "name")
        await _owner_check(admin, role)
        await session.execute(
            delete(AuthzRule).where(
                ((AuthzRule.ptype == "p") & (AuthzRule.v0 == name))
                | ((AuthzRule.ptype == "g") & ((AuthzRule.v0 == name) | (AuthzRule.v1 == name)))
            )
        )
        await session.delete(role)
        return f"role {name} deleted"

    return change


async def _checked_grant(session: AsyncSession, admin: PolicyAdmin, spec: GrantSpec) -> Rule:
    await get_role(session, spec.role)
    await check_department(session, spec.department)
    errors: list[FieldError] = []
    problem = admin.vocabulary.problem(spec.obj, spec.action)
    if problem is not None:
        field = "action" if problem[0] == "UNKNOWN_ACTION" else "object"
        errors.append(FieldError(problem[0], problem[1], field))
    if spec.effect not in (ALLOW, DENY):
        errors.append(FieldError("INVALID_EFFECT", "effect is allow or deny", "effect"))
    if spec.scope not in SCOPES:
        errors.append(FieldError("INVALID_SCOPE", f"scope is one of {', '.join(SCOPES)}", "scope"))
    if errors:
        raise DomainError(*errors)
    _check_validity(spec.valid_from, spec.valid_until)
    admin.editor.check(ROLE_PERMISSION, spec.department)
    if spec.effect == ALLOW:
        admin.editor.check_holds(spec.department, spec.obj, spec.action)
    values = (spec.role, spec.department, spec.obj, spec.action, spec.effect)
    return Rule(
        "p",
        values,
        scope=spec.scope if spec.effect == ALLOW else "all",
        valid_from=spec.valid_from,
        valid_until=spec.valid_until,
        created_by=admin.editor.subject,
    )


def _same_grant(spec: GrantSpec) -> list[object]:
    return [
        AuthzRule.ptype == "p",
        AuthzRule.v0 == spec.role,
        AuthzRule.v1 == spec.department,
        AuthzRule.v2 == spec.obj,
        AuthzRule.v3 == spec.action,
        AuthzRule.v4 == spec.effect,
    ]


def grant(admin: PolicyAdmin, spec: GrantSpec) -> Change:
    """Add an allow or deny rule for a role in a department (``*``: organization-wide)."""

    async def change(session: AsyncSession) -> str:
        rule = await _checked_grant(session, admin, spec)
        existing = [
            to_rule(r) for r in await session.scalars(select(AuthzRule).where(*_same_grant(spec)))
        ]
        if any(r.key == rule.key for r in existing):
            raise _error("DUPLICATE", "this rule exists", "object")
        session.add(to_row(rule))
        return f"{spec.effect} {spec.role} {spec.obj}:{spec.action} in {spec.department}"

    return change


def revoke(admin: PolicyAdmin, spec: GrantSpec) -> Change:
    """Remove the added allow or deny rules of a role matching ``spec`` (any validity)."""

    async def change(session: AsyncSession) -> str:
        await get_role(session, spec.role)
        await check_department(session, spec.department)
        admin.editor.check(ROLE_PERMISSION, spec.department)
        rows = list(await session.scalars(select(AuthzRule).where(*_same_grant(spec))))
        if not rows:
            raise _error("NOT_FOUND", "no such rule", "object")
        if all(row.is_default for row in rows):
            raise _error(
                "DEFAULT_RULE", "a default rule cannot be revoked; add a deny rule", "object"
            )
        for row in rows:
            if not row.is_default:
                await session.delete(row)
        return f"revoked {spec.effect} {spec.role} {spec.obj}:{spec.action} in {spec.department}"

    return change


def _check_role_held(editor: Editor, role: str, department: str) -> None:
    """Outside organization-wide admins, one hands out only roles whose grants one holds."""
    held = editor.authz
    if held is None or editor.may(ROLE_PERMISSION, ORGANIZATION):
        return
    roles = {role, *held.roles_for(role, department)}
    for rule in held.rules:
        if not rule.is_grant:
            continue
        sub, dom, obj, action, effect = rule.values
        if effect == ALLOW and sub in roles and key_match(department, dom):
            editor.check_holds(department, obj, action)


def assign(
    admin: PolicyAdmin,
    *,
    subject: str,
    role: str,
    department: str,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> Change:
    """Give a user or API key a role in a department (``*``: every department)."""

    async def change(session: AsyncSession) -> str:
        who = await check_subject(session, subject)
        await get_role(session, role)
        await check_department(session, department)
        _check_validity(valid_from, valid_until)
        admin.editor.check(POLICY_PERMISSION, department)
        _check_role_held(admin.editor, role, department)
        rows = await session.scalars(
            select(AuthzRule).where(
                AuthzRule.ptype == "g",
                AuthzRule.v0 == who,
                AuthzRule.v1 == role,
                AuthzRule.v2 == department,
            )
        )
        if rows.first() is not None:
            raise _error("DUPLICATE", f"{who} has {role} in {department} already", "role")
        link = Rule.link(
            who,
            role,
            department,
            valid_from=valid_from,
            valid_until=valid_until,
            created_by=admin.editor.subject,
        )
        session.add(to_row(link))
        return f"assigned {role} to {who} in {department}"

    return change


def unassign(admin: PolicyAdmin, *, subject: str, role: str, department: str) -> Change:
    async def change(session: AsyncSession) -> str:
        who = await check_subject(session, subject)
        await check_department(session, department)
        admin.editor.check(POLICY_PERMISSION, department)
        result = await session.execute(
            delete(AuthzRule).where(
                AuthzRule.ptype == "g",
                AuthzRule.v0 == who,
                AuthzRule.v1 == role,
                AuthzRule.v2 == department,
            )
        )
        if not result.rowcount:
            raise _error("NOT_FOUND", f"{who} has no {role} in {department}", "role")
        return f"unassigned {role} from {who} in {department}"

    return change
