from __future__ import annotations

from unicrm.core.graph.loaders import latest_by, many_per_key, one_per_key, rows_by
from unicrm.core.graph.orders.models import Order, OrderLine

ORDERS, LINES = Order.__table__, OrderLine.__table__

LOADERS = {
    "core.order_by_id": one_per_key(rows_by(ORDERS.c.id)),
    "core.lines_by_order": many_per_key(rows_by(LINES.c.order_id, LINES.c.position)),
    "core.latest_orders_by_customer": many_per_key(
        latest_by(ORDERS.c.customer_id, ORDERS.c.placed_at.desc(), ORDERS.c.id.desc())
    ),
}
