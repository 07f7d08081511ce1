"""Repurchase and maintenance reminders: due ones sent once by the daily job on a channel the
contact policy allows; bad rules are refused and nothing is written."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from core.messaging.messaging_support import add_customer, add_templates
from sqlalchemy import func, select

from core.messaging import conftest as messaging
from plugins.crm_support import codes, gid, product
from plugins.support import add_rows
from unicrm.core.db.types import utcnow
from unicrm.core.graph.assets.models import Asset
from unicrm.core.graph.orders.models import Order, OrderLine, OrderSource
from unicrm.core.jobs.contracts import JobRun
from unicrm.core.messaging.models import Message
from unicrm.core.messaging.services import TemplateData
from unicrm.plugins.crm.jobs import send_reminders
from unicrm.plugins.crm.models import ReminderRule

# the messaging tests' real SMTP server and runtime set-up
smtp, configure = messaging.smtp, messaging.configure
provider, http_provider = messaging.provider, messaging.http_provider

SET = """mutation($input: ReminderRuleInput!) { reminderRuleSet(input: $input) {
    errors { field code message } rule { kind intervalDays product { sku } } } }"""

SEND_NOW = """mutation($input: ReminderSendInput!) { reminderSend(input: $input) {
    errors { field code message } channel } }"""


def _template(key: str) -> TemplateData:
    return TemplateData(
        key=key,
        channel="email",
        locale="th",
        subject="{{ product_name }}",
        text_body="Due on {{ due_date }}: {{ product_name }}",
        variables=("product_name", "due_date"),
    )


async def _bought(state, customer, product_id, days_ago: int) -> None:
    order = Order(
        customer_id=customer,
        source=OrderSource.POS,
        placed_at=utcnow() - timedelta(days=days_ago),
        currency="THB",
        total=Decimal("100"),
    )
    await add_rows(state, order)
    line = OrderLine(
        order_id=order.id,
        position=0,
        product_id=product_id,
        sku="x",
        name="x",
        quantity=1,
        unit_price=Decimal("100"),
        line_total=Decimal("100"),
    )
    await add_rows(state, line)


async def _run(state) -> None:
    async with state.db.transaction() as session:
        run = JobRun(uuid.uuid4(), "crm.reminders", {"now": utcnow().isoformat()}, 1, 3, None)
        await send_reminders(run, session)


async def _messages(state) -> list[tuple[str, str]]:
    async with state.db.session() as session:
        rows = await session.execute(select(Message.address, Message.text_body))
        return sorted((a, t) for a, t in rows.all())


async def test_due_reminders_are_sent_once(gql, unicrm_state, configure, smtp):
    state = unicrm_state
    await add_templates(
        state, _template("crm.repurchase_reminder"), _template("crm.maintenance_reminder")
    )
    water_filter = await product(state, "FILTER")
    aircon = await product(state, "AIRCON")
    due = await add_customer(state, "Malee", email="malee@example.co.th", phone=None)
    recent = await add_customer(state, "Somchai", email="somchai@example.co.th", phone=None)
    owner = await add_customer(state, "Anan", email="anan@example.co.th", phone=None)
    await _bought(state, due, water_filter, 100)
    await _bought(state, recent, water_filter, 30)
    bought = date.today() - timedelta(days=200)
    await add_rows(state, Asset(customer_id=owner, product_id=aircon, purchase_date=bought))

    for sku_id, kind, days in ((water_filter, "REPURCHASE", 90), (aircon, "MAINTENANCE", 180)):
        variables = {
            "input": {"productId": gid("Product", sku_id), "kind": kind, "intervalDays": days}
        }
        assert (await gql(SET, variables))["data"]["reminderRuleSet"]["errors"] == []

    await _run(state)
    await _run(state)  # the next day: nothing new is due

    sent = await _messages(state)
    assert [address for address, _ in sent] == ["anan@example.co.th", "malee@example.co.th"]
    assert "AIRCON" in sent[0][1] and "FILTER" in sent[1][1]

    def now(customer, product_id, kind):
        return {
            "input": {
                "customerId": gid("Customer", customer),
                "productId": gid("Product", product_id),
                "kind": kind,
            }
        }

    manual = await gql(SEND_NOW, now(recent, water_filter, "REPURCHASE"))
    assert manual["data"]["reminderSend"] == {"errors": [], "channel": "email"}
    never = await gql(SEND_NOW, now(owner, water_filter, "REPURCHASE"))
    assert codes(never["data"]["reminderSend"]) == [("productId", "NOT_BOUGHT")]
    no_rule = await gql(SEND_NOW, now(due, water_filter, "MAINTENANCE"))
    assert codes(no_rule["data"]["reminderSend"]) == [("kind", "NO_RULE")]
    assert len(await _messages(state)) == 3


async def test_bad_reminder_rules_are_refused(gql, unicrm_state):
    state = unicrm_state
    water_filter = await product(state, "FILTER-2")
    bad = [
        (
            {"productId": gid("Product", water_filter), "kind": "REPURCHASE", "intervalDays": 0},
            [("intervalDays", "INVALID")],
        ),
        (
            {"productId": gid("Product", water_filter), "kind": "REPURCHASE", "intervalDays": 4000},
            [("intervalDays", "INVALID")],
        ),
        (
            {"productId": gid("Product", uuid.uuid4()), "kind": "MAINTENANCE", "intervalDays": 30},
            [("productId", "NOT_FOUND")],
        ),
        (
            {"productId": gid("Customer", uuid.uuid4()), "kind": "MAINTENANCE", "intervalDays": 30},
            [("productId", "INVALID_ID")],
        ),
    ]
    for data, expected in bad:
        assert codes((await gql(SET, {"input": data}))["data"]["reminderRuleSet"]) == expected
    async with state.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(ReminderRule)) == 0
