from __future__ import annotations

from unicrm.core.graph.loaders import entities_by, latest_by, many_per_key, one_per_key
from unicrm.core.graph.orders.models import Order, OrderLine

LOADERS = {
    "core.order_by_id": one_per_key(entities_by(Order.id)),
    "core.lines_by_order": many_per_key(entities_by(OrderLine.order_id, OrderLine.position)),
    "core.latest_orders_by_customer": many_per_key(
        latest_by(Order.customer_id, Order.placed_at.desc(), Order.id.desc())
    ),
}
