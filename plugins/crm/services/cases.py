"""Cases: listing. Merge, export and erasure call ``unicrm.core.privacy.rows`` from plugin.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from unicrm.plugins.crm.models import Case, CaseStatus


def cases_stmt(status: CaseStatus | None = None) -> Select[Any]:
    stmt = select(Case)
    if status is not None:
        stmt = stmt.where(Case.status == status)
    return stmt
