"""The validated view of everything the installed plugins contribute.

Built once per process from a ``PluginManager``. Every registration hook is called here and
its result checked, so a broken plugin set fails at startup with a message naming the plugin,
never at the first request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from unicrm.core.errors import PluginError
from unicrm.core.jobs.contracts import JobType, Schedule
from unicrm.core.plugins.contracts import (
    Migrations,
    Permission,
    PluginManifest,
    RoleGrant,
    split_grant,
)
from unicrm.core.plugins.manager import CORE_PLUGIN_NAME, PluginManager
from unicrm.core.segments.compile import check_filters as check_segment_filters

EventHandler = Callable[..., Any]


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


@dataclass
class Registry:
    manager: PluginManager
    manifests: dict[str, PluginManifest] = field(default_factory=dict)
    permissions: dict[str, Permission] = field(default_factory=dict)
    permission_owner: dict[str, str] = field(default_factory=dict)
    roles: dict[str, list[RoleGrant]] = field(default_factory=dict)
    migrations: dict[str, Migrations] = field(default_factory=dict)
    loader_factories: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    loader_owner: dict[str, str] = field(default_factory=dict)
    event_handlers: dict[str, list[tuple[str, EventHandler]]] = field(default_factory=dict)
    timeline_kinds: dict[str, tuple[str, str]] = field(default_factory=dict)
    routes: dict[str, list[Any]] = field(default_factory=dict)
    jobs: dict[str, list[Any]] = field(default_factory=dict)
    segment_filters: dict[str, list[Any]] = field(default_factory=dict)
    channels: dict[str, list[Any]] = field(default_factory=dict)
    job_types: dict[str, JobType] = field(default_factory=dict)
    schedules: dict[str, Schedule] = field(default_factory=dict)

    @property
    def installed(self) -> tuple[str, ...]:
        """Installed plugin names, without core."""
        return tuple(n for n in self.manifests if n != CORE_PLUGIN_NAME)

    def check_enabled(self, enabled: Iterable[str]) -> frozenset[str]:
        """Validate a department's plugin set: installed, and every requirement present."""
        names = frozenset(enabled)
        for name in sorted(names):
            if name not in self.manifests or name == CORE_PLUGIN_NAME:
                raise PluginError(f"plugin {name!r} is not installed")
            for needed in self.manifests[name].requires:
                if needed not in names:
                    raise PluginError(f"plugin {name!r} requires plugin {needed!r}, not enabled")
        return names

    def handlers_for(self, event_type: str) -> list[tuple[str, EventHandler]]:
        return self.event_handlers.get(event_type, [])


def build_registry(manager: PluginManager) -> Registry:
    registry = Registry(manager=manager)
    names = manager.names()
    for plugin_name, manifest in manager.collect("plugin_manifest"):
        if not isinstance(manifest, PluginManifest):
            raise PluginError(f"plugin {plugin_name!r}: plugin_manifest must return PluginManifest")
        if manifest.name != plugin_name:
            raise PluginError(
                f"plugin registered as {plugin_name!r} declares the name {manifest.name!r}"
            )
        registry.manifests[plugin_name] = manifest
    missing = [n for n in names if n not in registry.manifests]
    if missing:
        raise PluginError(f"plugin {missing[0]!r} has no plugin_manifest")
    for name, manifest in registry.manifests.items():
        for needed in manifest.requires:
            if needed not in registry.manifests:
                raise PluginError(f"plugin {name!r} requires plugin {needed!r}, not installed")

    for plugin_name, result in manager.collect("register_models"):
        for module in _as_list(result):
            if not isinstance(module, ModuleType):
                raise PluginError(f"plugin {plugin_name!r}: register_models must return modules")

    for plugin_name, result in manager.collect("register_permissions"):
        for permission in _as_list(result):
            if not isinstance(permission, Permission):
                raise PluginError(f"plugin {plugin_name!r}: register_permissions needs Permission")
            if permission.name in registry.permissions:
                other = registry.permission_owner[permission.name]
                raise PluginError(
                    f"permission {permission.name!r} is declared by {other!r} and {plugin_name!r}"
                )
            registry.permissions[permission.name] = permission
            registry.permission_owner[permission.name] = plugin_name

    for plugin_name, result in manager.collect("register_default_roles"):
        for grant in _as_list(result):
            if not isinstance(grant, RoleGrant):
                raise PluginError(f"plugin {plugin_name!r}: register_default_roles needs RoleGrant")
            _check_role_grant(registry, plugin_name, grant)
            registry.roles.setdefault(grant.role, []).append(grant)
    for role, grants in registry.roles.items():
        for grant in grants:
            for parent in grant.inherits:
                if parent not in registry.roles:
                    raise PluginError(f"role {role!r} inherits the undeclared role {parent!r}")
    _check_no_cycle(registry.roles)

    for plugin_name, result in manager.collect("register_migrations"):
        migrations = result if isinstance(result, Migrations) else Migrations(*result)
        if migrations.branch in {m.branch for m in registry.migrations.values()}:
            raise PluginError(
                f"plugin {plugin_name!r}: migration branch {migrations.branch!r} taken"
            )
        registry.migrations[plugin_name] = migrations

    for plugin_name, result in manager.collect("graphql_loaders"):
        for loader_name, factory in dict(result).items():
            if loader_name in registry.loader_factories:
                other = registry.loader_owner[loader_name]
                raise PluginError(
                    f"loader {loader_name!r} is registered by {other!r} and {plugin_name!r}"
                )
            registry.loader_factories[loader_name] = factory
            registry.loader_owner[loader_name] = plugin_name

    for plugin_name, result in manager.collect("register_event_handlers"):
        for event_type, handlers in dict(result).items():
            for handler in _as_list(handlers):
                if not callable(handler):
                    raise PluginError(
                        f"plugin {plugin_name!r}: handler for {event_type} not callable"
                    )
                registry.event_handlers.setdefault(event_type, []).append((plugin_name, handler))

    for plugin_name, result in manager.collect("customer_timeline_kinds"):
        for kind, description in dict(result).items():
            if kind in registry.timeline_kinds:
                other = registry.timeline_kinds[kind][0]
                raise PluginError(
                    f"timeline kind {kind!r} is declared by {other!r} and {plugin_name!r}"
                )
            registry.timeline_kinds[kind] = (plugin_name, description)

    _collect_lists(manager, "register_routes", registry.routes)
    _collect_lists(manager, "register_jobs", registry.jobs)
    _collect_lists(manager, "segment_filters", registry.segment_filters)
    check_segment_filters(registry.segment_filters)
    _collect_lists(manager, "register_channels", registry.channels)
    _index_jobs(registry)
    return registry


def _check_role_grant(registry: Registry, plugin_name: str, grant: RoleGrant) -> None:
    """Every grant and deny of a default role names a declared permission and action."""
    from unicrm.core.authz.enforcer import SCOPES
    from unicrm.core.authz.vocabulary import Vocabulary

    vocabulary = Vocabulary.of(registry, None)
    for kind, items in (("grants", grant.grants), ("denies", grant.denies)):
        for item in items:
            obj, action, scope = split_grant(item)
            problem = vocabulary.problem(obj, action)
            if problem is None and (scope not in SCOPES or (kind == "denies" and "@" in item)):
                problem = ("BAD_SCOPE", f"bad scope in {item!r}")
            if problem is not None:
                raise PluginError(
                    f"plugin {plugin_name!r} {kind} {item!r} to role {grant.role!r}: {problem[1]}"
                )


def _check_no_cycle(roles: dict[str, list[RoleGrant]]) -> None:
    parents = {role: {p for g in grants for p in g.inherits} for role, grants in roles.items()}

    def visit(role: str, path: tuple[str, ...]) -> None:
        if role in path:
            raise PluginError("default roles inherit in a cycle: " + " → ".join((*path, role)))
        for parent in parents.get(role, ()):
            visit(parent, (*path, role))

    for role in parents:
        visit(role, ())


def _index_jobs(registry: Registry) -> None:
    """Job types and schedules by name: each name once, each schedule of a known job type."""
    for plugin_name, items in registry.jobs.items():
        for item in items:
            if isinstance(item, JobType):
                into: dict[str, Any] = registry.job_types
            elif isinstance(item, Schedule):
                into = registry.schedules
            else:
                raise PluginError(
                    f"plugin {plugin_name!r}: register_jobs needs JobType or Schedule"
                )
            if item.name in into:
                raise PluginError(f"plugin {plugin_name!r}: job or schedule {item.name!r} twice")
            into[item.name] = item
    for schedule in registry.schedules.values():
        if schedule.job not in registry.job_types:
            raise PluginError(f"schedule {schedule.name!r} runs unknown job type {schedule.job!r}")


def _collect_lists(manager: PluginManager, hook: str, into: dict[str, list[Any]]) -> None:
    for plugin_name, result in manager.collect(hook):
        into.setdefault(plugin_name, []).extend(_as_list(result))
