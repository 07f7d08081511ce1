"""The data that registration hooks return, validated by the registry at startup."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from unicrm.core.errors import PluginError

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
PERMISSION_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$")


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
    """A built-in role and the ``permission:action`` pairs it is granted by default."""

    role: str
    grants: tuple[str, ...] = ()
    description: str = ""
    inherits: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Migrations:
    """A plugin's Alembic branch: its label and the folder of its revisions."""

    branch: str
    versions_dir: str
