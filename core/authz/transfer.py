"""Policies as CSV: casbin's ``p``/``g`` lines plus scope, validity and the default flag,
and ``role`` lines (name, department, description).

An import replaces every role and rule with the file's, after checking every line; a bad line
is a ``DomainError`` naming it (``line 7``), and nothing is written.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.admin import POLICY_PERMISSION, Change, PolicyAdmin, check_department
from unicrm.core.authz.admin import check_subject as checked_subject
from unicrm.core.authz.enforcer import ALLOW, DENY, ORGANIZATION, SCOPES, Rule
from unicrm.core.authz.store import RoleInfo, read_roles, read_rules, replace_all
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.plugins.contracts import ROLE_RE

HEADER = ("kind", "v0", "v1", "v2", "v3", "v4", "scope", "valid_from", "valid_until", "default")


def _moment(value: datetime | None) -> str:
    return "" if value is None else value.isoformat()


async def export_csv(session: AsyncSession) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for role in await read_roles(session):
        flag = "yes" if role.is_default else ""
        writer.writerow(
            ("role", role.name, role.department or "", role.description, "", "", "", "", "", flag)
        )
    for rule in await read_rules(session):
        values = (*rule.values, "", "")[:5]
        writer.writerow(
            (
                rule.ptype,
                *values,
                rule.scope,
                _moment(rule.valid_from),
                _moment(rule.valid_until),
                "yes" if rule.is_default else "",
            )
        )
    return out.getvalue()


def _when(raw: str, line: int) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise DomainError.single("INVALID_VALIDITY", f"line {line}: bad time {raw!r}", "csv")
    return moment


async def _parse(
    session: AsyncSession, admin: PolicyAdmin, text: str
) -> tuple[list[RoleInfo], list[Rule]]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0]) != HEADER:
        raise DomainError.single("INVALID_CSV", "the first line must be " + ",".join(HEADER), "csv")
    roles: list[RoleInfo] = []
    rules: list[Rule] = []
    errors: list[FieldError] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        if len(row) != len(HEADER):
            errors.append(
                FieldError("INVALID_CSV", f"line {number}: {len(HEADER)} columns expected", "csv")
            )
            continue
        kind, v0, v1, v2, v3, v4, scope, valid_from, valid_until, default = row
        try:
            if kind == "role":
                if not ROLE_RE.match(v0):
                    raise DomainError.single("INVALID", f"bad role name {v0!r}", "csv")
                if v1:
                    await check_department(session, v1, "csv")
                roles.append(RoleInfo(v0, v2, v1 or None, default == "yes"))
                continue
            window = {
                "valid_from": _when(valid_from, number),
                "valid_until": _when(valid_until, number),
            }
            if kind == "p":
                problem = admin.vocabulary.problem(v2, v3)
                if problem is not None:
                    raise DomainError.single(problem[0], problem[1], "csv")
                if v4 not in (ALLOW, DENY) or scope not in SCOPES:
                    raise DomainError.single(
                        "INVALID", "effect allow|deny and a known scope", "csv"
                    )
                await check_department(session, v1, "csv")
                rules.append(
                    Rule(
                        "p",
                        (v0, v1, v2, v3, v4),
                        scope=scope,
                        is_default=default == "yes",
                        created_by=admin.editor.subject,
                        **window,
                    )
                )
            elif kind == "g":
                if ":" in v0:
                    await checked_subject(session, v0, "csv")
                await check_department(session, v2, "csv")
                rules.append(
                    Rule(
                        "g",
                        (v0, v1, v2),
                        is_default=default == "yes",
                        created_by=admin.editor.subject,
                        **window,
                    )
                )
            else:
                raise DomainError.single("INVALID_CSV", f"unknown kind {kind!r}", "csv")
        except DomainError as error:
            errors += [
                FieldError(e.code, f"line {number}: {e.message}", "csv") for e in error.errors
            ]
    names = {r.name for r in roles}
    for rule in rules:
        named = (
            [rule.values[0]]
            if rule.is_grant
            else [rule.values[1]] + ([] if ":" in rule.values[0] else [rule.values[0]])
        )
        for name in named:
            if name not in names:
                errors.append(
                    FieldError(
                        "UNKNOWN_ROLE",
                        f"rule '{rule.describe()}' names the undeclared role {name!r}",
                        "csv",
                    )
                )
    if errors:
        raise DomainError(*errors)
    return roles, rules


def import_csv(admin: PolicyAdmin, text: str) -> Change:
    """Replace every role and rule with those of ``text`` (organization-wide admins only)."""

    async def change(session: AsyncSession) -> str:
        admin.editor.check(POLICY_PERMISSION, ORGANIZATION)
        roles, rules = await _parse(session, admin, text)
        await replace_all(session, roles, rules)
        return f"imported {len(roles)} roles and {len(rules)} rules"

    return change
