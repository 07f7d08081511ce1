"""Deciding what an actor may read, once per schema coordinate.

A schema coordinate (``Customer.email``) has one ``Requirement``, computed when a schema is
composed: the ``permission:action`` pairs it needs (its type's permission, the permission of
the type it returns, or a root field's declared permission), and its personal-data class.
``Access`` decides a requirement for one actor in one department:

- every needed pair must be allowed, and no rule may deny the coordinate itself;
- a PII field additionally needs ``read`` on the coordinate or its class (``pii:contact``)
  for the clear value, or ``read_masked`` for a masked one; otherwise it is denied, so new
  PII fields are closed by default.

Decisions are cached per (subject, department, policy version), so an operation asks the
enforcer only for coordinates it has never seen for that actor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from unicrm.core.errors import Forbidden

READ = "read"
READ_MASKED = "read_masked"
CACHE_LIMIT = 100_000


class Decision(Enum):
    ALLOW = "allow"
    MASK = "mask"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class Requirement:
    coordinate: str
    action: str = READ
    needs: tuple[tuple[str, str], ...] = ()
    pii: str | None = None
    mask: str | None = None
    public: bool = False


class Authorizer(Protocol):
    """What access decisions need from the policy enforcer (core/authz/enforcer.py)."""

    version: int

    def allowed(self, subject: str, department: str, obj: str, action: str) -> bool: ...

    def denied(self, subject: str, department: str, obj: str, action: str) -> bool: ...

    def roles_for(self, subject: str, department: str) -> frozenset[str]: ...

    def scope(self, subject: str, department: str, permission: str, action: str) -> str | None: ...


_cache: dict[tuple[Any, ...], Decision] = {}
_scopes: dict[tuple[Any, ...], str | None] = {}


class Access:
    """The access decisions of one actor in one department."""

    __slots__ = ("authz", "department", "subject")

    def __init__(self, authz: Authorizer, subject: str, department: str) -> None:
        self.authz = authz
        self.subject = subject
        self.department = department

    def allowed(self, obj: str, action: str) -> bool:
        return self.authz.allowed(self.subject, self.department, obj, action)

    def decide(self, requirement: Requirement) -> Decision:
        key = (id(self.authz), self.authz.version, self.subject, self.department, requirement)
        decision = _cache.get(key)
        if decision is None:
            if len(_cache) >= CACHE_LIMIT:
                _cache.clear()
            decision = _cache[key] = self._decide(requirement)
        return decision

    def _decide(self, requirement: Requirement) -> Decision:
        if requirement.public:
            return Decision.ALLOW
        if self.authz.denied(
            self.subject, self.department, requirement.coordinate, requirement.action
        ):
            return Decision.DENY
        if not all(self.allowed(obj, action) for obj, action in requirement.needs):
            return Decision.DENY
        if requirement.pii is None:
            return Decision.ALLOW
        objects = (requirement.coordinate, f"pii:{requirement.pii}")
        if any(self.allowed(obj, READ) for obj in objects):
            return Decision.ALLOW
        if any(self.allowed(obj, READ_MASKED) for obj in objects):
            return Decision.MASK
        return Decision.DENY

    def decide_all(
        self, requirements: Iterable[Requirement]
    ) -> tuple[frozenset[str], dict[str, str | None]]:
        """The denied coordinates, and the masked ones with their masking style."""
        denied: set[str] = set()
        masked: dict[str, str | None] = {}
        for requirement in requirements:
            decision = self.decide(requirement)
            if decision is Decision.DENY:
                denied.add(requirement.coordinate)
            elif decision is Decision.MASK:
                masked[requirement.coordinate] = requirement.mask or requirement.pii
        return frozenset(denied), masked

    def require(self, permission: str, action: str) -> None:
        """Raise FORBIDDEN unless the actor holds ``permission:action`` (services use this)."""
        if not self.allowed(permission, action):
            raise Forbidden(f"not allowed to {action} {permission}")

    def scope(self, permission: str, action: str = READ) -> str | None:
        key = (
            id(self.authz),
            self.authz.version,
            self.subject,
            self.department,
            permission,
            action,
        )
        if key not in _scopes:
            if len(_scopes) >= CACHE_LIMIT:
                _scopes.clear()
            _scopes[key] = self.authz.scope(self.subject, self.department, permission, action)
        return _scopes[key]

    def roles(self) -> frozenset[str]:
        return self.authz.roles_for(self.subject, self.department)
