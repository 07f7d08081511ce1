"""Test databases: a SQLite file and a fresh PostgreSQL database per test worker."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg

PG_HOST = os.environ.get("UNICRM_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("UNICRM_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("UNICRM_TEST_PG_USER", "postgres")


def postgres_required() -> bool:
    """In CI the PostgreSQL tests must run: an unreachable server fails them, never skips."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"} or bool(
        os.environ.get("UNICRM_REQUIRE_POSTGRES")
    )


def sqlite_url(folder: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{folder / (name + '.db')}"


async def fresh_postgres_database(name: str) -> str:
    """Drop and create database ``name``; return its SQLAlchemy URL."""
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


async def drop_postgres_database(name: str) -> None:
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
