from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from unicrm.core.authz.declare import guard
from unicrm.core.authz.enforcer import Explanation, Rule
from unicrm.core.authz.impact import AccessChange as Change
from unicrm.core.authz.review import ReviewRow
from unicrm.core.authz.versions import VersionDiff, VersionInfo


@guard("core.role")
@strawberry.type(description="A permission core or a plugin declares, and its actions.")
class PermissionInfo:
    name: str
    description: str
    actions: list[str]
    plugin: str


@guard("core.role")
@strawberry.type(
    description="One stored rule: a grant (allow/deny on an object) or a role link "
    "(a subject or role holding a role in a department)."
)
class PolicyRule:
    kind: str = strawberry.field(description="GRANT or LINK.")
    subject: str = strawberry.field(description="The role (grants) or member (links).")
    department: str = strawberry.field(description="A department slug, or * for every one.")
    object: str | None = strawberry.field(description="Grants: what the rule is about.")
    action: str | None
    effect: str | None = strawberry.field(description="Grants: allow or deny.")
    role: str | None = strawberry.field(description="Links: the role held.")
    scope: str | None = strawberry.field(description="Allow grants: own, team, department, all.")
    valid_from: datetime | None
    valid_until: datetime | None
    is_default: bool
    created_by: str

    @classmethod
    def of(cls, rule: Rule) -> PolicyRule:
        grant = rule.is_grant
        return cls(
            kind="GRANT" if grant else "LINK",
            subject=rule.values[0],
            department=rule.values[1] if grant else rule.values[2],
            object=rule.values[2] if grant else None,
            action=rule.values[3] if grant else None,
            effect=rule.values[4] if grant else None,
            role=None if grant else rule.values[1],
            scope=rule.scope if grant and rule.values[4] == "allow" else None,
            valid_from=rule.valid_from,
            valid_until=rule.valid_until,
            is_default=rule.is_default,
            created_by=rule.created_by,
        )


@guard("core.role")
@strawberry.type(description="A role: default (declared by core or a plugin) or custom.")
class Role:
    name: str
    description: str
    department: str | None = strawberry.field(
        description="The department owning a custom role; null: organization-wide."
    )
    is_default: bool
    inherits: list[str]
    rules: list[PolicyRule] = strawberry.field(description="The role's allow and deny rules.")


@guard("core.policy")
@strawberry.type(description="A user or API key holding a role in a department.")
class RoleAssignment:
    subject: str
    user: str | None = strawberry.field(description="The user's e-mail, for users.")
    role: str
    department: str
    valid_from: datetime | None
    valid_until: datetime | None


@guard("core.policy")
@strawberry.type(description="A numbered snapshot of every role and rule after a change.")
class PolicyVersion:
    number: int
    created_by: str
    created_at: datetime
    comment: str

    @classmethod
    def of(cls, info: VersionInfo) -> PolicyVersion:
        return cls(
            number=info.number,
            created_by=info.created_by,
            created_at=info.created_at,
            comment=info.comment,
        )


@guard("core.policy")
@strawberry.type(description="What changed between two policy versions.")
class PolicyVersionDiff:
    old: int
    new: int
    added_rules: list[PolicyRule]
    removed_rules: list[PolicyRule]
    added_roles: list[str]
    removed_roles: list[str]

    @classmethod
    def of(cls, diff: VersionDiff) -> PolicyVersionDiff:
        return cls(
            old=diff.old,
            new=diff.new,
            added_rules=[PolicyRule.of(r) for r in diff.added_rules],
            removed_rules=[PolicyRule.of(r) for r in diff.removed_rules],
            added_roles=diff.added_roles,
            removed_roles=diff.removed_roles,
        )


@guard("core.policy")
@strawberry.type(description="Why a subject may or may not do something in a department.")
class AccessExplanation:
    allowed: bool
    reason: str
    effect: str | None
    chain: list[str] = strawberry.field(description="The subject, then each role on the way.")
    rule: PolicyRule | None

    @classmethod
    def of(cls, explanation: Explanation) -> AccessExplanation:
        return cls(
            allowed=explanation.allowed,
            reason=explanation.reason,
            effect=explanation.effect,
            chain=list(explanation.chain),
            rule=PolicyRule.of(explanation.rule) if explanation.rule else None,
        )


@guard("core.policy")
@strawberry.type(description="One subject who may do what was asked, and through which role.")
class AccessReviewEntry:
    subject: str
    user: str | None
    department: str
    object: str
    action: str
    decision: str = strawberry.field(description="allow, or mask for masked personal data.")
    via: list[str]
    rule: PolicyRule | None
    scope: str | None

    @classmethod
    def of(cls, row: ReviewRow) -> AccessReviewEntry:
        rule = row.explanation.rule
        return cls(
            subject=row.subject,
            user=row.user,
            department=row.department,
            object=row.obj,
            action=row.action,
            decision=row.decision,
            via=list(row.explanation.chain),
            rule=PolicyRule.of(rule) if rule else None,
            scope=row.scope,
        )


@guard("core.policy")
@strawberry.type(description="A subject gaining, losing or changing scope on an action.")
class AccessChange:
    subject: str
    department: str
    object: str
    action: str
    change: str = strawberry.field(description="gains, loses or scope.")
    scope_before: str | None
    scope_after: str | None

    @classmethod
    def of(cls, change: Change) -> AccessChange:
        return cls(
            subject=change.subject,
            department=change.department,
            object=change.obj,
            action=change.action,
            change=change.change,
            scope_before=change.scope_before,
            scope_after=change.scope_after,
        )


@strawberry.enum
class PolicyErrorCode(Enum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    UNKNOWN_PERMISSION = "unknown_permission"
    UNKNOWN_ACTION = "unknown_action"
    UNKNOWN_COORDINATE = "unknown_coordinate"
    UNKNOWN_PII_CLASS = "unknown_pii_class"
    UNKNOWN_ROLE = "unknown_role"
    UNKNOWN_DEPARTMENT = "unknown_department"
    UNKNOWN_SUBJECT = "unknown_subject"
    INVALID_EFFECT = "invalid_effect"
    INVALID_SCOPE = "invalid_scope"
    INVALID_VALIDITY = "invalid_validity"
    INHERITANCE_CYCLE = "inheritance_cycle"
    DEFAULT_ROLE = "default_role"
    DEFAULT_RULE = "default_rule"
    INVALID_CSV = "invalid_csv"


@strawberry.type
class PolicyError:
    field: str | None
    code: PolicyErrorCode
    message: str


@strawberry.type(description="The outcome of a policy change, or its dry run.")
class PolicyChangePayload:
    errors: list[PolicyError]
    version: int | None = strawberry.field(
        default=None, description="The policy version the change created (null on a dry run)."
    )
    impact: list[AccessChange] | None = strawberry.field(
        default=None, description="Dry run only: who would gain or lose what."
    )


DRY_RUN = "Only compute who would gain or lose what; write nothing."


@strawberry.input
class RoleCreateInput:
    name: str
    description: str = ""
    inherits: list[str] = strawberry.field(default_factory=list)
    department: str | None = strawberry.field(
        default=None, description="The department that owns the role; null: organization-wide."
    )
    dry_run: bool = strawberry.field(default=False, description=DRY_RUN)


@strawberry.input
class RoleUpdateInput:
    name: str
    description: str | None = None
    inherits: list[str] | None = strawberry.field(
        default=None, description="The roles inherited from now on (replaces the list)."
    )
    dry_run: bool = strawberry.field(default=False, description=DRY_RUN)


@strawberry.input
class RoleDeleteInput:
    name: str
    dry_run: bool = strawberry.field(default=False, description=DRY_RUN)


@strawberry.input(description="An allow or deny rule of a role in a department.")
class GrantAddInput:
    role: str
    department: str = strawberry.field(description="A department slug, or * for every one.")
    object: str = strawberry.field(
        description="A permission (sfa.deal), a coordinate (Customer.email), a PII class "
        "(pii:contact) or a pattern (sfa.*, Customer.*, *)."
    )
    action: str
    effect: str = "allow"
    scope: str = strawberry.field(default="all", description="own, team, department or all.")
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    dry_run: bool = strawberry.field(default=False, description=DRY_RUN)


@strawberry.input
class GrantRevokeInput:
    role: str
    department: str
    object: str
    action: str
    effect: str = "allow"
    dry_run: bool = strawberry.field(default=False, description=DRY_RUN)


@strawberry.input
class RoleAssignInput:
    subject: str = strawberry.field(description="user:<uuid> or apikey:<uuid>.")
    role: str
    department: str = strawberry.field(description="A department slug, or * for every one.")
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    dry_run: bool = strawberry.field(default=False, description=DRY_RUN)


@strawberry.input
class RoleUnassignInput:
    subject: str
    role: str
    department: str
    dry_run: bool = strawberry.field(default=False, description=DRY_RUN)


@strawberry.input
class PolicyRestoreInput:
    number: int
    dry_run: bool = strawberry.field(default=False, description=DRY_RUN)


@strawberry.input
class PolicyImportInput:
    csv: str = strawberry.field(description="A file written by policyExport.")
    dry_run: bool = strawberry.field(default=False, description=DRY_RUN)
