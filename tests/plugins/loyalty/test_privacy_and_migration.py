"""Merge, export and erasure of loyalty data; the upgrade of the first release's members."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select, text

from plugins.loyalty.support import SALE, enroll, pk, sale_input, setup_program, sums
from unicrm.core.db.database import Database
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.migrations import runner
from unicrm.core.testing.databases import fresh_postgres_database, sqlite_url
from unicrm.plugins.loyalty import jobs
from unicrm.plugins.loyalty.models import LedgerEntry, Member, PosTransaction
from unicrm.plugins.loyalty.services.members import merge_members


async def customer_of(state, member_id) -> object:
    async with state.db.session() as session:
        return await session.scalar(select(Member.customer_id).where(Member.id == member_id))


async def test_merging_two_members_keeps_the_survivors_card_with_both_balances(gql, unicrm_state):
    await setup_program(unicrm_state)
    source = await enroll(gql, phone="0812345678")
    target = await enroll(gql, phone="0898765432")
    await gql(SALE, sale_input("T-1", phone="0812345678"))
    await gql(SALE, sale_input("T-2", amount="500", phone="0898765432"))
    source_customer = await customer_of(unicrm_state, pk(source["id"]))
    target_customer = await customer_of(unicrm_state, pk(target["id"]))

    async with unicrm_state.db.transaction() as session:
        await merge_members(session, source_customer, target_customer, None)

    assert await sums(unicrm_state, pk(target["id"])) == (170, 170, 170)
    async with unicrm_state.db.transaction() as session:
        assert await session.get(Member, pk(source["id"])) is None
        moved = await session.scalar(
            select(func.count())
            .select_from(PosTransaction)
            .where(PosTransaction.customer_id == target_customer)
        )
        assert (await jobs.reconcile(session)).mismatches == []
    assert moved == 2


async def test_erasure_deletes_memberships_and_anonymises_entries_that_still_balance(
    gql, unicrm_state
):
    await setup_program(unicrm_state)
    member = await enroll(gql)
    await gql(SALE, sale_input("T-1"))
    customer = await customer_of(unicrm_state, pk(member["id"]))
    async with unicrm_state.db.session() as session:
        exported = await unicrm_state.manager.acall(
            "customer_export", only=["loyalty"], customer_id=customer, session=session
        )
    [sections] = [part for part in exported if "loyalty_members" in part]
    assert len(sections["loyalty_members"]) == 1
    assert [e["points"] for e in sections["loyalty_ledger_entries"]] == [120]

    async with unicrm_state.db.transaction() as session:
        await unicrm_state.manager.acall(
            "customer_erase", only=["loyalty"], customer_id=customer, session=session
        )

    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 0
        entries = (await session.execute(select(LedgerEntry.account, LedgerEntry.points))).all()
        assert sorted(entries) == [("erased", 120), ("program:earn", -120)]
        assert (
            await session.scalar(
                select(func.count())
                .select_from(LedgerEntry)
                .where(LedgerEntry.customer_id.is_not(None))
            )
            == 0
        )


@pytest.fixture
async def empty_db(unicrm_backend, tmp_path):
    if unicrm_backend == "sqlite":
        url = sqlite_url(tmp_path, "loyalty_upgrade")
    else:
        prefix = os.environ.get("UNICRM_TEST_DB_NAME", "unicrm_test")
        url = await fresh_postgres_database(f"{prefix}_loyalty_upgrade")
    db = Database(url)
    yield db
    await db.dispose()


async def test_the_first_releases_members_join_a_default_programme_with_an_opening_balance(
    empty_db, unicrm_session_state
):
    registry = unicrm_session_state.registry
    await runner.upgrade(empty_db, registry)
    await runner.downgrade(empty_db, registry, "42f6ba54fa45")
    async with empty_db.transaction() as session:
        customer = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Anan")
        )
        await session.execute(
            text(
                "INSERT INTO loyalty_member (id, customer_id, card_number, tier, points_balance, "
                "status, enrolled_at) VALUES (:id, :c, '8000000000000001', 'gold', 500, 'active', "
                ":at)"
            ),
            {
                "id": customer.id.hex if empty_db.is_sqlite else customer.id,
                "c": customer.id.hex if empty_db.is_sqlite else customer.id,
                "at": customer.created_at,
            },
        )

    await runner.upgrade(empty_db, registry)

    async with empty_db.transaction() as session:
        member = await session.scalar(select(Member))
        assert (member.tier, member.points_balance, member.channel.value) == ("gold", 500, "import")
        assert len(member.qr_value) == 32
        program = await session.scalar(text("SELECT code FROM loyalty_program"))
        assert program == "default"
        assert (await jobs.reconcile(session)).mismatches == []
