"""Search DDL that table metadata cannot express, for the migration (and the test schema).

SQLite (3.34 or newer): an FTS5 ``trigram`` table over ``customer_search`` as external
content, kept in step by triggers. PostgreSQL: the ``pg_trgm`` extension and a GIN trigram
index on ``customer_search.document``. Older SQLite gets nothing and search falls back to
``LIKE`` over the documents. Both functions are idempotent and take a synchronous connection
(``op.get_bind()`` in a migration, ``AsyncConnection.run_sync`` elsewhere).
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Connection, text

FTS_TABLE = "customer_search_fts"
TRGM_INDEX = "ix_customer_search_document_trgm"
TRIGGERS = ("customer_search_ai", "customer_search_ad", "customer_search_au")
UNMANAGED_NAMES = frozenset({FTS_TABLE, TRGM_INDEX, *TRIGGERS}) | frozenset(
    f"{FTS_TABLE}_{shadow}" for shadow in ("data", "idx", "docsize", "config")
)
"""Database objects created here; migration autogenerate must ignore them."""

SQLITE_TRIGRAM = sqlite3.sqlite_version_info >= (3, 34, 0)
"""Whether this SQLite has the FTS5 ``trigram`` tokenizer (the library aiosqlite also uses)."""

_DELETE = (
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, document) VALUES ('delete', old.id, old.document)"
)
_INSERT = f"INSERT INTO {FTS_TABLE}(rowid, document) VALUES (new.id, new.document)"

_SQLITE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(document, "
    "content='customer_search', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS customer_search_ai AFTER INSERT ON customer_search "
    f"BEGIN {_INSERT}; END",
    f"CREATE TRIGGER IF NOT EXISTS customer_search_ad AFTER DELETE ON customer_search "
    f"BEGIN {_DELETE}; END",
    f"CREATE TRIGGER IF NOT EXISTS customer_search_au AFTER UPDATE ON customer_search "
    f"BEGIN {_DELETE}; {_INSERT}; END",
)

_POSTGRES = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON customer_search USING gin (document gin_trgm_ops)",
)


def install_search_ddl(connection: Connection) -> None:
    """Create the search index objects, after the ``customer_search`` table exists."""
    dialect = connection.dialect.name
    if dialect == "sqlite" and SQLITE_TRIGRAM:
        existed = connection.execute(
            text("SELECT 1 FROM sqlite_master WHERE name = :name"), {"name": FTS_TABLE}
        ).first()
        for statement in _SQLITE:
            connection.execute(text(statement))
        if existed is None:  # index the documents written before the table existed
            connection.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))
    elif dialect == "postgresql":
        for statement in _POSTGRES:
            connection.execute(text(statement))


def drop_search_ddl(connection: Connection) -> None:
    """Remove what ``install_search_ddl`` created (a migration's downgrade); keeps pg_trgm."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        for trigger in TRIGGERS:
            connection.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        connection.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))
    elif dialect == "postgresql":
        connection.execute(text(f"DROP INDEX IF EXISTS {TRGM_INDEX}"))
