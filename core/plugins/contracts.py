"""The data that registration hooks return, validated by the registry at startup."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from unicrm.core.errors import PluginError

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
PERMISSION_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$")
ROLE_RE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
PII_CLASSES = ("contact", "identity", "profile", "sensitive")
"""The personal-data classes a field may declare (``pii=...``); rules name them ``pii:contact``."""


@dataclass(frozen=True, slots=True)
class PluginManifest:
    name: str
    version: str
    title: str
    description: str = ""
    requires: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name):
            raise PluginError(
                f"plugin name {self.name!r} must be lowercase letters, digits and underscores"
            )


@dataclass(frozen=True, slots=True)
class Permission:
    """A named permission (``sfa.deal``) and the actions it knows (read, write, delete)."""

    name: str
    actions: tuple[str, ...] = ("read", "write", "delete")
    description: str = ""

    def __post_init__(self) -> None:
        if not PERMISSION_RE.match(self.name):
            raise PluginError(f"permission {self.name!r} must look like 'plugin.thing'")
        if not self.actions:
            raise PluginError(f"permission {self.name!r} declares no actions")


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """A default role: what it is granted, denied, and which roles it inherits.

    Grants read ``"permission:action"`` or ``"permission:action@scope"`` (scope: own, team,
    department or all; default all). The object may also be a schema coordinate
    (``Customer.email``), a PII class (``pii:contact``) or a pattern (``sfa.*``, ``*``); the
    action may be ``*``. Denies read ``"object:action"``. Several plugins may contribute to
    the same role; their grants add up.
    """

    role: str
    grants: tuple[str, ...] = ()
    description: str = ""
    inherits: tuple[str, ...] = field(default=())
    denies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not ROLE_RE.match(self.role):
            raise PluginError(f"role {self.role!r} must be lowercase letters, digits, underscores")


def split_grant(item: str) -> tuple[str, str, str]:
    """``"sfa.deal:write@own"`` → ``("sfa.deal", "write", "own")``; ``pii:contact:read`` too."""
    body, _, scope = item.partition("@")
    obj, _, action = body.rpartition(":")
    return obj, action, scope or "all"


@dataclass(frozen=True, slots=True)
class Migrations:
    """A plugin's Alembic branch: its label and the folder of its revisions."""

    branch: str
    versions_dir: str
