"""Deal assignment: by hand with history and notification, inside → field hand-off with a
note, and rules (account owner, territory, round-robin in a team)."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from plugins.sfa_support import add_team, gid
from plugins.support import add_customers, add_rows
from unicrm.core.graph.contacts.models import CustomerAddress
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.notifications.models import Notification, NotificationKind
from unicrm.core.graph.teams.models import Team
from unicrm.core.graph.timeline.models import TimelineEntry
from unicrm.core.graph.users.models import User
from unicrm.plugins.sfa.models import DealAssignment
from unicrm.plugins.sfa.services import deals as deal_services

HISTORY = """assignmentHistory { kind note assignedBy fromOwner { email } toOwner { email } }"""
ASSIGN = f"""mutation($input: DealAssignInput!) {{ dealAssign(input: $input) {{
  deal {{ version owner {{ email }} {HISTORY} }} errors {{ field code }} }} }}"""
HAND_OFF = f"""mutation($input: DealHandOffInput!) {{ dealHandOff(input: $input) {{
  deal {{ owner {{ email }} {HISTORY} }} errors {{ field code }} }} }}"""
AUTO = """mutation($id: ID!) { dealAutoAssign(input: {id: $id}) {
  deal { owner { email } assignmentHistory { kind } } errors { field code } } }"""
RULE = """mutation($input: AssignmentRuleCreateInput!) { assignmentRuleCreate(input: $input) {
  rule { name kind position team { name } } errors { field code } } }"""


async def add_user(state, email: str) -> uuid.UUID:
    async with state.db.transaction() as session:
        user = User(email=email, display_name=email.split("@")[0])
        session.add(user)
    return user.id


async def new_deal(state, customer_id: uuid.UUID, title: str = "Fleet renewal") -> uuid.UUID:
    async with state.db.transaction() as session:
        deal = await deal_services.create_deal(
            session, deal_services.DealData(customer_id=customer_id, title=title)
        )
    return deal.id


async def notifications(state, kind: NotificationKind) -> list[tuple[uuid.UUID, str]]:
    async with state.db.session() as session:
        rows = await session.execute(
            select(Notification.user_id, Notification.title)
            .where(Notification.kind == kind)
            .order_by(Notification.created_at)
        )
    return [tuple(r) for r in rows]


async def test_reassigning_a_deal_keeps_history_and_notifies_the_new_owner(gql, unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    malee = await add_user(unicrm_state, "malee@unicrm.test")
    deal = gid("Deal", await new_deal(unicrm_state, somchai))

    body = await gql(ASSIGN, {"input": {"id": deal, "ownerId": gid("User", malee)}})

    payload = body["data"]["dealAssign"]
    assert payload["errors"] == []
    assert payload["deal"]["owner"] == {"email": "malee@unicrm.test"}
    assert payload["deal"]["assignmentHistory"] == [
        {
            "kind": "MANUAL",
            "note": None,
            "assignedBy": "admin",
            "fromOwner": None,
            "toOwner": {"email": "malee@unicrm.test"},
        }
    ]
    assert await notifications(unicrm_state, NotificationKind.ASSIGNMENT) == [
        (malee, "New deal for you: Fleet renewal")
    ]
    cases = [
        ({"ownerId": gid("User", uuid.UUID(int=4))}, [("ownerId", "NOT_FOUND")]),
        ({"ownerId": gid("User", malee), "expectedVersion": 1}, [("expectedVersion", "CONFLICT")]),
        ({"ownerId": "x"}, [("ownerId", "INVALID_ID")]),
    ]
    for extra, expected in cases:
        errors = (await gql(ASSIGN, {"input": {"id": deal, **extra}}))["data"]["dealAssign"][
            "errors"
        ]
        assert [(e["field"], e["code"]) for e in errors] == expected, extra
    async with unicrm_state.db.session() as session:
        assert len((await session.scalars(select(DealAssignment))).all()) == 1


async def test_an_inside_rep_hands_a_deal_to_a_field_rep_with_a_note(gql, unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    field = await add_user(unicrm_state, "field@unicrm.test")
    deal = gid("Deal", await new_deal(unicrm_state, somchai))

    refused = await gql(
        HAND_OFF, {"input": {"id": deal, "ownerId": gid("User", field), "note": " "}}
    )
    assert [(e["field"], e["code"]) for e in refused["data"]["dealHandOff"]["errors"]] == [
        ("note", "REQUIRED")
    ]
    note = "Budget approved; decision maker is the CFO. Visit before Friday."
    body = await gql(HAND_OFF, {"input": {"id": deal, "ownerId": gid("User", field), "note": note}})

    handed = body["data"]["dealHandOff"]
    assert handed["errors"] == []
    assert handed["deal"]["owner"] == {"email": "field@unicrm.test"}
    assert handed["deal"]["assignmentHistory"][-1]["kind"] == "HANDOFF"
    assert handed["deal"]["assignmentHistory"][-1]["note"] == note
    assert await notifications(unicrm_state, NotificationKind.HANDOFF) == [
        (field, "Deal handed off to you: Fleet renewal")
    ]
    async with unicrm_state.db.session() as session:
        entry = await session.scalar(
            select(TimelineEntry).where(TimelineEntry.kind == "sfa.deal_handed_off")
        )
    assert entry is not None and entry.summary == note
    again = await gql(HAND_OFF, {"input": {"id": deal, "ownerId": gid("User", field), "note": "x"}})
    assert [e["code"] for e in again["data"]["dealHandOff"]["errors"]] == ["SAME_OWNER"]


async def test_rules_assign_by_account_owner_then_territory_round_robin(gql, unicrm_state):
    somchai, malee, niran = await add_customers(unicrm_state, "Somchai", "Malee", "Niran")
    owner = await add_user(unicrm_state, "owner@unicrm.test")
    first = await add_user(unicrm_state, "a@unicrm.test")
    second = await add_user(unicrm_state, "b@unicrm.test")
    bangkok = await add_team(unicrm_state, "Bangkok field sales", first, second)
    async with unicrm_state.db.transaction() as session:
        await session.execute(update(Team).values(territories=["TH-10"]))
        await session.execute(update(Customer).where(Customer.id == somchai).values(owner_id=owner))
    await add_rows(
        unicrm_state,
        *(
            CustomerAddress(customer_id=c, line1="1 Silom Rd", province="Bangkok", is_primary=True)
            for c in (malee, niran)
        ),
    )
    assert (await gql(RULE, {"input": {"name": "Account owner", "kind": "ACCOUNT_OWNER"}}))["data"][
        "assignmentRuleCreate"
    ]["errors"] == []
    territory = await gql(RULE, {"input": {"name": "Territory", "kind": "TERRITORY"}})
    assert territory["data"]["assignmentRuleCreate"]["rule"]["position"] == 2

    owners = []
    for customer in (somchai, malee, niran, malee):
        deal = gid("Deal", await new_deal(unicrm_state, customer))
        body = await gql(AUTO, {"id": deal})
        assert body["data"]["dealAutoAssign"]["errors"] == [], body
        owners.append(body["data"]["dealAutoAssign"]["deal"]["owner"]["email"])

    first_turn, second_turn = sorted([first, second])
    emails = {first: "a@unicrm.test", second: "b@unicrm.test"}
    assert owners == [
        "owner@unicrm.test",
        emails[first_turn],
        emails[second_turn],
        emails[first_turn],
    ]
    [stranger] = await add_customers(unicrm_state, "Stranger")
    nobody = await gql(AUTO, {"id": gid("Deal", await new_deal(unicrm_state, stranger))})
    assert [e["code"] for e in nobody["data"]["dealAutoAssign"]["errors"]] == ["NO_RULE_MATCHED"]
    assert bangkok is not None


async def test_round_robin_rules_take_turns_in_their_team(gql, unicrm_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    users = [await add_user(unicrm_state, f"rep{i}@unicrm.test") for i in range(3)]
    team = await add_team(unicrm_state, "Inside sales", *users)
    created = await gql(
        RULE, {"input": {"name": "Inside", "kind": "ROUND_ROBIN", "teamId": gid("Team", team)}}
    )
    assert created["data"]["assignmentRuleCreate"]["rule"]["team"] == {"name": "Inside sales"}

    chosen = []
    for _ in range(4):
        body = await gql(AUTO, {"id": gid("Deal", await new_deal(unicrm_state, somchai))})
        chosen.append(body["data"]["dealAutoAssign"]["deal"]["owner"]["email"])

    order = [f"rep{users.index(u)}@unicrm.test" for u in sorted(users)]
    assert chosen == [*order, order[0]]


async def test_assignment_rule_create_refuses_bad_input(gql, unicrm_state):
    team = await add_team(unicrm_state, "North")
    await gql(RULE, {"input": {"name": "Owner", "kind": "ACCOUNT_OWNER"}})
    cases = [
        ({"name": "RR", "kind": "ROUND_ROBIN"}, [("teamId", "REQUIRED")]),
        (
            {"name": "T", "kind": "TERRITORY", "teamId": gid("Team", team)},
            [("teamId", "INVALID")],
        ),
        ({"name": "Owner", "kind": "ACCOUNT_OWNER"}, [("name", "DUPLICATE")]),
        (
            {"name": "X", "kind": "ROUND_ROBIN", "teamId": gid("Team", uuid.UUID(int=1))},
            [("teamId", "NOT_FOUND")],
        ),
        ({"name": "", "kind": "ACCOUNT_OWNER"}, [("name", "REQUIRED")]),
    ]
    for data, expected in cases:
        errors = (await gql(RULE, {"input": data}))["data"]["assignmentRuleCreate"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == expected, data
    listed = await gql("{ assignmentRules { name } }")
    assert listed["data"]["assignmentRules"] == [{"name": "Owner"}]
