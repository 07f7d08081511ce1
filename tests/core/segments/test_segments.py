"""Saved segments: membership, refresh with enter/exit events, static lists, CSV, tag rules."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.contacts.services import add_email, add_phone
from unicrm.core.graph.identities.services import link_identity
from unicrm.core.graph.ids import from_global_id
from unicrm.core.graph.tags.models import CustomerTag, Tag
from unicrm.core.graph.tags.services import TagRef, add_tag
from unicrm.core.segments.models import Segment, SegmentMember, SegmentTagRule
from unicrm.core.testing.pytest_plugin import client_for, sign_in_as

from .helpers import cond, create, gid, members_of, order, person, product, segment_count

UPDATE = """
mutation($input: SegmentUpdateInput!) {
  segmentUpdate(input: $input) { segment { memberCount definition } errors { field code } }
}
"""
REFRESH = """
mutation($id: ID!) {
  segmentRefresh(input: {id: $id}) { segment { memberCount refreshedAt } entered exited
                                      errors { field code } }
}
"""
DELETE = """
mutation($id: ID!) { segmentDelete(input: {id: $id}) { deletedId errors { field code } } }
"""
ADD = """
mutation($input: SegmentMembersInput!) {
  segmentMembersAdd(input: $input) { segment { memberCount } changed errors { field code } }
}
"""
REMOVE = """
mutation($input: SegmentMembersInput!) {
  segmentMembersRemove(input: $input) { segment { memberCount } changed errors { field code } }
}
"""
CSV = """
mutation($input: SegmentMembersImportCsvInput!) {
  segmentMembersImportCsv(input: $input) {
    segment { memberCount } matched changed
    unmatched { line value problem message }
    errors { field code message }
  }
}
"""
RULE = """
mutation($input: SegmentTagRuleCreateInput!) {
  segmentTagRuleCreate(input: $input) {
    rule { id addOnEnter removeOnExit tag { name } segment { name } } errors { field code }
  }
}
"""
RULE_DELETE = """
mutation($id: ID!) { segmentTagRuleDelete(input: {id: $id}) { deletedId errors { field code } } }
"""
BIG_SPENDERS = cond("orders.total_spend", "GTE", "1000")


def pk(global_id: str) -> uuid.UUID:
    return from_global_id(global_id)[1]


async def events(state, event_type: str) -> list[tuple[uuid.UUID, str]]:
    async with state.db.session() as session:
        rows = await session.execute(
            select(OutboxEvent.customer_id, OutboxEvent.payload)
            .where(OutboxEvent.type == event_type)
            .order_by(OutboxEvent.id)
        )
        return [(customer, payload["segment_name"]) for customer, payload in rows]


async def table_count(state, model) -> int:
    async with state.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def buy(state, customer, amount: str) -> None:
    item = await product(state, f"SKU{uuid.uuid4().hex[:8]}", price=amount)
    await order(state, customer, item)


async def test_a_dynamic_segment_starts_with_its_members_and_announces_them(unicrm_state, gql):
    anong, boon = await person(unicrm_state, "Anong"), await person(unicrm_state, "Boon")
    await buy(unicrm_state, anong, "1500")
    payload = await create(gql, name="Big spenders", definition=BIG_SPENDERS)
    assert payload["errors"] == []
    segment = payload["segment"]
    assert segment["kind"] == "DYNAMIC" and segment["memberCount"] == 1
    assert segment["definition"] == {"field": "orders.total_spend", "op": "GTE", "value": "1000"}
    assert segment["refreshedAt"] is not None
    assert segment["members"]["totalCount"] == 1
    assert [m["displayName"] for m in segment["members"]["nodes"]] == ["Anong"]
    assert await events(unicrm_state, "segment.entered") == [(anong, "Big spenders")]
    assert boon not in await members_of(unicrm_state, pk(segment["id"]))


async def test_refresh_inserts_newcomers_removes_leavers_and_emits_events(unicrm_state, gql):
    anong, boon = await person(unicrm_state, "Anong"), await person(unicrm_state, "Boon")
    await buy(unicrm_state, anong, "1500")
    segment_id = (await create(gql, name="Spenders", definition=BIG_SPENDERS))["segment"]["id"]
    await buy(unicrm_state, boon, "2000")  # Boon now qualifies (the event re-checks him too)
    body = await gql(
        UPDATE,
        {"input": {"id": segment_id, "definition": cond("orders.total_spend", "GTE", "1800")}},
    )
    assert body["data"]["segmentUpdate"]["segment"]["memberCount"] == 1
    assert await members_of(unicrm_state, pk(segment_id)) == {boon}
    assert await events(unicrm_state, "segment.exited") == [(anong, "Spenders")]
    assert (boon, "Spenders") in await events(unicrm_state, "segment.entered")

    again = (await gql(REFRESH, {"id": segment_id}))["data"]["segmentRefresh"]
    assert (again["entered"], again["exited"], again["errors"]) == (0, 0, [])


async def test_refresh_of_a_large_segment_pages_through_every_member(unicrm_state, gql):
    """More members than one page (services.PAGE) enter and leave, each with one event."""
    from unicrm.core.segments import services

    async with unicrm_state.db.transaction() as session:
        from unicrm.core.graph.customers.models import CustomerKind
        from unicrm.core.graph.customers.services import CustomerData, create_customer

        for i in range(services.PAGE + 20):
            await create_customer(
                session, CustomerData(kind=CustomerKind.PERSON, first_name=f"P{i:04d}")
            )
    segment_id = (
        await create(
            gql, name="Everyone P", definition=cond("customer.display_name", "STARTS_WITH", "P")
        )
    )["segment"]["id"]
    assert len(await members_of(unicrm_state, pk(segment_id))) == services.PAGE + 20
    assert len(await events(unicrm_state, "segment.entered")) == services.PAGE + 20
    await gql(
        UPDATE,
        {"input": {"id": segment_id, "definition": cond("customer.display_name", "EQ", "P0001")}},
    )
    assert len(await members_of(unicrm_state, pk(segment_id))) == 1
    assert len(await events(unicrm_state, "segment.exited")) == services.PAGE + 19


async def test_delete_removes_the_segment_and_its_memberships(unicrm_state, gql):
    anong = await person(unicrm_state, "Anong")
    await buy(unicrm_state, anong, "1500")
    segment_id = (await create(gql, name="Spenders", definition=BIG_SPENDERS))["segment"]["id"]
    body = await gql(DELETE, {"id": segment_id})
    assert body["data"]["segmentDelete"] == {"deletedId": segment_id, "errors": []}
    assert await segment_count(unicrm_state) == 0
    assert await table_count(unicrm_state, SegmentMember) == 0
    missing = await gql(DELETE, {"id": segment_id})
    assert missing["data"]["segmentDelete"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]


async def test_bad_segment_input_writes_nothing(unicrm_state, gql):
    assert (await create(gql, name="  ", definition=BIG_SPENDERS))["errors"][0]["code"] == (
        "REQUIRED"
    )
    no_tree = await create(gql, name="Dynamic without a tree")
    assert [(e["field"], e["code"]) for e in no_tree["errors"]] == [("definition", "REQUIRED")]
    static = await create(gql, name="Static", kind="STATIC", definition=BIG_SPENDERS)
    assert [(e["field"], e["code"]) for e in static["errors"]] == [("definition", "INVALID")]
    slow = await create(gql, name="Slow", definition=BIG_SPENDERS, refreshMinutes=1)
    assert [(e["field"], e["code"]) for e in slow["errors"]] == [("refreshMinutes", "INVALID")]
    assert await segment_count(unicrm_state) == 0

    segment_id = (await create(gql, name="Spenders", definition=BIG_SPENDERS))["segment"]["id"]
    bad = await gql(
        UPDATE,
        {"input": {"id": segment_id, "name": "New", "definition": cond("orders.count", "GT", "x")}},
    )
    assert bad["data"]["segmentUpdate"]["errors"] == [
        {"field": "definition.value", "code": "INVALID_VALUE"}
    ]
    async with unicrm_state.db.session() as session:
        row = await session.get(Segment, pk(segment_id))
        assert row.name == "Spenders" and row.definition == BIG_SPENDERS
    wrong = await gql(REFRESH, {"id": gid(uuid.uuid4())})
    assert wrong["data"]["segmentRefresh"]["errors"] == [{"field": "id", "code": "INVALID_ID"}]


async def test_static_list_add_and_remove_by_id(unicrm_state, gql):
    anong, boon = await person(unicrm_state, "Anong"), await person(unicrm_state, "Boon")
    segment_id = (await create(gql, name="VIP list", kind="STATIC"))["segment"]["id"]
    ids = [gid(anong), gid(boon), gid(anong)]
    added = (await gql(ADD, {"input": {"segmentId": segment_id, "customerIds": ids}}))["data"]
    assert added["segmentMembersAdd"] == {"segment": {"memberCount": 2}, "changed": 2, "errors": []}
    again = await gql(ADD, {"input": {"segmentId": segment_id, "customerIds": [gid(anong)]}})
    assert again["data"]["segmentMembersAdd"]["changed"] == 0
    removed = await gql(REMOVE, {"input": {"segmentId": segment_id, "customerIds": [gid(boon)]}})
    assert removed["data"]["segmentMembersRemove"]["changed"] == 1
    assert await members_of(unicrm_state, pk(segment_id)) == {anong}
    assert await events(unicrm_state, "segment.exited") == [(boon, "VIP list")]

    # a refresh keeps a static list as it is
    assert (await gql(REFRESH, {"id": segment_id}))["data"]["segmentRefresh"]["segment"][
        "memberCount"
    ] == 1


async def test_static_member_changes_refuse_bad_input_and_write_nothing(unicrm_state, gql):
    anong = await person(unicrm_state, "Anong")
    static_id = (await create(gql, name="List", kind="STATIC"))["segment"]["id"]
    dynamic_id = (await create(gql, name="Dyn", definition=BIG_SPENDERS))["segment"]["id"]
    unknown = gid(uuid.uuid4())
    body = await gql(
        ADD, {"input": {"segmentId": static_id, "customerIds": [gid(anong), unknown, "x"]}}
    )
    assert body["data"]["segmentMembersAdd"]["errors"] == [
        {"field": "customerIds.2", "code": "INVALID_ID"}
    ]
    body = await gql(ADD, {"input": {"segmentId": static_id, "customerIds": [gid(anong), unknown]}})
    assert body["data"]["segmentMembersAdd"]["errors"] == [
        {"field": "customerIds.1", "code": "NOT_FOUND"}
    ]
    body = await gql(ADD, {"input": {"segmentId": dynamic_id, "customerIds": [gid(anong)]}})
    assert body["data"]["segmentMembersAdd"]["errors"] == [
        {"field": "segmentId", "code": "NOT_STATIC"}
    ]
    assert await table_count(unicrm_state, SegmentMember) == 0


async def test_csv_import_matches_id_email_phone_and_identity_and_reports_the_rest(
    unicrm_state, gql
):
    anong, boon = await person(unicrm_state, "Anong"), await person(unicrm_state, "Boon")
    chai, dao = await person(unicrm_state, "Chai"), await person(unicrm_state, "Dao")
    async with unicrm_state.db.transaction() as session:
        await add_email(session, boon, "boon@example.co.th", is_primary=True)
        await add_phone(session, chai, "081-234-5678")
        await link_identity(session, dao, "line", "U123")
    segment_id = (await create(gql, name="Imported", kind="STATIC"))["segment"]["id"]
    text = "\n".join(
        [
            "id,email,phone,source,external_id",
            f"{gid(anong)},,,,",
            ",BOON@example.co.th,,,",
            ",,0812345678,,",
            ",,,line,U123",
            ",nobody@example.com,,,",
            ",not an email,,,",
            ",,,,",
            f"{anong},,,,",
        ]
    )
    body = await gql(CSV, {"input": {"segmentId": segment_id, "csv": text}})
    result = body["data"]["segmentMembersImportCsv"]
    assert result["errors"] == []
    assert (result["matched"], result["changed"]) == (5, 4)
    assert result["segment"]["memberCount"] == 4
    assert [(u["line"], u["problem"]) for u in result["unmatched"]] == [
        (6, "NOT_FOUND"),
        (7, "INVALID"),
        (8, "EMPTY"),
    ]
    assert result["unmatched"][0]["value"] == "nobody@example.com"
    assert await members_of(unicrm_state, pk(segment_id)) == {anong, boon, chai, dao}

    removal = await gql(
        CSV,
        {"input": {"segmentId": segment_id, "csv": "email\nboon@example.co.th", "remove": True}},
    )
    assert removal["data"]["segmentMembersImportCsv"]["changed"] == 1
    assert await members_of(unicrm_state, pk(segment_id)) == {anong, chai, dao}


async def test_csv_without_a_key_column_is_refused_and_changes_nothing(unicrm_state, gql):
    segment_id = (await create(gql, name="Imported", kind="STATIC"))["segment"]["id"]
    for text in ("", "name,city\nAnong,Bangkok"):
        body = await gql(CSV, {"input": {"segmentId": segment_id, "csv": text}})
        result = body["data"]["segmentMembersImportCsv"]
        assert [(e["field"], e["code"]) for e in result["errors"]] == [("csv", "INVALID_CSV")]
    assert await table_count(unicrm_state, SegmentMember) == 0


async def test_tag_rules_tag_on_enter_and_untag_on_exit(unicrm_state, gql):
    anong, boon = await person(unicrm_state, "Anong"), await person(unicrm_state, "Boon")
    await buy(unicrm_state, anong, "1500")
    segment_id = (await create(gql, name="Spenders", definition=BIG_SPENDERS))["segment"]["id"]
    rule = await gql(RULE, {"input": {"segmentId": segment_id, "tagName": "Big spender"}})
    created = rule["data"]["segmentTagRuleCreate"]
    assert created["errors"] == []
    assert created["rule"]["tag"] == {"name": "Big spender"}
    await buy(unicrm_state, boon, "3000")  # the order.placed event re-checks Boon: he enters
    await gql(REFRESH, {"id": segment_id})  # Anong entered before the rule existed: unchanged
    await gql(
        UPDATE,
        {"input": {"id": segment_id, "definition": cond("orders.total_spend", "GTE", "2500")}},
    )
    async with unicrm_state.db.session() as session:
        tagged = set(
            await session.scalars(
                select(CustomerTag.customer_id)
                .join(Tag, Tag.id == CustomerTag.tag_id)
                .where(Tag.name == "Big spender")
            )
        )
    assert tagged == {boon}
    assert (anong, "Spenders") in await events(unicrm_state, "segment.exited")

    body = await gql(RULE_DELETE, {"id": created["rule"]["id"]})
    assert body["data"]["segmentTagRuleDelete"]["errors"] == []
    assert await table_count(unicrm_state, SegmentTagRule) == 0


async def test_bad_tag_rules_are_refused_and_write_nothing(unicrm_state, gql):
    tree = cond("customer.tags", "HAS_NONE", ["Welcome"])
    segment_id = (await create(gql, name="Unwelcomed", definition=tree))["segment"]["id"]
    cases = [
        ({"segmentId": segment_id}, [("tagId", "REQUIRED")]),
        ({"segmentId": segment_id, "tagName": "welcome"}, [("tagId", "INVALID")]),
        ({"segmentId": segment_id, "tagId": gid(uuid.uuid4(), "Tag")}, [("tagId", "NOT_FOUND")]),
        (
            {"segmentId": segment_id, "tagName": "X", "addOnEnter": False, "removeOnExit": False},
            [(None, "INVALID")],
        ),
    ]
    for rule_input, expected in cases:
        body = await gql(RULE, {"input": rule_input})
        errors = body["data"]["segmentTagRuleCreate"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == expected
    await gql(RULE, {"input": {"segmentId": segment_id, "tagName": "Other"}})
    dup = await gql(RULE, {"input": {"segmentId": segment_id, "tagName": "other"}})
    assert dup["data"]["segmentTagRuleCreate"]["errors"] == [
        {"field": "tagId", "code": "DUPLICATE"}
    ]
    assert await table_count(unicrm_state, SegmentTagRule) == 1


async def test_customer_segments_and_segments_connection(unicrm_state, gql):
    anong = await person(unicrm_state, "Anong")
    await buy(unicrm_state, anong, "1500")
    await create(gql, name="B spenders", definition=BIG_SPENDERS)
    await create(gql, name="A people", definition=cond("customer.kind", "EQ", "person"))
    await create(gql, name="C companies", definition=cond("customer.kind", "EQ", "company"))
    body = await gql(
        """query($id: ID!) { customer(id: $id) { segments { name memberCount } }
           segments(first: 2) { totalCount edges { node { name } } pageInfo { hasNextPage } } }""",
        {"id": gid(anong)},
    )
    data = body["data"]
    assert [s["name"] for s in data["customer"]["segments"]] == ["A people", "B spenders"]
    assert data["segments"]["totalCount"] == 3
    assert [e["node"]["name"] for e in data["segments"]["edges"]] == ["A people", "B spenders"]
    assert data["segments"]["pageInfo"]["hasNextPage"] is True


async def test_members_and_previews_respect_the_callers_row_scope(unicrm_state, gql):
    """A field sales rep sees only their own customers among members and in previews."""
    token = await sign_in_as(unicrm_state, "rep@unicrm.test", "field_sales")
    async with unicrm_state.db.session() as session:
        from unicrm.core.graph.users.models import User

        rep = await session.scalar(select(User.id).where(User.email == "rep@unicrm.test"))
    mine, other = (
        await person(unicrm_state, "Mine", owner_id=rep),
        await person(unicrm_state, "Other"),
    )
    segment_id = (
        await create(gql, name="People", definition=cond("customer.kind", "EQ", "person"))
    )["segment"]["id"]
    assert await members_of(unicrm_state, pk(segment_id)) == {mine, other}
    async with client_for(unicrm_state, token) as http:
        body = (
            await http.post(
                "/graphql",
                json={
                    "query": """query($d: SegmentFilterInput!) {
                        segmentPreview(definition: $d) { count sample { displayName } } }""",
                    "variables": {"d": cond("customer.kind", "EQ", "person")},
                },
            )
        ).json()
    # field sales hold no core.segment permission: the preview is refused outright
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    token = await sign_in_as(unicrm_state, "mkt@unicrm.test", "marketer", department="*")
    async with client_for(unicrm_state, token) as http:
        body = (
            await http.post(
                "/graphql",
                json={
                    "query": """query($id: ID!) { segment(id: $id) {
                        members(first: 10) { totalCount nodes { displayName } } } }""",
                    "variables": {"id": segment_id},
                },
            )
        ).json()
    assert body["data"]["segment"]["members"]["totalCount"] == 2


async def test_tagging_a_customer_re_checks_them_against_dynamic_segments(unicrm_state, gql):
    anong = await person(unicrm_state, "Anong")
    segment_id = (
        await create(gql, name="VIPs", definition=cond("customer.tags", "HAS_ANY", ["vip"]))
    )["segment"]["id"]
    assert await members_of(unicrm_state, pk(segment_id)) == set()
    await gql(
        """mutation($id: ID!) { customerTagAdd(input: {customerId: $id, name: "VIP"}) {
           errors { code } } }""",
        {"id": gid(anong)},
    )
    assert await members_of(unicrm_state, pk(segment_id)) == {anong}
    await gql(
        """mutation($id: ID!) { customerTagRemove(input: {customerId: $id, name: "VIP"}) {
           errors { code } } }""",
        {"id": gid(anong)},
    )
    assert await members_of(unicrm_state, pk(segment_id)) == set()
    assert await events(unicrm_state, "segment.exited") == [(anong, "VIPs")]
    async with unicrm_state.db.session() as session:
        assert (await session.get(Segment, pk(segment_id))).member_count == 0


async def test_a_repeated_event_changes_nothing_twice(unicrm_state, gql):
    from unicrm.core.segments.services import reevaluate_customer

    anong = await person(unicrm_state, "Anong")
    async with unicrm_state.db.transaction() as session:
        await add_tag(session, anong, TagRef(name="vip"))
    await create(gql, name="VIPs", definition=cond("customer.tags", "HAS_ANY", ["vip"]))
    async with unicrm_state.db.transaction() as session:
        assert await reevaluate_customer(session, anong) == (0, 0)
    assert len(await events(unicrm_state, "segment.entered")) == 1
