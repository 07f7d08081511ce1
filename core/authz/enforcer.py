"""The policy enforcer every access decision goes through (``state.authz``).

The rules follow the casbin model in ``model.conf`` (RBAC with departments as domains, allow
and deny effects, keyMatch on department and object, role links in ``*`` valid in every
department). Decisions use an index of the rules by subject and of role links by member,
because casbin's own ``enforce`` walks every rule for every request (about 60 ms with 2,000
rules) and its domain role manager re-matches every link per department. The index applies
exactly the model's matcher to the rules of the caller's roles; ``Authorizer.casbin`` builds
the equivalent casbin enforcer, and a test checks that both answer every request alike.

Time-limited rules: only rules active now are in force; at the next ``valid_from`` or
``valid_until`` boundary the enforcer rebuilds itself from the rules it holds (no database
round trip) and its ``version`` grows, so callers' caches keyed by version expire.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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
    """The grants that apply to one subject in one department, with the role they come from.

    Rules on an exact object are indexed by it; only pattern rules (``sfa.*``) are scanned.
    """

    exact: dict[str, list[tuple[Rule, str]]] = field(default_factory=dict)
    patterns: list[tuple[Rule, str]] = field(default_factory=list)

    def add(self, rule: Rule, holder: str) -> None:
        obj = rule.values[2]
        if "*" in obj:
            self.patterns.append((rule, holder))
        else:
            self.exact.setdefault(obj, []).append((rule, holder))

    def matching(self, obj: str, act: str) -> list[tuple[Rule, str]]:
        """Deny rules first, so that a caller may stop at the first one."""
        found = [
            (rule, holder)
            for rule, holder in (*self.exact.get(obj, ()), *self.patterns)
            if _matches(rule, obj, act)
        ]
        found.sort(key=lambda pair: pair[0].values[4] != DENY)
        return found


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
        self._active: list[Rule] = []
        self._next_boundary: datetime | None = None
        self._casbin: casbin.Enforcer | None = None
        self._by_subject: dict[str, list[Rule]] = {}
        self._links: dict[str, list[Rule]] = {}
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
        self._next_boundary = min(boundaries) if boundaries else None
        by_subject: dict[str, list[Rule]] = {}
        links: dict[str, list[Rule]] = {}
        for rule in active:
            into = by_subject if rule.is_grant else links
            into.setdefault(rule.values[0], []).append(rule)
        self._active = active
        self._casbin = None
        self._by_subject = by_subject
        self._links = links
        self._candidates = {}
        self._roles = {}
        self._decisions = {}
        self.version += 1

    @property
    def casbin(self) -> casbin.Enforcer:
        """A casbin enforcer holding the rules in force (built on first use, for reference)."""
        if self._casbin is None:
            enforcer = new_casbin_enforcer()
            model = enforcer.get_model()
            grants = [list(r.values) for r in self._active if r.is_grant]
            links = [list(r.values) for r in self._active if not r.is_grant]
            if grants:
                model.add_policies("p", "p", grants)
            if links:
                model.add_policies("g", "g", links)
            enforcer.build_role_links()
            self._casbin = enforcer
        return self._casbin

    def _direct_roles(self, name: str, department: str) -> list[str]:
        """The roles ``name`` is linked to in ``department`` (links in ``*`` count everywhere)."""
        return [
            link.values[1]
            for link in self._links.get(name, ())
            if key_match(department, link.values[2])
        ]

    def _fresh(self) -> None:
        if self._next_boundary is not None and self._clock() >= self._next_boundary:
            self._rebuild()

    def roles_for(self, subject: str, department: str) -> frozenset[str]:
        """Every role ``subject`` holds in ``department``: inherited and organization-wide too."""
        self._fresh()
        key = (subject, department)
        roles = self._roles.get(key)
        if roles is None:
            found: set[str] = set()
            pending = self._direct_roles(subject, department)
            while pending:
                role = pending.pop()
                if role not in found:
                    found.add(role)
                    pending.extend(self._direct_roles(role, department))
            roles = self._roles[key] = frozenset(found)
        return roles

    def _candidates_for(self, subject: str, department: str) -> _Candidates:
        key = (subject, department)
        found = self._candidates.get(key)
        if found is None:
            found = _Candidates()
            for holder in (subject, *sorted(self.roles_for(subject, department))):
                for rule in self._by_subject.get(holder, ()):
                    if key_match(department, rule.values[1]):
                        found.add(rule, holder)
            self._candidates[key] = found
        return found

    def allowed(self, subject: str, department: str, obj: str, action: str) -> bool:
        """Some allow rule matches and no deny rule does (the model's policy effect)."""
        self._fresh()
        key = (subject, department, obj, action)
        decision = self._decisions.get(key)
        if decision is None:
            matching = self._candidates_for(subject, department).matching(obj, action)
            decision = bool(matching) and matching[0][0].values[4] == ALLOW
            if len(self._decisions) >= CACHE_LIMIT:
                self._decisions.clear()
            self._decisions[key] = decision
        return decision

    def denied(self, subject: str, department: str, obj: str, action: str) -> bool:
        """Whether a deny rule matches (whatever the allow rules say)."""
        self._fresh()
        matching = self._candidates_for(subject, department).matching(obj, action)
        return bool(matching) and matching[0][0].values[4] == DENY

    def scope(self, subject: str, department: str, permission: str, action: str) -> str | None:
        """The widest row scope of the matching allow rules; None when not allowed."""
        if not self.allowed(subject, department, permission, action):
            return None
        matching = self._candidates_for(subject, department).matching(permission, action)
        widest = max(SCOPES.index(rule.scope) for rule, _ in matching)
        return SCOPES[widest]

    def explain(self, subject: str, department: str, obj: str, action: str) -> Explanation:
        self._fresh()
        matching = self._candidates_for(subject, department).matching(obj, action)
        if matching:
            rule, holder = matching[0]
            effect = rule.values[4]
            chain = self._chain(subject, holder, department)
            return Explanation(
                allowed=effect == ALLOW,
                reason=f"{effect} by rule '{rule.describe()}' via {' → '.join(chain)}",
                rule=rule,
                effect=effect,
                chain=chain,
            )
        return Explanation(allowed=False, reason=NO_RULE)

    def _chain(self, subject: str, holder: str, department: str) -> tuple[str, ...]:
        """The shortest role path from ``subject`` to ``holder`` in ``department``."""
        paths: deque[tuple[str, ...]] = deque([(subject,)])
        seen = {subject}
        while paths:
            path = paths.popleft()
            if path[-1] == holder:
                return path
            for role in self._direct_roles(path[-1], department):
                if role not in seen:
                    seen.add(role)
                    paths.append((*path, role))
        return (subject, holder)
