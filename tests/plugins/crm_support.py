"""Helpers of the customer service tests: teams (queues), products, assets and orders."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.graph.assets.models import Asset
from unicrm.core.graph.departments.models import Department
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.orders.models import Order, OrderSource
from unicrm.core.graph.products.models import Product
from unicrm.core.graph.teams.models import Team, TeamMember
from unicrm.core.state import AppState

OPEN = """mutation($input: CaseOpenInput!) { caseOpen(input: $input) {
    errors { field code message }
    case { id subject status priority channel category serialNumber reopenCount
           team { name } assignee { id } product { sku } order { id } } } }"""
STATUS = """mutation($id: ID!, $status: CaseStatus!) {
    caseStatusSet(input: {id: $id, status: $status}) {
    errors { field code message } case { status resolvedAt closedAt reopenCount } } }"""
MESSAGE = """mutation($input: CaseMessageAddInput!) { caseMessageAdd(input: $input) {
    errors { field code message }
    message { kind body authorName attachments { filename sizeBytes } }
    case { status firstResponseAt } } }"""


async def team(
    state: AppState,
    name: str,
    members: list[uuid.UUID] = (),  # type: ignore[assignment]
    *,
    primary: bool = True,
) -> uuid.UUID:
    async with state.db.transaction() as session:
        department = await session.scalar(select(Department.id).where(Department.slug == "default"))
        row = Team(id=uuid7(), department_id=department, name=name, territories=[])
        session.add(row)
        await session.flush()
        for user_id in members:
            session.add(TeamMember(team_id=row.id, user_id=user_id, is_primary=primary))
    return row.id


async def product(state: AppState, sku: str) -> uuid.UUID:
    async with state.db.transaction() as session:
        row = Product(
            id=uuid7(), sku=sku, name=sku, price=Decimal("100"), currency="THB", active=True
        )
        session.add(row)
    return row.id


async def asset(state: AppState, customer_id: uuid.UUID, product_id: uuid.UUID, serial: str):
    async with state.db.transaction() as session:
        row = Asset(
            id=uuid7(),
            customer_id=customer_id,
            product_id=product_id,
            serial_number=serial,
            purchase_date=date(2026, 1, 5),
        )
        session.add(row)
    return row.id


async def order(state: AppState, customer_id: uuid.UUID) -> uuid.UUID:
    async with state.db.transaction() as session:
        row = Order(
            id=uuid7(),
            customer_id=customer_id,
            source=OrderSource.MANUAL,
            placed_at=utcnow(),
            currency="THB",
            total=Decimal("100"),
        )
        session.add(row)
    return row.id


def gid(type_name: str, pk: uuid.UUID) -> str:
    return to_global_id(type_name, pk)


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]
