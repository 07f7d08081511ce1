"""Running Alembic for a set of installed plugins, from the CLI, the server and the tests."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from unicrm.core.db.database import Database
from unicrm.core.plugins.registry import Registry

HERE = Path(__file__).parent


def alembic_config(registry: Registry, url: str) -> Config:
    """An Alembic config whose version locations are core's and each installed plugin's."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    locations = [m.versions_dir for m in registry.migrations.values()]
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def expected_heads(registry: Registry, url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(registry, url)).get_heads())


def _current(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def current_heads(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)


async def is_migrated(db: Database, registry: Registry) -> bool:
    return await current_heads(db) == expected_heads(registry, db.url)


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
