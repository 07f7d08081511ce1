"""Deals: listing. Merge, export and erasure call ``unicrm.core.privacy.rows`` from plugin.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, select

from unicrm.core.authz.rows import visible
from unicrm.core.graph.customers.models import Customer
from unicrm.plugins.sfa.models import Deal, DealStage

_CUSTOMER_DEPARTMENT = (
    select(Customer.department_id).where(Customer.id == Deal.customer_id).scalar_subquery()
)


def visible_to(ctx: Any) -> ColumnElement[bool] | None:
    """The deals the request's actor may see: their ``sfa.deal`` row scope; a deal belongs
    to its customer's department."""
    return visible(ctx, "sfa.deal", owner=Deal.owner_id, department=_CUSTOMER_DEPARTMENT)


def deals_stmt(stage: DealStage | None = None) -> Select[Any]:
    stmt = select(Deal)
    if stage is not None:
        stmt = stmt.where(Deal.stage == stage)
    return stmt
