"""Quotes: Decimal totals with Thai VAT inclusive or exclusive, discounts, versions, the status
machine, expiry, and acceptance into a core order that updates the deal."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pypdf import PdfReader
from sqlalchemy import func, select, update

from plugins.sfa_support import gid
from plugins.support import add_customers, add_rows
from unicrm.core import config
from unicrm.core.graph.orders.models import Order, OrderLine
from unicrm.core.graph.products.models import Product
from unicrm.core.jobs.contracts import JobRun
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as
from unicrm.plugins.sfa.models import Quote, QuoteLine, QuoteStatus
from unicrm.plugins.sfa.services import deals as deal_services
from unicrm.plugins.sfa.services import quotes
from unicrm.plugins.sfa.services.quotes import PricedLine, compute, line_errors

QUOTE = """id version status familyId pricesIncludeVat vatRate validUntil deliveryDate
  netTotal { amount currency } discountTotal { amount } vat { amount } grandTotal { amount }
  lines { position sku quantity unitPrice { amount } discountPercent discount { amount }
          lineTotal { amount } }
  order { id total { amount } }"""
CREATE = f"""mutation($input: QuoteCreateInput!) {{ quoteCreate(input: $input) {{
  quote {{ {QUOTE} }} errors {{ field code message }} }} }}"""
UPDATE = f"""mutation($input: QuoteUpdateInput!) {{ quoteUpdate(input: $input) {{
  quote {{ {QUOTE} }} errors {{ field code message }} }} }}"""
SEND = f"""mutation($id: ID!) {{ quoteSend(input: {{id: $id}}) {{
  quote {{ {QUOTE} }} errors {{ field code }} }} }}"""
NEW_VERSION = f"""mutation($id: ID!) {{ quoteNewVersion(input: {{id: $id}}) {{
  quote {{ {QUOTE} }} errors {{ field code }} }} }}"""
REJECT = """mutation($id: ID!) { quoteReject(input: {id: $id}) {
  quote { status } errors { field code } } }"""
ACCEPT = f"""mutation($id: ID!) {{ quoteAccept(input: {{id: $id}}) {{
  quote {{ {QUOTE} }} deal {{ amount {{ amount currency }} version }}
  errors {{ field code message }} }} }}"""


def D(value: str) -> Decimal:
    return Decimal(value)


def test_exclusive_vat_is_added_on_the_net_total_after_discounts():
    totals = compute(
        [
            PricedLine(3, D("1000.00"), discount_percent=D("10")),
            PricedLine(1, D("99.99"), discount_amount=D("9.99")),
        ],
        D("0.07"),
        prices_include_vat=False,
    )

    assert [(a.gross, a.discount, a.total) for a in totals.lines] == [
        (D("3000.00"), D("300.00"), D("2700.00")),
        (D("99.99"), D("9.99"), D("90.00")),
    ]
    assert (totals.discount, totals.net, totals.vat, totals.grand) == (
        D("309.99"),
        D("2790.00"),
        D("195.30"),
        D("2985.30"),
    )


def test_inclusive_prices_hold_the_vat_inside_the_total():
    totals = compute([PricedLine(2, D("535.00"))], D("0.07"), prices_include_vat=True)

    assert (totals.net, totals.vat, totals.grand) == (D("1000.00"), D("70.00"), D("1070.00"))


def test_satang_are_rounded_half_up_like_thai_tax_documents():
    totals = compute(
        [PricedLine(1, D("0.50"), discount_percent=D("5"))], D("0.07"), prices_include_vat=False
    )

    assert totals.lines[0].discount == D("0.03")  # 0.025 → 0.03 (half even would give 0.02)
    assert (totals.net, totals.vat, totals.grand) == (D("0.47"), D("0.03"), D("0.50"))


def test_bad_lines_name_their_field():
    def codes(line: PricedLine) -> list[tuple[str, str]]:
        return [(e.field, e.code) for e in line_errors(0, line)]

    assert codes(PricedLine(-1, D("10"))) == [("lines.0.quantity", "INVALID_QUANTITY")]
    assert codes(PricedLine(1, D("10"), discount_percent=D("150"))) == [
        ("lines.0.discount_percent", "INVALID_DISCOUNT")
    ]
    assert codes(PricedLine(2, D("10"), discount_amount=D("20.01"))) == [
        ("lines.0.discount_amount", "INVALID_DISCOUNT")
    ]
    assert codes(PricedLine(1, D("-1"))) == [("lines.0.unit_price", "INVALID_AMOUNT")]


async def setup(state) -> tuple[uuid.UUID, dict[str, Product]]:
    [somchai] = await add_customers(state, "Somchai")
    products = {
        "panel": Product(
            sku="PANEL-400", name="Solar panel 400 W", price=D("6500"), currency="THB"
        ),
        "inverter": Product(sku="INV-5K", name="Inverter 5 kW", price=D("32000"), currency="THB"),
        "old": Product(
            sku="PANEL-250", name="Solar panel 250 W", price=D("3000"), currency="THB", active=False
        ),
    }
    await add_rows(state, *products.values())
    async with state.db.transaction() as session:
        deal = await deal_services.create_deal(
            session, deal_services.DealData(customer_id=somchai, title="Solar rooftop")
        )
    return deal.id, products


def valid_until(days: int = 30) -> str:
    return (config.get_settings().business_date() + timedelta(days=days)).isoformat()


async def count(state, model) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_quote_goes_from_draft_to_an_accepted_order_through_versions(gql, unicrm_state):
    deal_id, products = await setup(unicrm_state)
    created = await gql(
        CREATE,
        {
            "input": {
                "dealId": gid("Deal", deal_id),
                "validUntil": valid_until(),
                "deliveryLeadDays": 14,
                "lines": [
                    {
                        "productId": gid("Product", products["panel"].id),
                        "quantity": 10,
                        "discountPercent": "5",
                    },
                    {"productId": gid("Product", products["inverter"].id), "quantity": 1},
                ],
            }
        },
    )
    first = created["data"]["quoteCreate"]
    assert first["errors"] == []
    v1 = first["quote"]
    assert (v1["version"], v1["status"], v1["vatRate"]) == (1, "DRAFT", "0.07")
    assert [line["lineTotal"]["amount"] for line in v1["lines"]] == ["61750.0000", "32000.0000"]
    assert v1["netTotal"] == {"amount": "93750.0000", "currency": "THB"}
    assert v1["vat"]["amount"] == "6562.5000"
    assert v1["grandTotal"]["amount"] == "100312.5000"

    sent = (await gql(SEND, {"id": v1["id"]}))["data"]["quoteSend"]
    assert sent["quote"]["status"] == "SENT"
    frozen = await gql(UPDATE, {"input": {"id": v1["id"], "validUntil": valid_until(10)}})
    assert [(e["field"], e["code"]) for e in frozen["data"]["quoteUpdate"]["errors"]] == [
        ("id", "QUOTE_NOT_DRAFT")
    ]

    v2 = (await gql(NEW_VERSION, {"id": v1["id"]}))["data"]["quoteNewVersion"]["quote"]
    assert (v2["version"], v2["status"], v2["familyId"]) == (2, "DRAFT", v1["familyId"])
    changed = await gql(
        UPDATE,
        {
            "input": {
                "id": v2["id"],
                "pricesIncludeVat": True,
                "lines": [{"productId": gid("Product", products["inverter"].id), "quantity": 1}],
            }
        },
    )
    v2 = changed["data"]["quoteUpdate"]["quote"]
    assert (v2["netTotal"]["amount"], v2["vat"]["amount"], v2["grandTotal"]["amount"]) == (
        "29906.5400",
        "2093.4600",
        "32000.0000",
    )
    await gql(SEND, {"id": v2["id"]})

    accepted = (await gql(ACCEPT, {"id": v2["id"]}))["data"]["quoteAccept"]

    assert accepted["errors"] == []
    assert accepted["quote"]["status"] == "ACCEPTED"
    assert accepted["quote"]["order"]["total"] == {"amount": "32000.0000"}
    assert accepted["deal"]["amount"] == {"amount": "32000.0000", "currency": "THB"}
    assert (
        accepted["quote"]["deliveryDate"]
        == (config.get_settings().business_date() + timedelta(days=14)).isoformat()
    )
    async with unicrm_state.db.session() as session:
        statuses = (await session.scalars(select(Quote.status).order_by(Quote.version))).all()
    assert statuses == [QuoteStatus.SENT, QuoteStatus.ACCEPTED]  # version 1 is kept as it was
    again = (await gql(ACCEPT, {"id": v2["id"]}))["data"]["quoteAccept"]
    assert [e["code"] for e in again["errors"]] == ["QUOTE_NOT_SENT"]
    assert await count(unicrm_state, Order) == 1


async def test_quote_create_refuses_bad_lines_and_writes_nothing(gql, unicrm_state):
    deal_id, products = await setup(unicrm_state)
    panel = gid("Product", products["panel"].id)
    cases = [
        ([{"productId": panel, "quantity": -2}], "lines.0.quantity", "INVALID_QUANTITY"),
        (
            [{"productId": panel, "quantity": 1, "discountPercent": "120"}],
            "lines.0.discountPercent",
            "INVALID_DISCOUNT",
        ),
        (
            [{"productId": panel, "quantity": 1, "discountAmount": "6500.01"}],
            "lines.0.discountAmount",
            "INVALID_DISCOUNT",
        ),
        (
            [{"productId": gid("Product", products["old"].id), "quantity": 1}],
            "lines.0.productId",
            "INACTIVE_PRODUCT",
        ),
        (
            [{"productId": gid("Product", uuid.UUID(int=7)), "quantity": 1}],
            "lines.0.productId",
            "NOT_FOUND",
        ),
        ([], "lines", "REQUIRED"),
    ]
    for lines, field, code in cases:
        body = await gql(
            CREATE,
            {
                "input": {
                    "dealId": gid("Deal", deal_id),
                    "validUntil": valid_until(),
                    "lines": lines,
                }
            },
        )
        payload = body["data"]["quoteCreate"]
        assert payload["quote"] is None, lines
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)], lines
    past = await gql(
        CREATE,
        {
            "input": {
                "dealId": gid("Deal", deal_id),
                "validUntil": valid_until(-1),
                "lines": [{"productId": panel, "quantity": 1}],
            }
        },
    )
    assert [e["code"] for e in past["data"]["quoteCreate"]["errors"]] == ["INVALID_DATE"]
    assert (await count(unicrm_state, Quote), await count(unicrm_state, QuoteLine)) == (0, 0)


async def test_validity_days_are_business_days_in_bangkok(gql, unicrm_state, monkeypatch):
    # 20:00 UTC on 23 November is already 03:00 on 24 November in Bangkok.
    monkeypatch.setattr(config, "utcnow", lambda: datetime(2026, 11, 23, 20, tzinfo=UTC))
    assert config.get_settings().timezone == "Asia/Bangkok"
    deal_id, products = await setup(unicrm_state)
    panel = gid("Product", products["panel"].id)

    async def create(day: str) -> dict:
        variables = {"dealId": gid("Deal", deal_id), "validUntil": day}
        variables["lines"] = [{"productId": panel, "quantity": 1}]
        return (await gql(CREATE, {"input": variables}))["data"]["quoteCreate"]

    yesterday_in_bangkok = await create("2026-11-23")
    today_in_bangkok = await create("2026-11-24")

    assert [e["code"] for e in yesterday_in_bangkok["errors"]] == ["INVALID_DATE"]
    assert today_in_bangkok["errors"] == []
    await gql(SEND, {"id": today_in_bangkok["quote"]["id"]})
    async with unicrm_state.db.transaction() as session:
        await session.execute(update(Quote).values(valid_until=date(2026, 11, 23)))
    run = JobRun(uuid.uuid4(), quotes.EXPIRE_JOB, {}, 1, 5, None)
    async with unicrm_state.db.transaction() as session:
        await quotes.expire_quotes(run, session)
    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(Quote.status)) is QuoteStatus.EXPIRED


async def test_an_expired_quote_is_not_accepted_and_the_daily_job_marks_it(gql, unicrm_state):
    deal_id, products = await setup(unicrm_state)
    created = await gql(
        CREATE,
        {
            "input": {
                "dealId": gid("Deal", deal_id),
                "validUntil": valid_until(),
                "lines": [{"productId": gid("Product", products["panel"].id), "quantity": 1}],
            }
        },
    )
    quote_id = created["data"]["quoteCreate"]["quote"]["id"]
    await gql(SEND, {"id": quote_id})
    async with unicrm_state.db.transaction() as session:
        await session.execute(
            update(Quote).values(
                valid_until=config.get_settings().business_date() - timedelta(days=1)
            )
        )

    refused = (await gql(ACCEPT, {"id": quote_id}))["data"]["quoteAccept"]

    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("id", "QUOTE_EXPIRED")]
    assert await count(unicrm_state, Order) == 0
    assert await count(unicrm_state, OrderLine) == 0
    run = JobRun(uuid.uuid4(), quotes.EXPIRE_JOB, {}, 1, 5, None)
    for _ in range(2):
        async with unicrm_state.db.transaction() as session:
            await quotes.expire_quotes(run, session)
    async with unicrm_state.db.session() as session:
        assert await session.scalar(select(Quote.status)) is QuoteStatus.EXPIRED
    rejected = (await gql(REJECT, {"id": quote_id}))["data"]["quoteReject"]
    assert [e["code"] for e in rejected["errors"]] == ["QUOTE_NOT_SENT"]


async def test_a_quote_downloads_as_a_pdf_with_the_thai_font(client, gql, unicrm_state):
    deal_id, products = await setup(unicrm_state)
    async with unicrm_state.db.transaction() as session:
        await session.execute(update(Product).values(name="แผงโซลาร์ 400 วัตต์"))
    created = await gql(
        CREATE,
        {
            "input": {
                "dealId": gid("Deal", deal_id),
                "validUntil": valid_until(),
                "lines": [{"productId": gid("Product", products["panel"].id), "quantity": 2}],
            }
        },
    )
    quote_id = created["data"]["quoteCreate"]["quote"]["id"]

    response = await client.get(f"/sfa/quotes/{quote_id}.pdf")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert b"Sarabun" in response.content  # the embedded Thai font
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "แผงโซลาร์ 400 วัตต์" in text  # shaped, yet extracts as the original Unicode
    assert "ยืนราคาถึง" in text
    assert "รวมทั้งสิ้น" in text


async def test_quote_pdf_answers_who_may_not_or_what_is_not(anonymous_client, client, unicrm_state):
    missing = await client.get(f"/sfa/quotes/{gid('Quote', uuid.UUID(int=5))}.pdf")
    wrong_type = await client.get(f"/sfa/quotes/{gid('Deal', uuid.UUID(int=5))}.pdf")
    anonymous = await anonymous_client.get(f"/sfa/quotes/{gid('Quote', uuid.UUID(int=5))}.pdf")
    token = await sign_in_as(unicrm_state, "store@unicrm.test", "store_staff")
    async with client_for(unicrm_state, token) as http:
        denied = await http.get(f"/sfa/quotes/{gid('Quote', uuid.UUID(int=5))}.pdf")

    assert [r.status_code for r in (missing, wrong_type, anonymous, denied)] == [404, 400, 401, 403]
