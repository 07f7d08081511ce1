"""A filter tree costs one SQL statement to count and one to list, however many conditions it
has; Customer.segments costs the same for 5 customers as for 50 (no N+1)."""

from __future__ import annotations

from sqlalchemy import select

from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.pagination import PageRequest, paginate
from unicrm.core.segments.compile import Catalog, count_statement, customers_statement, resolve
from unicrm.core.testing.statements import StatementCounter

from .helpers import cond, create, order, person, product

EVERYTHING = {
    "and": [
        cond("customer.kind", "EQ", "person"),
        {
            "or": [
                cond("orders.total_spend", "GTE", "50"),
                cond("orders.count", "GTE", 2),
                cond("orders.last_order_at", "IN_LAST_DAYS", 365),
            ]
        },
        cond("orders.product", "HAS_ALL", ["TEA"]),
        cond("orders.category", "HAS_ANY", ["Drinks"]),
        cond("orders.store", "HAS_NONE", ["XXX"]),
        {"not": cond("customer.tags", "HAS_ANY", ["blocked"])},
        cond("consent.granted", "HAS_NONE", ["marketing:sms"]),
        cond("address.region", "NOT_IN", ["south"]),
        cond("customer.display_name", "STARTS_WITH", "Buyer"),
    ]
}


async def _buyers(state, count: int) -> None:
    tea = await product(state, "TEA", "Drinks", "60")
    for i in range(count):
        await order(state, await person(state, f"Buyer{i:02d}"), tea)


async def test_a_big_tree_is_one_statement_to_count_and_one_to_list(unicrm_state):
    await _buyers(unicrm_state, 12)
    async with unicrm_state.db.session() as session:
        tree = await resolve(session, EVERYTHING, Catalog.for_plugins(unicrm_state.registry, None))
        await session.execute(select(1))  # opens the transaction (SQLite's BEGIN is a statement)
        with StatementCounter(unicrm_state) as counter:
            count = await session.scalar(count_statement(tree))
        assert (count, counter.count) == (12, 1)
        with StatementCounter(unicrm_state) as counter:
            page = await paginate(
                session,
                customers_statement(tree),
                keys=[Customer.display_name, Customer.id],
                page=PageRequest(first=5),
                max_page_size=100,
                key_of=lambda r: (r.display_name, r.id),
            )
        assert counter.count == 1
        assert [r.display_name for r in page.rows] == [f"Buyer{i:02d}" for i in range(5)]
        with StatementCounter(unicrm_state) as counter:
            await paginate(
                session,
                customers_statement(tree),
                keys=[Customer.display_name, Customer.id],
                page=PageRequest(first=5, after=page.cursors[-1]),
                max_page_size=100,
                key_of=lambda r: (r.display_name, r.id),
            )
        assert counter.count == 1


async def test_preview_costs_the_same_for_one_condition_as_for_ten(unicrm_state, gql):
    await _buyers(unicrm_state, 3)
    query = """query($d: SegmentFilterInput!) {
        segmentPreview(definition: $d) { count sample { displayName } errors { code } } }"""
    await gql(query, {"d": cond("customer.kind", "EQ", "person")})  # warm caches
    with StatementCounter(unicrm_state) as small:
        one = await gql(query, {"d": cond("customer.kind", "EQ", "person")})
    with StatementCounter(unicrm_state) as large:
        many = await gql(query, {"d": EVERYTHING})
    assert one["data"]["segmentPreview"]["count"] == many["data"]["segmentPreview"]["count"] == 3
    assert large.count == small.count


async def test_customer_segments_has_no_n_plus_one(unicrm_state, gql):
    await _buyers(unicrm_state, 50)
    await create(gql, name="Tea drinkers", definition=cond("orders.product", "HAS_ANY", ["TEA"]))
    await create(gql, name="People", definition=cond("customer.kind", "EQ", "person"))
    query = """query($n: Int!) { customers(first: $n) { edges { node {
        displayName segments { name } } } } }"""
    await gql(query, {"n": 1})
    with StatementCounter(unicrm_state) as small:
        few = await gql(query, {"n": 5})
    with StatementCounter(unicrm_state) as large:
        lots = await gql(query, {"n": 50})
    nodes = [e["node"] for e in lots["data"]["customers"]["edges"]]
    assert len(nodes) == 50 and len(few["data"]["customers"]["edges"]) == 5
    assert all([s["name"] for s in n["segments"]] == ["People", "Tea drinkers"] for n in nodes)
    assert large.count == small.count


async def test_the_list_statement_selects_customers_once(unicrm_state):
    """The compiled tree is a WHERE on customer: no join multiplies rows."""
    await _buyers(unicrm_state, 2)
    tea = await product(unicrm_state, "TEA2", "Drinks", "10")
    async with unicrm_state.db.session() as session:
        buyer = await session.scalar(select(Customer.id).where(Customer.display_name == "Buyer00"))
    await order(unicrm_state, buyer, tea)
    await order(unicrm_state, buyer, tea)
    async with unicrm_state.db.session() as session:
        tree = await resolve(
            session,
            cond("orders.category", "HAS_ANY", ["Drinks"]),
            Catalog.for_plugins(unicrm_state.registry, None),
        )
        rows = list(await session.scalars(customers_statement(tree)))
    assert sorted(r.display_name for r in rows) == ["Buyer00", "Buyer01"]
