"""Deals: listing. Merge, export and erasure call ``unicrm.core.privacy.rows`` from plugin.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from unicrm.plugins.sfa.models import Deal, DealStage


def deals_stmt(stage: DealStage | None = None) -> Select[Any]:
    stmt = select(Deal)
    if stage is not None:
        stmt = stmt.where(Deal.stage == stage)
    return stmt
