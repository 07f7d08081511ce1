from __future__ import annotations

from unicrm.core.graph.contacts.loaders import rows_by_customer, rows_by_id
from unicrm.core.graph.identities.models import CustomerIdentity
from unicrm.core.graph.loaders import many_per_key, one_per_key

_IDENTITY = CustomerIdentity.__table__

LOADERS = {
    "core.identity_by_id": one_per_key(rows_by_id(_IDENTITY)),
    "core.identities_by_customer": many_per_key(
        rows_by_customer(_IDENTITY, _IDENTITY.c.created_at, _IDENTITY.c.id)
    ),
}
