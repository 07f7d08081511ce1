"""Everything one UniCRM process holds: settings, database, plugins, departments, schemas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from unicrm.core.authz.enforcer import Authorizer
from unicrm.core.authz.vocabulary import Vocabulary
from unicrm.core.authz.watcher import Watcher
from unicrm.core.config import Settings
from unicrm.core.db.database import Database
from unicrm.core.events.bus import EventBus
from unicrm.core.events.fanout import Fanout
from unicrm.core.graph.departments.services import DepartmentDirectory
from unicrm.core.messaging.runtime import configure as configure_messaging
from unicrm.core.plugins.manager import PluginManager, build_manager, load_installed
from unicrm.core.plugins.registry import Registry, build_registry
from unicrm.core.ratelimit import RateLimiter, rate_limiter_for

SchemaFactory = Callable[["AppState", frozenset[str]], Any]


@dataclass
class AppState:
    settings: Settings
    db: Database
    manager: PluginManager
    registry: Registry
    departments: DepartmentDirectory
    events: EventBus
    rate_limiter: RateLimiter
    schema_factory: SchemaFactory | None = None
    authz: Authorizer = field(default_factory=Authorizer)
    vocabulary: Vocabulary | None = None
    policy_watcher: Watcher | None = None
    _schemas: dict[frozenset[str], Any] = field(default_factory=dict)

    def schema_for(self, plugins: frozenset[str]) -> Any:
        """The schema of one plugin set, built on first use and cached for the process."""
        schema = self._schemas.get(plugins)
        if schema is None:
            if self.schema_factory is None:
                raise RuntimeError("no schema factory configured")
            schema = self._schemas[plugins] = self.schema_factory(self, plugins)
        return schema


def create_state(
    settings: Settings,
    *,
    plugins: dict[str, object] | None = None,
    schema_factory: SchemaFactory | None = None,
    db: Database | None = None,
) -> AppState:
    """Load the installed plugins (or the given ones), validate them and open the database."""
    loaded = plugins if plugins is not None else load_installed(settings.plugins)
    manager = build_manager(loaded)
    registry = build_registry(manager)
    configure_messaging(settings, registry.channels)
    database = db or Database(settings.effective_database_url)
    return AppState(
        settings=settings,
        db=database,
        manager=manager,
        registry=registry,
        departments=DepartmentDirectory(database, ttl=settings.department_cache_seconds),
        events=EventBus(
            database,
            registry,
            settings.events,
            Fanout(
                settings.redis_url,
                settings.subscriptions.channel,
                settings.subscriptions.queue_size,
            ),
        ),
        rate_limiter=rate_limiter_for(settings),
        schema_factory=schema_factory,
    )
