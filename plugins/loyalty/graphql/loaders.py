from __future__ import annotations

from unicrm.core.graph.loaders import entities_by, one_per_key
from unicrm.plugins.loyalty.models import Member

LOADERS = {
    "loyalty.member_by_id": one_per_key(entities_by(Member.id)),
    "loyalty.member_by_customer": one_per_key(entities_by(Member.customer_id)),
}
