"""Running Alembic for a set of installed plugins, from the CLI, the server and the tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from unicrm.core.db.database import Database
from unicrm.core.graph.search.ddl import UNMANAGED_NAMES
from unicrm.core.plugins.registry import Registry

HERE = Path(__file__).parent


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave out the search objects that raw DDL manages (FTS5 tables, trigram index)."""
    return name not in UNMANAGED_NAMES


def alembic_config(registry: Registry, url: str) -> Config:
    """An Alembic config whose version locations are core's and each installed plugin's."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    locations = [m.versions_dir for m in registry.migrations.values()]
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _script(registry: Registry, url: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(registry, url))


def expected_heads(registry: Registry, url: str) -> set[str]:
    return set(_script(registry, url).get_heads())


def _current(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def current_heads(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)


async def is_migrated(db: Database, registry: Registry) -> bool:
    """Whether every head of every installed branch is applied.

    ``alembic_version`` leaves out a head that another applied revision depends on (core's,
    under the plugin branches), so the applied set is everything the current heads reach.
    """
    script = _script(registry, db.url)
    current = await current_heads(db)
    if not current <= {r.revision for r in script.walk_revisions()}:
        return False  # a revision of a plugin that is no longer installed, or an unknown one
    applied = {r.revision for r in script.iterate_revisions(tuple(current), "base")}
    return set(script.get_heads()) <= applied


def _in_connection(cfg: Config, action: str, target: str, connection: Connection) -> None:
    cfg.attributes["connection"] = connection
    getattr(command, action)(cfg, target)


async def upgrade(db: Database, registry: Registry, target: str = "heads") -> None:
    cfg = alembic_config(registry, db.url)
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: _in_connection(cfg, "upgrade", target, c))


async def downgrade(db: Database, registry: Registry, target: str) -> None:
    cfg = alembic_config(registry, db.url)
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda c: _in_connection(cfg, "downgrade", target, c))


async def revision(
    db: Database,
    registry: Registry,
    *,
    branch: str,
    message: str,
    autogenerate: bool = True,
) -> str:
    """Write a new revision on ``branch``; the first one of a plugin branch depends on core.

    With ``autogenerate`` the database must be at every head first, so the revision holds
    exactly the difference between the models and the migrated schema.
    """
    if branch not in {m.branch for m in registry.migrations.values()}:
        raise ValueError(f"unknown migration branch {branch!r}")
    cfg = alembic_config(registry, db.url)
    script = ScriptDirectory.from_config(cfg)
    versions_dir = next(m.versions_dir for m in registry.migrations.values() if m.branch == branch)
    existing = any(branch in r.branch_labels for r in script.walk_revisions())
    options: dict = {"message": message, "autogenerate": autogenerate, "version_path": versions_dir}
    if existing:
        options["head"] = f"{branch}@head"
    else:
        options.update(head="base", branch_label=branch)
        if branch != "core":
            options["depends_on"] = script.get_revision("core@head").revision
    async with db.engine.begin() as conn:
        created = await conn.run_sync(lambda c: _revision_in(cfg, c, options))
    return created


def _revision_in(cfg: Config, connection: Connection, options: dict) -> str:
    cfg.attributes["connection"] = connection
    script = command.revision(cfg, **options)
    return script.revision if script is not None else ""
