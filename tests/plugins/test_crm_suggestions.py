"""Cross-sell suggestions: the products most often bought in the same placed order, with the
support and confidence shown; bad requests are refused."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update

from plugins.crm_support import gid, order, product
from plugins.support import add_customers, add_rows
from unicrm.core.graph.orders.models import Order, OrderLine, OrderStatus

BOUGHT_WITH = """query($id: ID!, $first: Int!, $min: Int!) {
    productsBoughtWith(productId: $id, first: $first, minSupport: $min) {
    product { sku } support confidence } }"""


async def _basket(state, customer, *products, cancelled: bool = False) -> None:
    order_id = await order(state, customer)
    await add_rows(
        state,
        *[
            OrderLine(
                order_id=order_id,
                position=i,
                product_id=p,
                sku="x",
                name="x",
                quantity=1,
                unit_price=Decimal("100"),
                line_total=Decimal("100"),
            )
            for i, p in enumerate(products)
        ],
    )
    if cancelled:
        async with state.db.transaction() as session:
            await session.execute(
                update(Order).where(Order.id == order_id).values(status=OrderStatus.CANCELLED)
            )


async def test_products_bought_together_are_suggested_with_their_support(gql, unicrm_state):
    state = unicrm_state
    router, mesh, cable, tv = [
        await product(state, sku) for sku in ("ROUTER", "MESH", "CABLE", "TV")
    ]
    [malee] = await add_customers(state, "Malee")
    await _basket(state, malee, router, mesh)
    await _basket(state, malee, router, mesh, cable)
    await _basket(state, malee, router)
    await _basket(state, malee, mesh, tv)
    await _basket(state, malee, router, tv, cancelled=True)

    found = await gql(BOUGHT_WITH, {"id": gid("Product", router), "first": 5, "min": 1})
    assert found["data"]["productsBoughtWith"] == [
        {"product": {"sku": "MESH"}, "support": 2, "confidence": 0.6667},
        {"product": {"sku": "CABLE"}, "support": 1, "confidence": 0.3333},
    ]
    strong = await gql(BOUGHT_WITH, {"id": gid("Product", router), "first": 5, "min": 2})
    assert [s["product"]["sku"] for s in strong["data"]["productsBoughtWith"]] == ["MESH"]

    for variables in (
        {"id": gid("Product", router), "first": 0, "min": 1},
        {"id": gid("Product", router), "first": 5, "min": 0},
        {"id": gid("Product", malee), "first": 5, "min": 1},
    ):
        answer = await gql(BOUGHT_WITH, variables)
        assert answer["errors"][0]["extensions"]["code"] == "BAD_REQUEST", variables
