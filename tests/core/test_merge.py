from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from unicrm.core.app import create_app
from unicrm.core.authz.store import load_policies
from unicrm.core.db.base import Base
from unicrm.core.events.models import OutboxEvent
from unicrm.core.graph.customers.models import Customer, CustomerAlias
from unicrm.core.graph.ids import from_global_id, to_global_id
from unicrm.core.graph.merge.journal import MergeJournal
from unicrm.core.graph.merge.models import CustomerMerge, CustomerMergeJournalEntry
from unicrm.core.graph.merge.tables import references
from unicrm.core.graph.search.ddl import install_search_ddl
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import PluginManifest
from unicrm.core.state import create_state
from unicrm.core.testing.pytest_plugin import sign_in_as
from unicrm.core.testing.statements import StatementCounter

CREATE = """
mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } errors { code } }
}
"""
MERGE = """
mutation($input: CustomerMergeInput!) {
  customerMerge(input: $input) {
    customer { id displayName }
    mergeId
    errors { field code message }
  }
}
"""
DUPLICATES = """
query($id: ID!) {
  customerDuplicates(customerId: $id) { customer { id displayName } reasons score }
}
"""
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def model(table_name: str) -> type:
    """The mapped class of a table, found through the ORM registry (no module import)."""
    for mapper in Base.registry.mappers:
        if mapper.local_table.name == table_name:
            return mapper.class_
    pytest.skip(f"table {table_name} does not exist in this build")


def gid(pk: uuid.UUID) -> str:
    return to_global_id("Customer", pk)


@pytest_asyncio.fixture(loop_scope="session")
async def state(unicrm_state):
    async with unicrm_state.db.engine.begin() as conn:
        await conn.run_sync(install_search_ddl)
    return unicrm_state


async def create(gql, **fields: Any) -> uuid.UUID:
    fields.setdefault("kind", "PERSON")
    body = await gql(CREATE, {"input": fields})
    return from_global_id(body["data"]["customerCreate"]["customer"]["id"])[1]


async def add(state, *rows: Any) -> None:
    async with state.db.transaction() as session:
        session.add_all(rows)


async def rows_of(state, table_name: str, **where: Any) -> list[Any]:
    table = Base.metadata.tables[table_name]
    stmt = select(table).where(*(table.c[k] == v for k, v in where.items()))
    async with state.db.session() as session:
        return [r._mapping for r in (await session.execute(stmt)).all()]


async def counts(state) -> dict[str, int]:
    """Rows per table, to show that a refused merge wrote nothing (but its audit entry)."""
    async with state.db.session() as session:
        return {
            t.name: await session.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
            if t.name != "audit_entry"
        }


async def merge(gql, source: Any, target: Any) -> dict[str, Any]:
    ids = [gid(x) if isinstance(x, uuid.UUID) else x for x in (source, target)]
    body = await gql(MERGE, {"input": {"sourceId": ids[0], "targetId": ids[1]}})
    assert "errors" not in body, body
    return body["data"]["customerMerge"]


async def journal_of(state, merge_id: str) -> list[CustomerMergeJournalEntry]:
    pk = from_global_id(merge_id)[1]
    async with state.db.session() as session:
        stmt = (
            select(CustomerMergeJournalEntry)
            .where(CustomerMergeJournalEntry.merge_id == pk)
            .order_by(CustomerMergeJournalEntry.seq)
        )
        return list((await session.scalars(stmt)).all())


def consent(customer_id: uuid.UUID, occurred_at: datetime, status: str) -> list[Any]:
    event_row = model("consent_event")(
        id=uuid.uuid4(),
        customer_id=customer_id,
        purpose="marketing",
        channel="email",
        status=status,
        source="staff",
        occurred_at=occurred_at,
        recorded_by="test",
    )
    state_row = model("consent_state")(
        customer_id=customer_id,
        purpose="marketing",
        channel="email",
        status=status,
        occurred_at=occurred_at,
        event_id=event_row.id,
    )
    return [event_row, state_row]


async def test_merge_moves_every_core_row_to_the_target(gql, state):
    source = await create(gql, firstName="Somchai", lastName="Jaidee")
    target = await create(gql, firstName="Somchai", lastName="J.")
    company = await create(gql, kind="COMPANY", companyName="Siam Widgets")
    tag = model("tag")(id=uuid.uuid4(), name="VIP", name_key="vip")
    household = model("household")(id=uuid.uuid4(), name="Jaidee home")
    await add(state, tag, household)
    await add(
        state,
        model("customer_email")(customer_id=source, address="somchai@example.com"),
        model("customer_phone")(customer_id=source, number="+66812345678"),
        model("customer_address")(customer_id=source, line1="99 Sukhumvit"),
        model("customer_identity")(customer_id=source, source="line", external_id="U123"),
        model("customer_order")(
            customer_id=source,
            source="pos",
            external_id="R-1",
            placed_at=T0,
            currency="THB",
            total=Decimal("120.50"),
        ),
        model("customer_tag")(customer_id=source, tag_id=tag.id),
        model("timeline_entry")(
            customer_id=source, kind="core.note", occurred_at=T0, title="Called", source="core"
        ),
        model("company_contact")(person_id=source, company_id=company),
        model("household_member")(customer_id=source, household_id=household.id),
        *consent(source, T0, "granted"),
    )
    payload = await merge(gql, source, target)
    assert payload["errors"] == []
    assert payload["customer"] == {"id": gid(target), "displayName": "Somchai J."}
    moved = {}
    for ref in references("sqlite"):
        if ref.table.name == "customer":
            continue
        moved[ref.table.name, ref.column.name] = (
            len(await rows_of(state, ref.table.name, **{ref.column.name: target})),
            len(await rows_of(state, ref.table.name, **{ref.column.name: source})),
        )
    assert all(n_source == 0 for _, n_source in moved.values())
    assert {k for k, (n_target, _) in moved.items() if n_target == 1} >= {
        ("customer_email", "customer_id"),
        ("customer_phone", "customer_id"),
        ("customer_address", "customer_id"),
        ("customer_identity", "customer_id"),
        ("customer_order", "customer_id"),
        ("customer_tag", "customer_id"),
        ("timeline_entry", "customer_id"),
        ("company_contact", "person_id"),
        ("household_member", "customer_id"),
        ("consent_event", "customer_id"),
        ("consent_state", "customer_id"),
    }
    assert await rows_of(state, "customer", id=source) == []
    journal = await journal_of(state, payload["mergeId"])
    moved_tables = {e.table_name for e in journal if e.action == "MOVED"}
    assert {"customer_email", "customer_order", "customer_tag", "consent_state"} <= moved_tables
    assert [e.data["display_name"] for e in journal if e.table_name == "customer"] == [
        "Somchai Jaidee"
    ]


async def test_merge_records_who_merged_what_and_emits_customer_merged(gql, state):
    source = await create(gql, firstName="Anan")
    target = await create(gql, firstName="Anan B")
    payload = await merge(gql, source, target)
    async with state.db.session() as session:
        record = await session.get(CustomerMerge, from_global_id(payload["mergeId"])[1])
        events = (
            await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "customer.merged"))
        ).all()
    assert (record.source_id, record.target_id, record.undone_at) == (source, target, None)
    assert record.actor
    assert [(e.customer_id, e.payload["source_id"]) for e in events] == [(target, str(source))]


async def test_same_email_on_both_is_dropped_from_the_source_and_journaled(gql, state):
    source = await create(gql, firstName="Source")
    target = await create(gql, firstName="Target")
    email = model("customer_email")
    await add(
        state,
        email(customer_id=source, address="same@example.com", is_verified=True),
        email(customer_id=source, address="only-source@example.com"),
        email(customer_id=target, address="same@example.com"),
    )
    payload = await merge(gql, source, target)
    assert payload["errors"] == []
    addresses = sorted(r["address"] for r in await rows_of(state, "customer_email"))
    assert addresses == ["only-source@example.com", "same@example.com"]
    dropped = [e for e in await journal_of(state, payload["mergeId"]) if e.action == "DROPPED"]
    emails = [e for e in dropped if e.table_name == "customer_email"]
    assert len(emails) == 1
    assert emails[0].data["address"] == "same@example.com"
    assert emails[0].data["customer_id"] == str(source)
    assert emails[0].data["is_verified"] is True


async def test_the_target_keeps_its_primary_email_and_gains_the_source_one(gql, state):
    source = await create(gql, firstName="Source")
    target = await create(gql, firstName="Target")
    email = model("customer_email")
    await add(
        state,
        email(customer_id=source, address="s@example.com", is_primary=True),
        email(customer_id=target, address="t@example.com", is_primary=True),
    )
    payload = await merge(gql, source, target)
    assert payload["errors"] == []
    rows = await rows_of(state, "customer_email", customer_id=target)
    assert sorted((r["address"], r["is_primary"]) for r in rows) == [
        ("s@example.com", False),
        ("t@example.com", True),
    ]
    flags = [
        (e.column_name, e.old_value, e.new_value)
        for e in await journal_of(state, payload["mergeId"])
        if e.table_name == "customer_email"
    ]
    assert ("is_primary", True, False) in flags


async def test_same_tag_on_both_leaves_one(gql, state):
    source = await create(gql, firstName="Source")
    target = await create(gql, firstName="Target")
    vip = model("tag")(id=uuid.uuid4(), name="VIP", name_key="vip")
    new = model("tag")(id=uuid.uuid4(), name="New", name_key="new")
    await add(state, vip, new)
    tagged = model("customer_tag")
    await add(
        state,
        tagged(customer_id=source, tag_id=vip.id),
        tagged(customer_id=source, tag_id=new.id),
        tagged(customer_id=target, tag_id=vip.id),
    )
    assert (await merge(gql, source, target))["errors"] == []
    rows = await rows_of(state, "customer_tag")
    assert sorted((r["customer_id"], r["tag_id"]) for r in rows) == sorted(
        [(target, vip.id), (target, new.id)]
    )


@pytest.mark.parametrize("source_is_newer", [True, False])
async def test_consent_state_keeps_the_newer_of_the_two(gql, state, source_is_newer):
    source = await create(gql, firstName="Source")
    target = await create(gql, firstName="Target")
    later = T0 + timedelta(days=3)
    await add(
        state,
        *consent(source, later if source_is_newer else T0, "withdrawn"),
        *consent(target, T0 if source_is_newer else later, "granted"),
    )
    assert (await merge(gql, source, target))["errors"] == []
    rows = await rows_of(state, "consent_state")
    assert [(r["customer_id"], r["occurred_at"]) for r in rows] == [(target, later)]
    assert rows[0]["status"] == ("withdrawn" if source_is_newer else "granted")
    assert len(await rows_of(state, "consent_event", customer_id=target)) == 2


async def test_old_id_resolves_to_the_survivor_through_customer_and_node(gql, state):
    source = await create(gql, firstName="Old")
    target = await create(gql, firstName="Survivor")
    assert (await merge(gql, source, target))["errors"] == []
    body = await gql(
        "query($id: ID!) { customer(id: $id) { id displayName } "
        "node(id: $id) { id ... on Customer { displayName } } }",
        {"id": gid(source)},
    )
    survivor = {"id": gid(target), "displayName": "Survivor"}
    assert body == {"data": {"customer": survivor, "node": survivor}}


async def test_ids_merged_earlier_follow_a_second_merge(gql, state):
    first = await create(gql, firstName="First")
    second = await create(gql, firstName="Second")
    third = await create(gql, firstName="Third")
    assert (await merge(gql, first, second))["errors"] == []
    assert (await merge(gql, second, third))["errors"] == []
    async with state.db.session() as session:
        aliases = dict(
            (await session.execute(select(CustomerAlias.old_id, CustomerAlias.customer_id))).all()
        )
    assert aliases == {first: third, second: third}
    body = await gql("query($id: ID!) { customer(id: $id) { id } }", {"id": gid(first)})
    assert body["data"]["customer"]["id"] == gid(third)


async def test_merging_an_old_id_into_its_survivor_is_same_customer(gql, state):
    source = await create(gql, firstName="Old")
    target = await create(gql, firstName="Survivor")
    assert (await merge(gql, source, target))["errors"] == []
    before = await counts(state)
    payload = await merge(gql, source, target)
    assert [e["code"] for e in payload["errors"]] == ["SAME_CUSTOMER"]
    assert await counts(state) == before


async def test_merging_a_customer_into_itself_is_refused_and_changes_nothing(gql, state):
    cid = await create(gql, firstName="Somchai")
    await add(state, model("customer_email")(customer_id=cid, address="s@example.com"))
    before = await counts(state)
    payload = await merge(gql, cid, cid)
    assert payload == {
        "customer": None,
        "mergeId": None,
        "errors": [
            {
                "field": "sourceId",
                "code": "SAME_CUSTOMER",
                "message": "a customer cannot be merged into itself",
            }
        ],
    }
    assert await counts(state) == before


async def test_unknown_customer_is_not_found_and_changes_nothing(gql, state):
    cid = await create(gql, firstName="Somchai")
    before = await counts(state)
    payload = await merge(gql, uuid.uuid4(), cid)
    assert payload["customer"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("sourceId", "NOT_FOUND")]
    payload = await merge(gql, cid, uuid.uuid4())
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("targetId", "NOT_FOUND")]
    assert await counts(state) == before


async def test_malformed_and_wrong_type_ids_are_invalid_and_change_nothing(gql, state):
    cid = await create(gql, firstName="Somchai")
    before = await counts(state)
    payload = await merge(gql, "not-an-id", to_global_id("User", cid))
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("sourceId", "INVALID_ID"),
        ("targetId", "INVALID_ID"),
    ]
    assert await counts(state) == before


async def test_a_person_cannot_be_merged_into_a_company(gql, state):
    person = await create(gql, firstName="Somchai")
    company = await create(gql, kind="COMPANY", companyName="Siam Widgets")
    before = await counts(state)
    payload = await merge(gql, person, company)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("targetId", "KIND_MISMATCH")]
    assert await counts(state) == before


async def test_company_merge_moves_subsidiaries_and_breaks_a_parent_loop(gql, state):
    source = await create(gql, kind="COMPANY", companyName="Old Holding")
    target = await create(gql, kind="COMPANY", companyName="New Holding")
    child = await create(gql, kind="COMPANY", companyName="Child")
    async with state.db.transaction() as session:
        (await session.get(Customer, child)).parent_id = source
        (await session.get(Customer, target)).parent_id = source
    payload = await merge(gql, source, target)
    assert payload["errors"] == []
    parents = {r["id"]: r["parent_id"] for r in await rows_of(state, "customer")}
    assert parents == {target: None, child: target}


async def test_search_finds_the_source_contacts_under_the_survivor(gql, state):
    source = await create(gql, firstName="Somchai")
    target = await create(gql, firstName="Sombat")
    await add(state, model("customer_email")(customer_id=source, address="chai@example.com"))
    assert (await merge(gql, source, target))["errors"] == []
    body = await gql('{ customerSearch(query: "chai@") { nodes { id } } }')
    assert body["data"]["customerSearch"]["nodes"] == [{"id": gid(target)}]
    body = await gql('{ customerSearch(query: "somchai") { nodes { id } } }')
    assert body["data"]["customerSearch"]["nodes"] == []


async def test_built_in_plugin_hook_moves_its_rows(gql, state):
    source = await create(gql, firstName="Source")
    target = await create(gql, firstName="Target")
    score = model("ma_lead_score")
    await add(state, score(customer_id=source, value=40), score(customer_id=target, value=10))
    payload = await merge(gql, source, target)
    assert payload["errors"] == []
    rows = await rows_of(state, "ma_lead_score")
    assert [(r["customer_id"], r["value"]) for r in rows] == [(target, 40)]
    journal = await journal_of(state, payload["mergeId"])
    scores = {(e.action, e.column_name) for e in journal if e.table_name == "ma_lead_score"}
    assert scores == {("DROPPED", None), ("MOVED", "customer_id")}


class MergeProbe:
    """A plugin that watches ``customer_merge``: what it was given, and one journal entry."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    @hookimpl
    def plugin_manifest(self):
        return PluginManifest(name="merge_probe", version="0.0.1", title="Merge probe")

    @hookimpl
    async def customer_merge(self, source_id, target_id, session, journal) -> None:
        still_there = await session.get(Customer, source_id)
        self.calls.append(
            {"source": source_id, "target": target_id, "source_exists": still_there is not None}
        )
        journal.record("merge_probe_thing", 7, "owner", source_id, target_id)


async def test_plugin_hook_gets_both_ids_the_session_and_the_journal(
    state, unicrm_plugins, unicrm_session_state
):
    probe = MergeProbe()
    plugins = {**unicrm_plugins, "merge_probe": probe}
    probed = create_state(
        state.settings,
        plugins=plugins,
        schema_factory=unicrm_session_state.schema_factory,
        db=state.db,
    )
    token = await sign_in_as(state, "merge-admin@unicrm.test", "admin")
    await load_policies(probed)
    transport = httpx.ASGITransport(app=create_app(state=probed))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://unicrm.test", headers=headers
    ) as http:

        async def gql(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            return (
                await http.post("/graphql", json={"query": query, "variables": variables})
            ).json()

        source = await create(gql, firstName="Source")
        target = await create(gql, firstName="Target")
        payload = await merge(gql, source, target)
    assert payload["errors"] == []
    assert probe.calls == [{"source": source, "target": target, "source_exists": True}]
    entries = [
        e
        for e in await journal_of(state, payload["mergeId"])
        if e.table_name == "merge_probe_thing"
    ]
    assert [(e.row_pk, e.column_name, e.old_value, e.new_value) for e in entries] == [
        (7, "owner", str(source), str(target))
    ]


def test_journal_records_whole_rows_given_as_star_as_dropped_or_added():
    journal = MergeJournal(uuid.uuid4())
    journal.record("t", 1, "*", {"a": T0}, None)
    journal.record("t", 2, "*", None, {"b": uuid.UUID(int=1)})
    journal.record("t", 3, "c", Decimal("1.50"), None)
    assert [(e["action"], e["data"], e["old_value"]) for e in journal.pending] == [
        ("DROPPED", {"a": T0.isoformat()}, None),
        ("ADDED", {"b": str(uuid.UUID(int=1))}, None),
        ("MOVED", None, "1.50"),
    ]
    assert [e["seq"] for e in journal.pending] == [0, 1, 2]


async def test_duplicates_list_customers_sharing_email_phone_with_reasons_and_scores(gql, state):
    me = await create(gql, firstName="Me")
    both = await create(gql, firstName="Both")
    by_phone = await create(gql, firstName="Phone")
    await create(gql, firstName="Stranger")
    email, phone = model("customer_email"), model("customer_phone")
    await add(
        state,
        email(customer_id=me, address="me@example.com"),
        phone(customer_id=me, number="+66812345678"),
        email(customer_id=both, address="me@example.com"),
        phone(customer_id=both, number="+66812345678"),
        phone(customer_id=by_phone, number="+66812345678"),
    )
    body = await gql(DUPLICATES, {"id": gid(me)})
    found = body["data"]["customerDuplicates"]
    assert [(c["customer"]["displayName"], c["reasons"]) for c in found] == [
        ("Both", ["SAME_EMAIL", "SAME_PHONE"]),
        ("Phone", ["SAME_PHONE"]),
    ]
    assert 1 > found[0]["score"] > found[1]["score"] > 0


async def test_duplicates_take_as_many_statements_for_five_candidates_as_for_one(gql, state):
    me = await create(gql, firstName="Me")
    email = model("customer_email")
    await add(state, email(customer_id=me, address="me@example.com"))

    async def statements_for(candidates: int) -> int:
        others = [await create(gql, firstName=f"Other {i}") for i in range(candidates)]
        await add(state, *(email(customer_id=o, address="me@example.com") for o in others))
        with StatementCounter(state) as counter:
            body = await gql(DUPLICATES, {"id": gid(me)})
        assert len(body["data"]["customerDuplicates"]) >= candidates
        return counter.count

    assert await statements_for(1) == await statements_for(4)


async def test_duplicates_of_a_merged_away_id_are_those_of_its_survivor(gql, state):
    old = await create(gql, firstName="Old")
    survivor = await create(gql, firstName="Survivor")
    twin = await create(gql, firstName="Twin")
    email = model("customer_email")
    await add(
        state,
        email(customer_id=survivor, address="s@example.com"),
        email(customer_id=twin, address="s@example.com"),
    )
    assert (await merge(gql, old, survivor))["errors"] == []
    body = await gql(DUPLICATES, {"id": gid(old)})
    assert [c["customer"]["id"] for c in body["data"]["customerDuplicates"]] == [gid(twin)]


async def test_duplicates_with_a_malformed_id_is_a_bad_request(gql, state):
    body = await gql(DUPLICATES, {"id": "nope"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
