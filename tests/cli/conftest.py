"""Running ``unicrm`` in-process with typer's CliRunner, against a database of its own.

The command line loads the installed plugins through their entry points, like a user's
shell does; a test may pass explicit plugins through ``Cli(plugins=...)`` instead. Every
test runs in an empty folder with only the UNICRM_* variables it sets itself.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from unicrm.core.cli.main import app
from unicrm.core.cli.runtime import Cli
from unicrm.core.testing.databases import (
    drop_postgres_database,
    fresh_postgres_database,
    postgres_required,
    sqlite_url,
)

Invoke = Callable[..., Result]
KEPT = ("UNICRM_TEST_", "UNICRM_REQUIRE_POSTGRES")


@pytest.fixture(autouse=True)
def cli_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("UNICRM_") and not name.startswith(KEPT):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("UNICRM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")  # rich tables on one line each


@pytest.fixture
def database_url(
    unicrm_backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """An empty database for this test, named in UNICRM_DATABASE_URL; sqlite and postgres."""
    if unicrm_backend == "sqlite":
        url = sqlite_url(tmp_path, "cli")
        monkeypatch.setenv("UNICRM_DATABASE_URL", url)
        yield url
        return
    prefix = os.environ.get("UNICRM_TEST_DB_NAME", "unicrm_test")
    name = f"{prefix}_cli_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    try:
        url = asyncio.run(fresh_postgres_database(name))
    except OSError as exc:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required here and unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    monkeypatch.setenv("UNICRM_DATABASE_URL", url)
    yield url
    asyncio.run(drop_postgres_database(name))


@pytest.fixture
def unicrm() -> Invoke:
    """``unicrm("db", "upgrade", plugins=None)`` → the CliRunner result."""
    runner = CliRunner()

    def invoke(*args: str, plugins: dict[str, object] | None = None) -> Result:
        return runner.invoke(app, list(args), obj=Cli(plugins=plugins))

    return invoke


@pytest.fixture
def migrated(database_url: str, unicrm: Invoke) -> str:
    """The test database, upgraded to every head through ``unicrm db upgrade``."""
    result = unicrm("db", "upgrade")
    assert result.exit_code == 0, result.output
    return database_url
