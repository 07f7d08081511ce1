"""The policy enforcer every access decision goes through (``state.authz``).

The rules follow the casbin model in ``model.conf`` (RBAC with departments as domains, allow
and deny effects, keyMatch on department and object). A casbin ``Enforcer`` holds the active
rules and resolves roles (inherited roles and organization-wide ``*`` assignments included);
decisions use an index of the same rules by subject, because casbin's own ``enforce`` walks
every rule for every request (tens of milliseconds with 2,000 rules). The index applies exactly
the model's matcher to the rules of the caller's roles, and a test checks that it answers as
casbin's ``enforce`` does.

Time-limited rules: only rules active now are in force; at the next ``valid_from`` or
``valid_until`` boundary the enforcer rebuilds itself from the rules it holds (no database
round trip) and its ``version`` grows, so callers' caches keyed by version expire.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import casbin
from casbin.util import key_match

from unicrm.core.db.types import utcnow

MODEL_PATH = Path(__file__).with_name("model.conf")
SCOPES = ("own", "team", "department", "all")
"""Row scopes, narrowest first."""
ALLOW = "allow"
DENY = "deny"
ANY = "*"
ORGANIZATION = "*"
CACHE_LIMIT = 200_000
NO_RULE = "no rule matched (deny by default)"


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule as stored: ``p`` (sub, dom, obj, act, eft) or ``g`` (subject, role, dom)."""

    ptype: str
    values: tuple[str, ...]
    scope: str = "all"
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    is_default: bool = False
    created_by: str = "system"

    @classmethod
    def allow(cls, sub: str, dom: str, obj: str, act: str, scope: str = "all", **kw: Any) -> Rule:
        return cls("p", (sub, dom, obj, act, ALLOW), scope=scope, **kw)

    @classmethod
    def deny(cls, sub: str, dom: str, obj: str, act: str, **kw: Any) -> Rule:
        return cls("p", (sub, dom, obj, act, DENY), **kw)

    @classmethod
    def link(cls, subject: str, role: str, dom: str, **kw: Any) -> Rule:
        return cls("g", (subject, role, dom), **kw)

    @property
    def is_grant(self) -> bool:
        return self.ptype == "p"

    def active(self, now: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= now) and (
            self.valid_until is None or now < self.valid_until
        )

    @property
    def key(self) -> tuple[Any, ...]:
        """What makes two rules the same rule (``created_by`` is not part of it)."""
        return (self.ptype, self.values, self.scope, self.valid_from, self.valid_until)

    def same_as_default(self) -> Rule:
        return replace(self, is_default=True)

    def describe(self) -> str:
        """``p, marketer, *, core.customer, read, allow @all`` (casbin's CSV line, plus scope)."""
        line = ", ".join((self.ptype, *self.values))
        if self.is_grant and self.values[4] == ALLOW and self.scope != "all":
            line += f" @{self.scope}"
        return line


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a request is allowed or not: the deciding rule and the role chain that reached it."""

    allowed: bool
    reason: str
    rule: Rule | None = None
    effect: str | None = None
    chain: tuple[str, ...] = ()


@dataclass(slots=True)
class _Candidates:
    """The grants that apply to one subject in one department, with the role they come from."""

    allow: list[tuple[Rule, str]] = field(default_factory=list)
    deny: list[tuple[Rule, str]] = field(default_factory=list)


def _matches(rule: Rule, obj: str, act: str) -> bool:
    return key_match(obj, rule.values[2]) and (rule.values[3] == act or rule.values[3] == ANY)


def new_casbin_enforcer() -> casbin.Enforcer:
    enforcer = casbin.Enforcer(str(MODEL_PATH))
    enforcer.add_named_domain_matching_func("g", key_match)
    return enforcer


class Authorizer:
    """Decisions over the rules in force; ``load`` replaces the rules and bumps ``version``."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.version = 0
        self._clock = clock
        self._rules: tuple[Rule, ...] = ()
        self._next_boundary = float("inf")
        self.casbin = new_casbin_enforcer()
        self._by_subject: dict[str, list[Rule]] = {}
        self._candidates: dict[tuple[str, str], _Candidates] = {}
        self._roles: dict[tuple[str, str], frozenset[str]] = {}
        self._decisions: dict[tuple[str, str, str, str], bool] = {}
        self._rebuild()

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule loaded, active now or not."""
        return self._rules

    def load(self, rules: Iterable[Rule]) -> None:
        self._rules = tuple(rules)
        self._rebuild()

    def _rebuild(self) -> None:
        now = self._clock()
        active = [r for r in self._rules if r.active(now)]
        boundaries = [
            moment
            for r in self._rules
            for moment in (r.valid_from, r.valid_until)
            if moment is not None and moment > now
        ]
        self._next_boundary = min(boundaries).timestamp() if boundaries else float("inf")
        enforcer = new_casbin_enforcer()
        model = enforcer.get_model()
        grants = [list(r.values) for r in active if r.is_grant]
        links = [list(r.values) for r in active if not r.is_grant]
        if grants:
            model.add_policies("p", "p", grants)
        if links:
            model.add_policies("g", "g", links)
        enforcer.build_role_links()
        by_subject: dict[str, list[Rule]] = {}
        for rule in active:
            if rule.is_grant:
                by_subject.setdefault(rule.values[0], []).append(rule)
        self.casbin = enforcer
        self._by_subject = by_subject
        self._candidates = {}
        self._roles = {}
        self._decisions = {}
        self.version += 1

    def _fresh(self) -> None:
        if time.time() >= self._next_boundary:
            self._rebuild()

    def roles_for(self, subject: str, department: str) -> frozenset[str]:
        """Every role ``subject`` holds in ``department``: inherited and organization-wide too."""
        self._fresh()
        key = (subject, department)
        roles = self._roles.get(key)
        if roles is None:
            roles = frozenset(self.casbin.get_implicit_roles_for_user(subject, department))
            self._roles[key] = roles
        return roles

    def _candidates_for(self, subject: str, department: str) -> _Candidates:
        key = (subject, department)
        found = self._candidates.get(key)
        if found is None:
            found = _Candidates()
            for holder in (subject, *sorted(self.roles_for(subject, department))):
                for rule in self._by_subject.get(holder, ()):
                    if key_match(department, rule.values[1]):
                        bucket = found.allow if rule.values[4] == ALLOW else found.deny
                        bucket.append((rule, holder))
            self._candidates[key] = found
        return found

    def allowed(self, subject: str, department: str, obj: str, action: str) -> bool:
        """Some allow rule matches and no deny rule does (the model's policy effect)."""
        self._fresh()
        key = (subject, department, obj, action)
        decision = self._decisions.get(key)
        if decision is None:
            found = self._candidates_for(subject, department)
            decision = any(_matches(r, obj, action) for r, _ in found.allow) and not any(
                _matches(r, obj, action) for r, _ in found.deny
            )
            if len(self._decisions) >= CACHE_LIMIT:
                self._decisions.clear()
            self._decisions[key] = decision
        return decision

    def denied(self, subject: str, department: str, obj: str, action: str) -> bool:
        """Whether a deny rule matches (whatever the allow rules say)."""
        self._fresh()
        found = self._candidates_for(subject, department)
        return any(_matches(r, obj, action) for r, _ in found.deny)

    def scope(self, subject: str, department: str, permission: str, action: str) -> str | None:
        """The widest row scope of the matching allow rules; None when not allowed."""
        if not self.allowed(subject, department, permission, action):
            return None
        found = self._candidates_for(subject, department)
        widest = max(
            SCOPES.index(r.scope) for r, _ in found.allow if _matches(r, permission, action)
        )
        return SCOPES[widest]

    def explain(self, subject: str, department: str, obj: str, action: str) -> Explanation:
        self._fresh()
        found = self._candidates_for(subject, department)
        for effect, bucket in ((DENY, found.deny), (ALLOW, found.allow)):
            for rule, holder in bucket:
                if _matches(rule, obj, action):
                    chain = self._chain(subject, holder, department)
                    via = " → ".join(chain)
                    return Explanation(
                        allowed=effect == ALLOW,
                        reason=f"{effect} by rule '{rule.describe()}' via {via}",
                        rule=rule,
                        effect=effect,
                        chain=chain,
                    )
        return Explanation(allowed=False, reason=NO_RULE)

    def _chain(self, subject: str, holder: str, department: str) -> tuple[str, ...]:
        """The shortest role path from ``subject`` to ``holder`` in ``department``."""
        manager = self.casbin.get_role_manager()
        paths: deque[tuple[str, ...]] = deque([(subject,)])
        seen = {subject}
        while paths:
            path = paths.popleft()
            if path[-1] == holder:
                return path
            for role in manager.get_roles(path[-1], department):
                if role not in seen:
                    seen.add(role)
                    paths.append((*path, role))
        return (subject, holder)
