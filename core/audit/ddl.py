"""The database guard that makes ``audit_entry`` append-only, on SQLite and PostgreSQL.

Triggers refuse every UPDATE and DELETE of an audit entry, whoever sends it: the application,
a script or an SQL console. They are installed by the migration that creates the table.

Emptying the table is a deliberate act with one path per database:

* PostgreSQL: ``TRUNCATE audit_entry``. Row triggers do not fire on TRUNCATE, and TRUNCATE
  needs its own privilege, which the application role need not hold.
* SQLite has no TRUNCATE and no way to disable a trigger; ``purge_all`` drops the guard,
  deletes every entry and reinstalls the guard inside the caller's transaction, so no other
  connection ever sees the table unguarded. Only the test kit (``empty_tables``) calls it.

All functions take a synchronous connection (``op.get_bind()`` in a migration,
``AsyncConnection.run_sync`` elsewhere).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

TABLE = "audit_entry"
MESSAGE = "audit_entry is append-only"
SQLITE_TRIGGERS = ("audit_entry_no_update", "audit_entry_no_delete")
PG_FUNCTION = "audit_entry_append_only"
PG_TRIGGER = "audit_entry_append_only"

_SQLITE = tuple(
    f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {verb} ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    for name, verb in zip(SQLITE_TRIGGERS, ("UPDATE", "DELETE"), strict=True)
)

_POSTGRES = (
    f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$",
    f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON {TABLE}",
    f"CREATE TRIGGER {PG_TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
)


def install_append_only(connection: Connection) -> None:
    """Create the triggers that refuse UPDATE and DELETE on ``audit_entry``; idempotent."""
    statements = _SQLITE if connection.dialect.name == "sqlite" else _POSTGRES
    for statement in statements:
        connection.execute(text(statement))


def drop_append_only(connection: Connection) -> None:
    """Remove what ``install_append_only`` created (the migration's downgrade)."""
    if connection.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    else:
        connection.execute(text(f"DROP TRIGGER IF EXISTS {PG_TRIGGER} ON {TABLE}"))
        connection.execute(text(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()"))


def purge_all(connection: Connection) -> None:
    """Delete every audit entry, in the caller's transaction: the test kit's reset only."""
    if connection.dialect.name == "sqlite":
        drop_append_only(connection)
        connection.execute(text(f"DELETE FROM {TABLE}"))
        install_append_only(connection)
    else:
        connection.execute(text(f"TRUNCATE {TABLE}"))
