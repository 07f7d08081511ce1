"""SFA's pipelines migration places existing deals in the default B2B pipeline, and its
downgrade gives them their old stage back."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import BigInteger, String, Uuid, column, table, text

from unicrm.core.db.database import Database
from unicrm.core.db.types import UTCDateTime
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.migrations import runner
from unicrm.core.testing.databases import fresh_postgres_database, postgres_required, sqlite_url

BEFORE_PIPELINES = "673d5a227b46"
OLD_DEAL = table(
    "sfa_deal",
    column("id", Uuid()),
    column("customer_id", Uuid()),
    column("title", String()),
    column("stage", String()),
    column("amount", BigInteger()),
    column("currency", String()),
    column("created_at", UTCDateTime()),
)
OLD_STAGES = ("cold", "warm", "opportunity", "qualify", "negotiation", "closed_won", "closed_lost")


@pytest.fixture
async def old_db(unicrm_backend, tmp_path):
    if unicrm_backend == "sqlite":
        url = sqlite_url(tmp_path, "sfa_stages")
    else:
        try:
            prefix = os.environ.get("UNICRM_TEST_DB_NAME", "unicrm_test")
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            url = await fresh_postgres_database(f"{prefix}_sfa_stages_{worker}")
        except OSError as exc:
            if postgres_required():
                pytest.fail(f"PostgreSQL is required here and unreachable: {exc}")
            pytest.skip(str(exc))
    db = Database(url)
    yield db
    await db.dispose()


async def test_existing_deals_move_into_the_b2b_pipeline_and_back(old_db, unicrm_session_state):
    registry = unicrm_session_state.registry
    await runner.upgrade(old_db, registry)
    await runner.downgrade(old_db, registry, BEFORE_PIPELINES)
    async with old_db.transaction() as session:
        customer = await create_customer(
            session, CustomerData(kind=CustomerKind.PERSON, first_name="Somchai")
        )
        for stage in OLD_STAGES:
            await session.execute(
                OLD_DEAL.insert().values(
                    id=uuid.uuid4(),
                    customer_id=customer.id,
                    title=stage,
                    stage=stage,
                    amount=10_000,
                    currency="THB",
                    created_at=datetime(2026, 1, 1, tzinfo=UTC),
                )
            )

    await runner.upgrade(old_db, registry)

    async with old_db.session() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT d.title, s.name, d.version, d.closed_at IS NOT NULL,"
                    " (SELECT count(*) FROM sfa_stage_change c WHERE c.deal_id = d.id)"
                    " FROM sfa_deal d JOIN sfa_stage s ON s.id = d.stage_id ORDER BY d.title"
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("closed_lost", "Closed Lost", 1, True, 1),
        ("closed_won", "Closed Won", 1, True, 1),
        ("cold", "Opportunity", 1, False, 1),
        ("negotiation", "Negotiation", 1, False, 1),
        ("opportunity", "Opportunity", 1, False, 1),
        ("qualify", "Qualify", 1, False, 1),
        ("warm", "Opportunity", 1, False, 1),
    ]

    await runner.downgrade(old_db, registry, BEFORE_PIPELINES)
    async with old_db.session() as session:
        back = (
            await session.execute(text("SELECT title, stage FROM sfa_deal ORDER BY title"))
        ).all()
    assert {title: stage for title, stage in back} == {
        "closed_lost": "closed_lost",
        "closed_won": "closed_won",
        "cold": "opportunity",
        "negotiation": "negotiation",
        "opportunity": "opportunity",
        "qualify": "qualify",
        "warm": "opportunity",
    }
