"""Cases by id, and each customer's cases most recently opened first."""

from __future__ import annotations

from unicrm.core.graph.loaders import entities_by, many_per_key, one_per_key
from unicrm.plugins.crm.models import Case

LOADERS = {
    "crm.case_by_id": one_per_key(entities_by(Case.id)),
    "crm.cases_by_customer": many_per_key(
        entities_by(Case.customer_id, Case.opened_at.desc(), Case.id.desc())
    ),
}
