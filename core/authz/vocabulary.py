"""What a rule may name: permissions, schema coordinates, PII classes and their actions.

Built from the installed plugins: their declared permissions and the coordinates of the schema
composed from all of them. New rules naming anything else are rejected; stored rules naming
something no longer installed stay in the table but are not enforced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from unicrm.core.authz.enforcer import ANY
from unicrm.core.plugins.contracts import PII_CLASSES

if TYPE_CHECKING:
    from unicrm.core.plugins.registry import Registry

PII_PREFIX = "pii:"
FIELD_ACTIONS = ("read", "read_masked")
ACTION_RE = re.compile(r"^([a-z][a-z_]{0,31}|\*)$")
COORDINATE_RE = re.compile(r"^[A-Z][A-Za-z0-9_]*\.([a-z_][A-Za-z0-9_]*|\*)$")


@dataclass(frozen=True)
class Vocabulary:
    permissions: dict[str, tuple[str, ...]]
    coordinates: frozenset[str] | None

    @classmethod
    def of(cls, registry: Registry, coordinates: Iterable[str] | None) -> Vocabulary:
        """``coordinates=None`` accepts any well-formed coordinate (no schema at hand)."""
        permissions = {name: p.actions for name, p in registry.permissions.items()}
        return cls(permissions, None if coordinates is None else frozenset(coordinates))

    def _types(self) -> set[str]:
        return {c.split(".", 1)[0] for c in self.coordinates or ()}

    def actions_of(self, obj: str) -> tuple[str, ...] | None:
        """The actions a rule on ``obj`` may name, or None when ``obj`` is unknown."""
        if obj == ANY:
            return (ANY,)
        if obj.startswith(PII_PREFIX):
            name = obj.removeprefix(PII_PREFIX)
            known = name == "*" or name in PII_CLASSES
            return (*FIELD_ACTIONS, ANY) if known else None
        if COORDINATE_RE.match(obj):
            type_name, _, field_name = obj.partition(".")
            if self.coordinates is not None:
                known = obj in self.coordinates or (
                    field_name == "*" and type_name in self._types()
                )
                if not known:
                    return None
            return (*FIELD_ACTIONS, ANY)
        if obj.endswith("*"):
            prefix = obj[:-1]
            matched = [acts for name, acts in self.permissions.items() if name.startswith(prefix)]
            if not prefix or not matched:
                return None
            return (*dict.fromkeys(a for acts in matched for a in acts), ANY)
        actions = self.permissions.get(obj)
        return None if actions is None else (*actions, ANY)

    def problem(self, obj: str, action: str) -> tuple[str, str] | None:
        """``(code, message)`` when a rule on ``obj``/``action`` cannot be written."""
        actions = self.actions_of(obj)
        if actions is None:
            if obj.startswith(PII_PREFIX):
                return "UNKNOWN_PII_CLASS", f"unknown PII class {obj!r}"
            if COORDINATE_RE.match(obj):
                return "UNKNOWN_COORDINATE", f"unknown schema coordinate {obj!r}"
            return "UNKNOWN_PERMISSION", f"unknown permission {obj!r}"
        if not ACTION_RE.match(action):
            return "UNKNOWN_ACTION", f"{action!r} is not an action"
        if action not in actions and obj != ANY:
            return "UNKNOWN_ACTION", f"{obj!r} has no action {action!r}"
        return None
