from __future__ import annotations

from unicrm.core.graph.identities.models import CustomerIdentity
from unicrm.core.graph.loaders import many_per_key, one_per_key, rows_by

_IDENTITY = CustomerIdentity.__table__

LOADERS = {
    "core.identity_by_id": one_per_key(rows_by(_IDENTITY.c.id)),
    "core.identities_by_customer": many_per_key(
        rows_by(_IDENTITY.c.customer_id, _IDENTITY.c.created_at, _IDENTITY.c.id)
    ),
}
