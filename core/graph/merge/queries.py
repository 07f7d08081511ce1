from __future__ import annotations

import strawberry

from unicrm.core.authz.declare import requires
from unicrm.core.graph.customers.types import Customer
from unicrm.core.graph.merge.duplicates import duplicate_candidates
from unicrm.core.graph.merge.types import DuplicateCandidate, DuplicateReason
from unicrm.core.graph.node import parse_global_id
from unicrm.core.graph.queries import run_query


@strawberry.type
class MergeQuery:
    @strawberry.field(
        metadata=requires("core.customer:read"),
        description="Other customers sharing an email, a phone or an external identity with "
        "this one, most likely first.",
    )
    async def customer_duplicates(
        self, info: strawberry.Info, customer_id: strawberry.ID
    ) -> list[DuplicateCandidate]:
        _, pk = parse_global_id(customer_id, "Customer")
        limit = info.context.limits.max_page_size
        found = await run_query(info, lambda s: duplicate_candidates(s, pk, limit))
        rows = await info.context.loaders["core.customer_by_id"].load_many(
            [c.customer_id for c in found]
        )
        return [
            DuplicateCandidate(
                customer=Customer.from_row(row),
                reasons=[DuplicateReason(r) for r in c.reasons],
                score=c.score,
            )
            for c, row in zip(found, rows, strict=True)
            if row is not None
        ]


QUERY = MergeQuery
