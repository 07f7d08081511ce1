from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.type(description="A customer's lead score under a scoring model.")
class LeadScore:
    value: int
    model: str
    updated_at: datetime
