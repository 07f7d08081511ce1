"""Leads and lifecycle stages: opening, temperature, assignment, conversion, disqualification,
stage changes with history, first orders, row scopes, merge, export and erase."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from lead_support import codes, count, person, staff
from sqlalchemy import select

from unicrm.core.db.ids import uuid7
from unicrm.core.events.models import OutboxEvent
from unicrm.core.events.outbox import Event
from unicrm.core.graph.customers.models import Customer, CustomerKind, LifecycleStage
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.graph.ids import from_global_id, to_global_id
from unicrm.core.graph.leads.lifecycle import on_order_placed
from unicrm.core.graph.leads.models import (
    Lead,
    LeadSource,
    LeadTemperature,
    LeadTemperatureChange,
    LifecycleChange,
)
from unicrm.core.graph.leads.services import LeadData, create_lead, update_lead
from unicrm.core.graph.merge.services import merge_customers
from unicrm.core.graph.notifications.models import Notification
from unicrm.core.graph.orders.models import OrderSource
from unicrm.core.graph.orders.services import LineData, OrderData, create_order
from unicrm.core.graph.products.services import Price, ProductData, create_product
from unicrm.core.testing.statements import StatementCounter

LEAD_FIELDS = """id status temperature source externalSource externalId convertedAt convertedBy
  disqualifiedReason owner { id } customer { id lifecycleStage }
  temperatureHistory { fromTemperature toTemperature changedBy }"""

CREATE = f"""mutation($input: LeadCreateInput!) {{
  leadCreate(input: $input) {{ lead {{ {LEAD_FIELDS} }} errors {{ field code message }} }} }}"""
UPDATE = f"""mutation($input: LeadUpdateInput!) {{
  leadUpdate(input: $input) {{ lead {{ {LEAD_FIELDS} }} errors {{ field code message }} }} }}"""
ASSIGN = f"""mutation($input: LeadAssignInput!) {{
  leadAssign(input: $input) {{ lead {{ {LEAD_FIELDS} }} errors {{ field code message }} }} }}"""
CONVERT = f"""mutation($input: LeadConvertInput!) {{
  leadConvert(input: $input) {{ lead {{ {LEAD_FIELDS} }} errors {{ field code message }} }} }}"""
DISQUALIFY = f"""mutation($input: LeadDisqualifyInput!) {{
  leadDisqualify(input: $input) {{ lead {{ {LEAD_FIELDS} }} errors {{ field code message }} }} }}"""
STAGE = """mutation($input: CustomerLifecycleStageSetInput!) {
  customerLifecycleStageSet(input: $input) {
    customer { lifecycleStage lifecycleHistory { fromStage toStage changedBy reason user { id } } }
    errors { field code message } } }"""
CUSTOMER = """query($id: ID!) { customer(id: $id) {
  lifecycleStage lifecycleHistory { fromStage toStage changedBy reason }
  lead { id status temperature } } }"""


async def open_lead(gql, customer: str, **extra) -> dict:
    payload = await gql(CREATE, {"input": {"customerId": customer, "source": "WEB_FORM", **extra}})
    assert payload["data"]["leadCreate"]["errors"] == [], payload
    return payload["data"]["leadCreate"]["lead"]


async def test_a_new_lead_makes_the_customer_a_lead_and_starts_its_temperature_history(
    gql, unicrm_state
):
    somchai = await person(unicrm_state, "Somchai")
    lead = await open_lead(gql, somchai, temperature="WARM")

    assert lead["status"] == "OPEN"
    assert lead["temperature"] == "WARM"
    assert lead["owner"] is not None  # the caller, by default
    assert lead["customer"]["lifecycleStage"] == "LEAD"
    assert lead["temperatureHistory"] == [
        {"fromTemperature": None, "toTemperature": "WARM", "changedBy": "admin"}
    ]
    customer = (await gql(CUSTOMER, {"id": somchai}))["data"]["customer"]
    assert customer["lifecycleHistory"] == [
        {
            "fromStage": "SUBSCRIBER",
            "toStage": "LEAD",
            "changedBy": "admin",
            "reason": "lead created",
        }
    ]
    assert customer["lead"] == {"id": lead["id"], "status": "OPEN", "temperature": "WARM"}


async def test_a_second_open_lead_for_a_customer_is_refused_and_writes_nothing(gql, unicrm_state):
    somchai = await person(unicrm_state, "Somchai")
    await open_lead(gql, somchai)

    payload = (await gql(CREATE, {"input": {"customerId": somchai, "source": "EVENT"}}))["data"]

    assert codes(payload["leadCreate"]) == [("customerId", "OPEN_LEAD_EXISTS")]
    assert await count(unicrm_state, Lead) == 1
    assert await count(unicrm_state, LeadTemperatureChange) == 1


async def test_lead_create_with_bad_input_writes_nothing(gql, unicrm_state):
    somchai = await person(unicrm_state, "Somchai")
    unknown = to_global_id("Customer", from_global_id(somchai)[1].__class__(int=1))
    cases = [
        ({"customerId": unknown, "source": "POS"}, [("customerId", "NOT_FOUND")]),
        ({"customerId": "nope", "source": "POS"}, [("customerId", "INVALID_ID")]),
        (
            {"customerId": somchai, "source": "POS", "externalSource": "hubspot"},
            [("externalId", "REQUIRED")],
        ),
        (
            {
                "customerId": somchai,
                "source": "POS",
                "ownerId": to_global_id("User", from_global_id(somchai)[1]),
            },
            [("ownerId", "NOT_FOUND")],
        ),
    ]
    for given, expected in cases:
        payload = (await gql(CREATE, {"input": given}))["data"]["leadCreate"]
        assert codes(payload) == expected, given
        assert payload["lead"] is None
    assert await count(unicrm_state, Lead) == 0
    assert await count(unicrm_state, LifecycleChange) == 0


async def test_temperature_changes_are_kept_in_the_leads_history(gql, unicrm_state):
    lead = await open_lead(gql, await person(unicrm_state, "Somchai"))
    await gql(UPDATE, {"input": {"id": lead["id"], "temperature": "WARM"}})
    await gql(UPDATE, {"input": {"id": lead["id"], "temperature": "WARM"}})  # no change
    payload = (
        await gql(UPDATE, {"input": {"id": lead["id"], "temperature": "HOT", "source": "EVENT"}})
    )["data"]["leadUpdate"]

    assert payload["errors"] == []
    assert payload["lead"]["source"] == "EVENT"
    assert [
        (h["fromTemperature"], h["toTemperature"]) for h in payload["lead"]["temperatureHistory"]
    ] == [(None, "COLD"), ("COLD", "WARM"), ("WARM", "HOT")]


async def test_lead_update_with_bad_input_changes_nothing(gql, unicrm_state):
    lead = await open_lead(gql, await person(unicrm_state, "Somchai"))
    payload = (await gql(UPDATE, {"input": {"id": lead["id"], "temperature": None}}))["data"]
    assert codes(payload["leadUpdate"]) == [("temperature", "REQUIRED")]
    unknown = to_global_id("Lead", from_global_id(lead["id"])[1].__class__(int=7))
    payload = (await gql(UPDATE, {"input": {"id": unknown, "temperature": "HOT"}}))["data"]
    assert codes(payload["leadUpdate"]) == [("id", "NOT_FOUND")]
    assert await count(unicrm_state, LeadTemperatureChange) == 1


async def test_assigning_a_lead_notifies_the_new_owner_once(gql, unicrm_state):
    lead = await open_lead(gql, await person(unicrm_state, "Somchai"))
    async with staff(unicrm_state, "rep@unicrm.test", "inside_sales") as rep:
        for _ in range(2):
            payload = (await gql(ASSIGN, {"input": {"id": lead["id"], "ownerId": rep.gid}}))[
                "data"
            ]["leadAssign"]
            assert payload["errors"] == []
        assert payload["lead"]["owner"] == {"id": rep.gid}

        inbox = await rep.gql(
            "{ unreadNotificationCount notifications(first: 5) { edges { node {"
            " kind title body subject isRead } } } }"
        )
    assert inbox["data"]["unreadNotificationCount"] == 1
    assert inbox["data"]["notifications"]["edges"] == [
        {
            "node": {
                "kind": "ASSIGNMENT",
                "title": "A cold lead was assigned to you",
                "body": "Somchai (web form)",
                "subject": lead["id"],
                "isRead": False,
            }
        }
    ]


async def test_assigning_to_an_unknown_user_is_an_error_and_notifies_nobody(gql, unicrm_state):
    lead = await open_lead(gql, await person(unicrm_state, "Somchai"))
    nobody = to_global_id("User", from_global_id(lead["id"])[1])
    payload = (await gql(ASSIGN, {"input": {"id": lead["id"], "ownerId": nobody}}))["data"]
    assert codes(payload["leadAssign"]) == [("ownerId", "NOT_FOUND")]
    assert await count(unicrm_state, Notification) == 0


async def test_converting_makes_an_opportunity_and_emits_the_leads_history(gql, unicrm_state):
    somchai = await person(unicrm_state, "Somchai")
    lead = await open_lead(gql, somchai, externalSource="hubspot", externalId="L-1")
    await gql(UPDATE, {"input": {"id": lead["id"], "temperature": "HOT"}})

    payload = (await gql(CONVERT, {"input": {"id": lead["id"]}}))["data"]["leadConvert"]

    assert payload["errors"] == []
    assert payload["lead"]["status"] == "CONVERTED"
    assert payload["lead"]["convertedBy"] == "admin"
    assert payload["lead"]["customer"]["lifecycleStage"] == "OPPORTUNITY"
    async with unicrm_state.db.session() as session:
        [event] = (
            await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "lead.converted"))
        ).all()
    summary = event.payload
    assert event.customer_id == from_global_id(somchai)[1]
    assert summary["lead_id"] == str(from_global_id(lead["id"])[1])
    assert (summary["temperature"], summary["source"]) == ("hot", "web_form")
    assert (summary["external_source"], summary["external_id"]) == ("hubspot", "L-1")
    assert summary["owner_id"] is not None
    assert [(s["from_stage"], s["to_stage"]) for s in summary["stage_history"]] == [
        ("subscriber", "lead"),
        ("lead", "opportunity"),
    ]
    assert [t["to_temperature"] for t in summary["temperature_history"]] == ["cold", "hot"]
    # lead opened, temperature changed, stage moved twice, converted
    assert summary["timeline_entries"] == summary["touches"] == 5


async def test_converting_a_closed_lead_is_an_error_that_changes_nothing(gql, unicrm_state):
    converted = await open_lead(gql, await person(unicrm_state, "Somchai"))
    await gql(CONVERT, {"input": {"id": converted["id"]}})
    disqualified = await open_lead(gql, await person(unicrm_state, "Malee"))
    await gql(DISQUALIFY, {"input": {"id": disqualified["id"], "reason": "no budget"}})
    events = await count(unicrm_state, OutboxEvent)
    stages = await count(unicrm_state, LifecycleChange)

    again = (await gql(CONVERT, {"input": {"id": converted["id"]}}))["data"]["leadConvert"]
    closed = (await gql(CONVERT, {"input": {"id": disqualified["id"]}}))["data"]["leadConvert"]

    assert codes(again) == [("id", "ALREADY_CONVERTED")]
    assert codes(closed) == [("id", "ALREADY_DISQUALIFIED")]
    assert again["lead"] is None
    assert await count(unicrm_state, OutboxEvent) == events
    assert await count(unicrm_state, LifecycleChange) == stages
    assert await count(unicrm_state, OutboxEvent, OutboxEvent.type == "lead.converted") == 1


async def test_a_closed_lead_keeps_its_temperature_and_owner(gql, unicrm_state):
    lead = await open_lead(gql, await person(unicrm_state, "Somchai"))
    await gql(CONVERT, {"input": {"id": lead["id"]}})
    payload = (await gql(UPDATE, {"input": {"id": lead["id"], "temperature": "HOT"}}))["data"]
    assert codes(payload["leadUpdate"]) == [("id", "LEAD_CLOSED")]
    payload = (await gql(ASSIGN, {"input": {"id": lead["id"], "ownerId": lead["owner"]["id"]}}))[
        "data"
    ]
    assert codes(payload["leadAssign"]) == [("id", "LEAD_CLOSED")]


async def test_disqualifying_needs_a_reason_and_frees_the_customer_for_a_new_lead(
    gql, unicrm_state
):
    somchai = await person(unicrm_state, "Somchai")
    lead = await open_lead(gql, somchai)
    payload = (await gql(DISQUALIFY, {"input": {"id": lead["id"], "reason": "  "}}))["data"]
    assert codes(payload["leadDisqualify"]) == [("reason", "REQUIRED")]

    payload = (await gql(DISQUALIFY, {"input": {"id": lead["id"], "reason": "no  budget"}}))[
        "data"
    ]["leadDisqualify"]
    assert payload["lead"]["status"] == "DISQUALIFIED"
    assert payload["lead"]["disqualifiedReason"] == "no budget"
    again = (await gql(DISQUALIFY, {"input": {"id": lead["id"], "reason": "twice"}}))["data"]
    assert codes(again["leadDisqualify"]) == [("id", "ALREADY_DISQUALIFIED")]
    assert (await open_lead(gql, somchai))["status"] == "OPEN"


async def test_staff_set_any_stage_with_a_reason_and_the_history_says_who(gql, unicrm_state):
    somchai = await person(unicrm_state, "Somchai")
    await gql(
        STAGE,
        {"input": {"customerId": somchai, "stage": "SALES_QUALIFIED", "reason": "demo booked"}},
    )
    await gql(STAGE, {"input": {"customerId": somchai, "stage": "SALES_QUALIFIED"}})  # no move
    payload = (
        await gql(
            STAGE, {"input": {"customerId": somchai, "stage": "CHURNED", "reason": "moved away"}}
        )
    )["data"]["customerLifecycleStageSet"]

    assert payload["errors"] == []
    customer = payload["customer"]
    assert customer["lifecycleStage"] == "CHURNED"
    assert [
        (h["fromStage"], h["toStage"], h["reason"], h["changedBy"])
        for h in customer["lifecycleHistory"]
    ] == [
        ("SUBSCRIBER", "SALES_QUALIFIED", "demo booked", "admin"),
        ("SALES_QUALIFIED", "CHURNED", "moved away", "admin"),
    ]
    assert all(h["user"] is not None for h in customer["lifecycleHistory"])


async def test_stage_set_with_bad_input_changes_nothing(gql, unicrm_state):
    somchai = await person(unicrm_state, "Somchai")
    long = {"customerId": somchai, "stage": "LEAD", "reason": "x" * 501}
    payload = (await gql(STAGE, {"input": long}))["data"]["customerLifecycleStageSet"]
    assert codes(payload) == [("reason", "TOO_LONG")]
    unknown = to_global_id("Customer", from_global_id(somchai)[1].__class__(int=3))
    payload = (await gql(STAGE, {"input": {"customerId": unknown, "stage": "LEAD"}}))["data"]
    assert codes(payload["customerLifecycleStageSet"]) == [("customerId", "NOT_FOUND")]
    assert await count(unicrm_state, LifecycleChange) == 0


async def _order(state, customer: str) -> None:
    async with state.db.transaction() as session:
        product = await create_product(
            session,
            ProductData(
                sku=f"TEA-{uuid7().hex}",
                name="Tea",
                category="drinks",
                price=Price(Decimal("45"), "THB"),
                active=True,
                description=None,
            ),
        )
        await create_order(
            session,
            OrderData(
                customer_id=from_global_id(customer)[1],
                source=OrderSource.POS,
                currency="THB",
                lines=[LineData(product_id=product.id, quantity=1)],
            ),
        )
    await state.events.dispatch_pending()


async def test_an_order_makes_its_buyer_a_customer_once_per_event(gql, unicrm_state):
    somchai = await person(unicrm_state, "Somchai")
    await open_lead(gql, somchai)
    await _order(unicrm_state, somchai)

    customer = (await gql(CUSTOMER, {"id": somchai}))["data"]["customer"]
    assert customer["lifecycleStage"] == "CUSTOMER"
    assert customer["lifecycleHistory"][-1] == {
        "fromStage": "LEAD",
        "toStage": "CUSTOMER",
        "changedBy": "system",
        "reason": "order placed",
    }
    # Staff mark the customer churned; delivering the same event again changes nothing.
    await gql(STAGE, {"input": {"customerId": somchai, "stage": "CHURNED"}})
    async with unicrm_state.db.session() as session:
        row = await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "order.placed"))
    async with unicrm_state.db.transaction() as session:
        await on_order_placed(Event.from_row(row), session)
    assert (await gql(CUSTOMER, {"id": somchai}))["data"]["customer"]["lifecycleStage"] == "CHURNED"
    assert (
        await count(
            unicrm_state, LifecycleChange, LifecycleChange.to_stage == LifecycleStage.CUSTOMER
        )
        == 1
    )


async def test_a_second_order_or_a_converted_lead_never_moves_a_customer_back(gql, unicrm_state):
    somchai = await person(unicrm_state, "Somchai")
    await _order(unicrm_state, somchai)
    await _order(unicrm_state, somchai)
    lead = await open_lead(gql, somchai)
    payload = (await gql(CONVERT, {"input": {"id": lead["id"]}}))["data"]["leadConvert"]
    assert payload["lead"]["customer"]["lifecycleStage"] == "CUSTOMER"
    assert await count(unicrm_state, LifecycleChange) == 1


LEADS = """query($filter: LeadFilterInput, $after: String) {
  leads(first: 2, filter: $filter, after: $after) {
    totalCount edges { node { customer { displayName } } } pageInfo { hasNextPage endCursor } } }"""


async def test_leads_page_newest_first_and_filter(gql, unicrm_state):
    names = ["Anan", "Busaba", "Chai"]
    for name in names:
        await open_lead(
            gql, await person(unicrm_state, name), temperature="HOT" if name != "Busaba" else "COLD"
        )
    seen, after = [], None
    while True:
        page = (await gql(LEADS, {"after": after}))["data"]["leads"]
        seen += [e["node"]["customer"]["displayName"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["Chai", "Busaba", "Anan"]
    hot = (await gql(LEADS, {"filter": {"temperature": "HOT", "status": "OPEN"}}))["data"]["leads"]
    assert hot["totalCount"] == 2
    cold_events = await gql(LEADS, {"filter": {"temperature": "COLD", "source": "EVENT"}})
    assert cold_events["data"]["leads"]["totalCount"] == 0


async def test_a_field_rep_lists_and_loads_only_their_own_leads(gql, unicrm_state):
    async with staff(unicrm_state, "field@unicrm.test", "field_sales") as rep:
        mine = await person(unicrm_state, "Mine", owner=rep.pk)
        theirs = await person(unicrm_state, "Theirs", owner=rep.pk)
        own_lead = await open_lead(gql, mine, ownerId=rep.gid)
        other_lead = await open_lead(gql, theirs)  # owned by the admin

        page = (await rep.gql(LEADS))["data"]["leads"]
        assert page["totalCount"] == 1
        assert [e["node"]["customer"]["displayName"] for e in page["edges"]] == ["Mine"]
        one = await rep.gql("query($id: ID!) { lead(id: $id) { id } }", {"id": other_lead["id"]})
        assert one["data"]["lead"] is None
        both = await rep.gql(
            "query($a: ID!, $b: ID!) { a: customer(id: $a) { lead { id } } b: customer(id: $b) { lead { id } } }",
            {"a": mine, "b": theirs},
        )
        assert both["data"] == {"a": {"lead": {"id": own_lead["id"]}}, "b": {"lead": None}}


async def test_merging_moves_leads_and_stage_history_to_the_survivor(gql, unicrm_state):
    source = await person(unicrm_state, "Source")
    target = await person(unicrm_state, "Target")
    lead = await open_lead(gql, source)
    async with unicrm_state.db.transaction() as session:
        await merge_customers(
            session,
            from_global_id(source)[1],
            from_global_id(target)[1],
            manager=unicrm_state.manager,
        )
    customer = (await gql(CUSTOMER, {"id": target}))["data"]["customer"]
    assert customer["lead"]["id"] == lead["id"]
    assert [h["toStage"] for h in customer["lifecycleHistory"]] == ["LEAD"]


async def test_when_both_have_an_open_lead_the_survivors_lead_stays_open(gql, unicrm_state):
    source = await person(unicrm_state, "Source")
    target = await person(unicrm_state, "Target")
    await open_lead(gql, source)
    kept = await open_lead(gql, target)
    async with unicrm_state.db.transaction() as session:
        await merge_customers(
            session,
            from_global_id(source)[1],
            from_global_id(target)[1],
            manager=unicrm_state.manager,
        )
    customer = (await gql(CUSTOMER, {"id": target}))["data"]["customer"]
    assert customer["lead"]["id"] == kept["id"]
    assert await count(unicrm_state, Lead) == 1


async def test_export_holds_leads_and_history_and_erase_removes_them(gql, unicrm_state):
    somchai = await person(unicrm_state, "Somchai")
    lead = await open_lead(gql, somchai, externalSource="web", externalId="F-1")
    pk = from_global_id(somchai)[1]
    async with unicrm_state.db.session() as session:
        exported = await unicrm_state.manager.acall(
            "customer_export", only=["core"], customer_id=pk, session=session
        )
    [part] = exported
    assert [row["external_id"] for row in part["leads"]] == ["F-1"]
    assert [row["to_temperature"] for row in part["lead_temperature_changes"]] == ["cold"]
    assert [row["to_stage"] for row in part["lifecycle_changes"]] == ["lead"]
    assert part["leads"][0]["id"] == str(from_global_id(lead["id"])[1])

    async with unicrm_state.db.transaction() as session:
        await unicrm_state.manager.acall(
            "customer_erase", only=["core"], customer_id=pk, session=session
        )
    assert await count(unicrm_state, Lead) == 0
    assert await count(unicrm_state, LeadTemperatureChange) == 0
    assert await count(unicrm_state, LifecycleChange) == 0
    async with unicrm_state.db.session() as session:
        assert (await session.get(Customer, pk)) is not None


LEAD_PAGE = """query($first: Int!) { customers(first: $first) { edges { node {
  displayName lifecycleStage lifecycleHistory { toStage user { displayName } }
  lead { temperature owner { displayName } temperatureHistory { toTemperature } }
} } } }"""


async def test_lifecycle_and_lead_fields_cost_the_same_statements_for_5_or_30_customers(
    unicrm_state, gql
):
    async with unicrm_state.db.transaction() as session:
        for i in range(30):
            customer = await create_customer(
                session, CustomerData(kind=CustomerKind.PERSON, first_name=f"Person{i:03d}")
            )
            lead = await create_lead(
                session, LeadData(customer_id=customer.id, source=LeadSource.EVENT)
            )
            await update_lead(session, lead.id, temperature=LeadTemperature.HOT)

    async def statements(first: int) -> tuple[int, dict]:
        unicrm_state.departments.invalidate()
        await unicrm_state.departments.get(None)
        with StatementCounter(unicrm_state) as counter:
            body = await gql(LEAD_PAGE, {"first": first})
        return counter.count, body

    small, _ = await statements(5)
    large, body = await statements(30)
    nodes = [e["node"] for e in body["data"]["customers"]["edges"]]
    assert len(nodes) == 30
    assert all(n["lifecycleStage"] == "LEAD" and len(n["lifecycleHistory"]) == 1 for n in nodes)
    assert all(len(n["lead"]["temperatureHistory"]) == 2 for n in nodes)
    assert large == small


async def test_concurrent_lead_creates_for_one_customer_open_one_lead(gql, unicrm_state):
    somchai = await person(unicrm_state, "Somchai")
    results = await asyncio.gather(
        *[gql(CREATE, {"input": {"customerId": somchai, "source": "EVENT"}}) for _ in range(4)]
    )
    outcomes = sorted(
        [e["code"] for e in r["data"]["leadCreate"]["errors"]] or ["OK"] for r in results
    )
    assert outcomes == [["OK"]] + [["OPEN_LEAD_EXISTS"]] * 3
    assert await count(unicrm_state, Lead) == 1
    assert await count(unicrm_state, LifecycleChange) == 1
