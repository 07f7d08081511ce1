"""Helpers shared by the plugin and schema tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.departments.services import create_department
from unicrm.core.graph.ids import to_global_id
from unicrm.core.state import AppState
from unicrm.plugins.loyalty.models import Member, Program
from unicrm.plugins.loyalty.services.members import ProgramData, create_program


async def add_department(state: AppState, slug: str, plugins: list[str]) -> None:
    async with state.db.transaction() as session:
        await create_department(session, state.registry, slug=slug, name=slug, plugins=plugins)
    state.departments.invalidate()


async def add_customers(state: AppState, *names: str) -> list[uuid.UUID]:
    """Create people through the core service; events are left undispatched."""
    async with state.db.transaction() as session:
        rows = [
            await create_customer(session, CustomerData(kind=CustomerKind.PERSON, first_name=n))
            for n in names
        ]
    return [r.id for r in rows]


async def add_rows(state: AppState, *rows: Any) -> None:
    async with state.db.transaction() as session:
        session.add_all(rows)


def customer_gid(pk: uuid.UUID) -> str:
    return to_global_id("Customer", pk)


async def loyalty_program(state: AppState) -> uuid.UUID:
    """The loyalty programme ``club`` (created on first use), which memberships belong to."""
    async with state.db.transaction() as session:
        found = await session.scalar(select(Program.id).where(Program.code == "club"))
        if found is not None:
            return found
        return (await create_program(session, ProgramData("club", "Club", "THB"))).id


def loyalty_member(
    program_id: uuid.UUID, customer_id: uuid.UUID, card: str, tier: str, points: int = 0
) -> Member:
    """A membership row with a bare balance (no ledger entries): for tests of other modules."""
    return Member(
        program_id=program_id,
        customer_id=customer_id,
        card_number=card,
        qr_value=f"qr-{card}",
        tier=tier,
        points_balance=points,
    )
