"""The pluggy plugin manager: loading installed plugins and calling hooks."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy

from unicrm.core.errors import PluginError
from unicrm.core.plugins import hookspecs

ENTRY_POINT_GROUP = "unicrm.plugins"
CORE_PLUGIN_NAME = "core"


class PluginManager(pluggy.PluginManager):
    """pluggy's manager plus async hook calls that honour keyword subsets and firstresult."""

    def __init__(self) -> None:
        super().__init__("unicrm")
        self.add_hookspecs(hookspecs)

    def names(self) -> list[str]:
        """Registered plugin names in registration order, core first."""
        return [name for name, _ in self.list_name_plugin()]

    def collect(
        self, hook_name: str, *, only: Iterable[str] | None = None
    ) -> list[tuple[str, Any]]:
        """Call a synchronous registration hook; ``(plugin_name, result)`` per answering plugin.

        Results come in registration order (core first), so errors can name the plugin.
        """
        allowed = set(only) | {CORE_PLUGIN_NAME} if only is not None else None
        out: list[tuple[str, Any]] = []
        for impl in getattr(self.hook, hook_name).get_hookimpls():
            if allowed is not None and impl.plugin_name not in allowed:
                continue
            result = impl.function()
            if result is not None:
                out.append((impl.plugin_name, result))
        return out

    async def acall(
        self, hook_name: str, *, only: Iterable[str] | None = None, **kwargs: Any
    ) -> Any:
        """Await an async hook's implementations in pluggy's call order.

        ``only`` restricts the call to the named plugins (an enabled subset). Returns the list of
        results, or the first non-None result for ``firstresult`` hooks.
        """
        caller = getattr(self.hook, hook_name)
        first = bool(caller.spec and caller.spec.opts.get("firstresult"))
        allowed = set(only) if only is not None else None
        results = []
        for impl in reversed(caller.get_hookimpls()):
            if allowed is not None and impl.plugin_name not in allowed | {CORE_PLUGIN_NAME}:
                continue
            args = {name: kwargs[name] for name in impl.argnames}
            result = impl.function(**args)
            if inspect.isawaitable(result):
                result = await result
            if result is None:
                continue
            if first:
                return result
            results.append(result)
        return None if first else results


def load_installed(names: Iterable[str]) -> dict[str, ModuleType]:
    """Import the ``unicrm.plugins`` entry points named in ``names``.

    An unknown name is a startup error listing the plugins that are available.
    """
    available = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    loaded: dict[str, ModuleType] = {}
    for name in names:
        if name not in available:
            known = ", ".join(sorted(available)) or "none"
            raise PluginError(f"unknown plugin {name!r}; installed plugins: {known}")
        loaded[name] = available[name].load()
    return loaded


def build_manager(plugins: dict[str, object]) -> PluginManager:
    """A manager holding core's own hooks and the given plugins, checked for typos.

    Tests pass their plugins explicitly; the server passes ``load_installed(settings.plugins)``.
    """
    from unicrm.core import plugin as core_plugin

    manager = PluginManager()
    manager.register(core_plugin, name=CORE_PLUGIN_NAME)
    try:
        for name, plugin in plugins.items():
            if manager.has_plugin(name) or manager.is_registered(plugin):
                raise PluginError(f"plugin {name!r} is registered twice")
            manager.register(plugin, name=name)
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {manager.get_name(exc.plugin) or exc.plugin!r}: {exc}") from None
    return manager
