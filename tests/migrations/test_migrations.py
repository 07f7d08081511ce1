"""Every migration branch upgrades from empty, matches the models, and downgrades to base."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from unicrm.core.db.base import Base
from unicrm.core.db.database import Database
from unicrm.core.migrations import runner
from unicrm.core.testing.databases import fresh_postgres_database, postgres_required, sqlite_url


@pytest.fixture
async def empty_db(unicrm_backend, tmp_path):
    if unicrm_backend == "sqlite":
        url = sqlite_url(tmp_path, "migrations")
    else:
        try:
            prefix = os.environ.get("UNICRM_TEST_DB_NAME", "unicrm_test")
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            url = await fresh_postgres_database(f"{prefix}_migrations_{worker}")
        except OSError as exc:
            if postgres_required():
                pytest.fail(f"PostgreSQL is required here and unreachable: {exc}")
            pytest.skip(str(exc))
    db = Database(url)
    yield db
    await db.dispose()


def _diff(connection) -> list:
    opts = {"compare_type": True, "include_name": runner.include_name}
    context = MigrationContext.configure(connection, opts=opts)
    return compare_metadata(context, Base.metadata)


def _tables(connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_heads_creates_exactly_the_models(empty_db, unicrm_session_state):
    registry = unicrm_session_state.registry
    await runner.upgrade(empty_db, registry)
    assert await runner.is_migrated(empty_db, registry)
    async with empty_db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []


async def test_every_branch_downgrades_to_base(empty_db, unicrm_session_state):
    registry = unicrm_session_state.registry
    await runner.upgrade(empty_db, registry)
    await runner.downgrade(empty_db, registry, "base")
    async with empty_db.engine.connect() as conn:
        left = await conn.run_sync(_tables)
    assert left <= {"alembic_version"}
    await runner.upgrade(empty_db, registry)  # and back up again, cleanly
    assert await runner.is_migrated(empty_db, registry)


def _script(registry) -> ScriptDirectory:
    return ScriptDirectory.from_config(runner.alembic_config(registry, "sqlite+aiosqlite://"))


def test_each_branch_has_one_head(unicrm_session_state):
    registry = unicrm_session_state.registry
    script = _script(registry)
    for migrations in registry.migrations.values():
        heads = script.revision_map.get_revisions(f"{migrations.branch}@head")
        assert len(heads) == 1, (migrations.branch, heads)


def test_plugin_branches_depend_on_core(unicrm_session_state):
    registry = unicrm_session_state.registry
    script = _script(registry)
    core = {r.revision for r in script.iterate_revisions("core@head", "base")}
    for plugin, migrations in registry.migrations.items():
        if plugin == "core":
            continue
        roots = [
            r
            for r in script.walk_revisions()
            if migrations.branch in r.branch_labels and r.down_revision is None
        ]
        assert len(roots) == 1, plugin
        root = roots[0]
        assert set(root._resolved_dependencies) & core, f"{plugin} root must depend on core"


async def test_crm_cases_keep_their_data_through_the_case_workflow_migration(
    empty_db, unicrm_session_state
):
    """A case of the first crm tables keeps its row: ``pending`` becomes ``pending_customer``,
    the channel is ``phone``; downgrading turns both pending statuses back into ``pending``."""
    from sqlalchemy import Uuid, bindparam, text

    from unicrm.core.db.types import UTCDateTime
    from unicrm.core.graph.customers.models import CustomerKind
    from unicrm.core.graph.customers.services import CustomerData, create_customer

    registry = unicrm_session_state.registry
    await runner.upgrade(empty_db, registry)
    await runner.downgrade(empty_db, registry, "44e7930b1c25")
    async with empty_db.transaction() as session:
        customer = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Malee")
        )
        await session.execute(
            text(
                "INSERT INTO crm_case (id, customer_id, subject, status, priority, opened_at) "
                "VALUES (:id, :customer, 'Router', 'pending', 'high', :at)"
            ).bindparams(
                bindparam("id", type_=Uuid()),
                bindparam("customer", type_=Uuid()),
                bindparam("at", type_=UTCDateTime()),
            ),
            {"id": customer.id, "customer": customer.id, "at": customer.created_at},
        )
    await runner.upgrade(empty_db, registry)
    read = text("SELECT status, priority, channel, reopen_count FROM crm_case")
    async with empty_db.session() as session:
        assert (await session.execute(read)).one() == ("pending_customer", "high", "phone", 0)
    await runner.downgrade(empty_db, registry, "44e7930b1c25")
    async with empty_db.session() as session:
        assert (await session.execute(text("SELECT status FROM crm_case"))).scalar() == "pending"
