"""Deals by id, and each customer's deals newest first."""

from __future__ import annotations

from unicrm.core.graph.loaders import entities_by, many_per_key, one_per_key
from unicrm.plugins.sfa.models import Deal
from unicrm.plugins.sfa.services.deals import visible_to

LOADERS = {
    "sfa.deal_by_id": one_per_key(entities_by(Deal.id), visible_to),
    "sfa.deals_by_customer": many_per_key(
        entities_by(Deal.customer_id, Deal.created_at.desc(), Deal.id.desc()), visible_to
    ),
}
