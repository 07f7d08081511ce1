"""The database itself refuses to change or delete audit entries, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from audit.conftest import audit_entries
from unicrm.core.audit import ddl
from unicrm.core.audit.models import AuditEntry
from unicrm.core.audit.services import record
from unicrm.core.graph.context import Actor

STATEMENTS = {
    "update": "UPDATE audit_entry SET outcome = 'ok', actor_name = 'someone else'",
    "delete": "DELETE FROM audit_entry",
    "delete_one": "DELETE FROM audit_entry WHERE action = 'auth.login_failed'",
}


async def write_entries(state) -> None:
    async with state.db.transaction() as session:
        await record(
            session,
            actor=Actor.system("alice"),
            action="auth.login_failed",
            department=None,
            outcome="BAD_PASSWORD",
        )
        await record(session, actor=Actor.system("alice"), action="auth.login", department=None)


@pytest.mark.parametrize("statement", STATEMENTS, ids=list(STATEMENTS))
async def test_raw_sql_cannot_change_or_delete_entries(unicrm_state, statement):
    await write_entries(unicrm_state)
    before = [(e.id, e.actor_name, e.outcome) for e in await audit_entries(unicrm_state)]

    with pytest.raises(DBAPIError, match="append-only"):
        async with unicrm_state.db.engine.begin() as conn:
            await conn.execute(text(STATEMENTS[statement]))

    after = [(e.id, e.actor_name, e.outcome) for e in await audit_entries(unicrm_state)]
    assert after == before


async def test_the_orm_cannot_change_an_entry_either(unicrm_state):
    await write_entries(unicrm_state)
    with pytest.raises(DBAPIError, match="append-only"):
        async with unicrm_state.db.transaction() as session:
            entry = await session.scalar(select(AuditEntry).limit(1))
            entry.outcome = "FORGED"
    assert "FORGED" not in [e.outcome for e in await audit_entries(unicrm_state)]


async def test_the_test_kit_purge_empties_the_log_and_keeps_the_guard(unicrm_state):
    await write_entries(unicrm_state)
    async with unicrm_state.db.engine.begin() as conn:
        await conn.run_sync(ddl.purge_all)
    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 0

    await write_entries(unicrm_state)
    with pytest.raises(DBAPIError, match="append-only"):
        async with unicrm_state.db.engine.begin() as conn:
            await conn.execute(text(STATEMENTS["delete"]))
    assert len(await audit_entries(unicrm_state)) == 2


async def test_a_rolled_back_transaction_takes_its_entry_with_it(unicrm_state):
    with pytest.raises(RuntimeError):
        async with unicrm_state.db.transaction() as session:
            await record(session, actor=Actor.system(), action="erase", department="default")
            raise RuntimeError("the erasure failed")
    assert await audit_entries(unicrm_state) == []


@pytest.mark.parametrize("action", ["", "Mutation", "auth..login", "drop table", "a" * 51])
async def test_record_refuses_an_action_that_is_not_a_dotted_name(unicrm_state, action):
    with pytest.raises(ValueError, match="dotted lowercase"):
        async with unicrm_state.db.transaction() as session:
            await record(session, actor=Actor.system(), action=action, department=None)
    assert await audit_entries(unicrm_state) == []
