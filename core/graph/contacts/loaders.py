"""Contact loaders, read with Core selects into light rows (no ORM hydration)."""

from __future__ import annotations

from sqlalchemy import Table

from unicrm.core.graph.contacts.models import CustomerAddress, CustomerEmail, CustomerPhone
from unicrm.core.graph.loaders import Fetch, many_per_key, one_per_key, rows_by


def _primary_first(table: Table) -> Fetch:
    return rows_by(table.c.customer_id, table.c.is_primary.desc(), table.c.created_at, table.c.id)


_EMAIL = CustomerEmail.__table__
_PHONE = CustomerPhone.__table__
_ADDRESS = CustomerAddress.__table__

LOADERS = {
    "core.email_by_id": one_per_key(rows_by(_EMAIL.c.id)),
    "core.phone_by_id": one_per_key(rows_by(_PHONE.c.id)),
    "core.address_by_id": one_per_key(rows_by(_ADDRESS.c.id)),
    "core.emails_by_customer": many_per_key(_primary_first(_EMAIL)),
    "core.phones_by_customer": many_per_key(_primary_first(_PHONE)),
    "core.addresses_by_customer": many_per_key(_primary_first(_ADDRESS)),
}
