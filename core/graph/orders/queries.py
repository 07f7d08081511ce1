from __future__ import annotations

import strawberry

from unicrm.core.authz.declare import requires
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.orders.types import Order


@strawberry.type
class OrderQuery:
    @strawberry.field(metadata=requires("core.order:read"), description="One order by id.")
    async def order(self, info: strawberry.Info, id: strawberry.ID) -> Order | None:
        _, pk = parse_global_id(id, "Order")
        return await Order.load_node(info, pk)


QUERY = OrderQuery
