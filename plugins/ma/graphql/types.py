from __future__ import annotations

from datetime import datetime

import strawberry

from unicrm.core.authz.declare import guard


@guard("ma.lead_score")
@strawberry.type(description="A customer's lead score under a scoring model.")
class LeadScore:
    value: int
    model: str
    updated_at: datetime
