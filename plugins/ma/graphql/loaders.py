from __future__ import annotations

from unicrm.core.graph.loaders import entities_by, one_per_key
from unicrm.plugins.ma.models import LeadScore

LOADERS = {"ma.lead_score_by_customer": one_per_key(entities_by(LeadScore.customer_id))}
