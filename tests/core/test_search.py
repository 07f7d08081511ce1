from __future__ import annotations

import uuid
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select, text, update

from unicrm.core.db.base import Base
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.ids import from_global_id, to_global_id
from unicrm.core.graph.search import services as search_services
from unicrm.core.graph.search.ddl import FTS_TABLE, drop_search_ddl, install_search_ddl
from unicrm.core.graph.search.documents import document_of, query_terms
from unicrm.core.graph.search.indexing import mark_stale
from unicrm.core.graph.search.models import CustomerSearch
from unicrm.core.testing.statements import StatementCounter

CREATE = """
mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } errors { code } }
}
"""

SEARCH = """
query($q: String!, $first: Int, $after: String) {
  customerSearch(query: $q, first: $first, after: $after) {
    edges { cursor node { id displayName } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""


def model(table_name: str) -> type:
    """The mapped class of a core table, found through the ORM registry (no module import)."""
    for mapper in Base.registry.mappers:
        if mapper.local_table.name == table_name:
            return mapper.class_
    pytest.skip(f"table {table_name} does not exist in this build")


@pytest_asyncio.fixture(loop_scope="session")
async def state(unicrm_state):
    async with unicrm_state.db.engine.begin() as conn:
        await conn.run_sync(install_search_ddl)
    return unicrm_state


async def person(gql, first: str, last: str | None = None) -> uuid.UUID:
    body = await gql(CREATE, {"input": {"kind": "PERSON", "firstName": first, "lastName": last}})
    return from_global_id(body["data"]["customerCreate"]["customer"]["id"])[1]


async def add_row(state, table_name: str, **values: Any) -> Any:
    row = model(table_name)(**values)
    async with state.db.transaction() as session:
        session.add(row)
    return row


async def names_found(gql, query: str) -> list[str]:
    body = await gql(SEARCH, {"q": query, "first": 50})
    assert "errors" not in body, body
    return [e["node"]["displayName"] for e in body["data"]["customerSearch"]["edges"]]


async def documents(state) -> dict[uuid.UUID, str]:
    async with state.db.session() as session:
        rows = await session.execute(select(CustomerSearch.customer_id, CustomerSearch.document))
        return dict(rows.all())


async def test_thai_name_is_found_by_a_part_of_it(gql, state):
    await person(gql, "สมชาย", "ใจดี")
    await person(gql, "Malee", "Srisuk")
    assert await names_found(gql, "ใจดี") == ["สมชาย ใจดี"]


async def test_latin_name_search_ignores_case(gql, state):
    await person(gql, "Somchai", "Jaidee")
    await person(gql, "Malee", "Srisuk")
    assert await names_found(gql, "SOMCH") == ["Somchai Jaidee"]
    assert await names_found(gql, "xyz") == []


async def test_email_is_found_by_substring(gql, state):
    somchai = await person(gql, "Somchai")
    await person(gql, "Malee")
    await add_row(state, "customer_email", customer_id=somchai, address="somchai.j@example.co.th")
    assert await names_found(gql, "chai.j@exam") == ["Somchai"]


@pytest.mark.parametrize(
    "query", ["081-234", "0812345678", "+66812345678", "+66 81 234 5678", "081 234 5678"]
)
async def test_phone_is_found_in_national_and_e164_forms(gql, state, query):
    somchai = await person(gql, "Somchai")
    await person(gql, "Malee")
    await add_row(state, "customer_phone", customer_id=somchai, number="+66812345678")
    assert await names_found(gql, query) == ["Somchai"]


async def test_external_identity_id_is_found(gql, state):
    somchai = await person(gql, "Somchai")
    await add_row(
        state, "customer_identity", customer_id=somchai, source="line", external_id="U4af4980629"
    )
    assert await names_found(gql, "4af49806") == ["Somchai"]


@pytest.mark.parametrize("query", ["", "ab", "  a  ", " 12 "])
async def test_query_shorter_than_three_characters_is_a_bad_request(gql, state, query):
    body = await gql(SEARCH, {"q": query})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_results_page_by_cursor_in_name_then_id_order(gql, state):
    for name in ["Dao Test", "Anan Test", "Chai Test", "Boon Test", "Anan Test", "Other"]:
        await person(gql, name)
    seen, after = [], None
    while True:
        body = await gql(SEARCH, {"q": "test", "first": 2, "after": after})
        page = body["data"]["customerSearch"]
        assert page["totalCount"] == 5
        seen += [(e["node"]["displayName"], e["node"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    names = [n for n, _ in seen]
    assert names == ["Anan Test", "Anan Test", "Boon Test", "Chai Test", "Dao Test"]
    anans = [from_global_id(i)[1] for n, i in seen if n == "Anan Test"]
    assert anans == sorted(anans)


async def test_document_follows_renames_and_removed_contacts(gql, state):
    cid = await person(gql, "Somchai")
    email = await add_row(state, "customer_email", customer_id=cid, address="old@example.com")
    body = await gql(
        "mutation($input: CustomerUpdateInput!) { customerUpdate(input: $input) "
        "{ errors { code } } }",
        {"input": {"id": to_global_id("Customer", cid), "firstName": "Sombat"}},
    )
    assert body["data"]["customerUpdate"]["errors"] == []
    async with state.db.transaction() as session:
        await session.delete(await session.get(type(email), email.id))
    assert await names_found(gql, "sombat") == ["Sombat"]
    assert await names_found(gql, "somchai") == []
    assert await names_found(gql, "old@example") == []
    assert await documents(state) == {cid: "sombat"}


async def test_rolled_back_write_leaves_the_document_unchanged(gql, state):
    cid = await person(gql, "Somchai")
    with pytest.raises(RuntimeError):
        async with state.db.transaction() as session:
            session.add(model("customer_email")(customer_id=cid, address="gone@example.com"))
            await session.flush()
            raise RuntimeError("abort")
    async with state.db.transaction() as session:
        session.add(model("customer_email")(customer_id=cid, address="kept@example.com"))
    assert await documents(state) == {cid: "somchai kept@example.com"}


async def test_a_rolled_back_savepoint_keeps_earlier_changes_indexed(gql, state):
    cid = await person(gql, "Somchai")
    async with state.db.transaction() as session:
        session.add(model("customer_email")(customer_id=cid, address="kept@example.com"))
        await session.flush()
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                session.add(model("customer_email")(customer_id=cid, address="gone@example.com"))
                await session.flush()
                raise RuntimeError("abort")
    assert await documents(state) == {cid: "somchai kept@example.com"}


async def test_deleted_customer_loses_its_document(gql, state):
    cid = await person(gql, "Somchai")
    async with state.db.transaction() as session:
        await session.delete(await session.get(Customer, cid))
    assert await documents(state) == {}
    assert await names_found(gql, "somchai") == []


async def test_core_statement_writers_mark_customers_stale(gql, state):
    cid = await person(gql, "Somchai")
    async with state.db.transaction() as session:
        await session.execute(
            update(Customer).where(Customer.id == cid).values(display_name="Sombat")
        )
        mark_stale(session, [cid])
    assert await names_found(gql, "sombat") == ["Sombat"]


async def test_like_fallback_finds_the_same_customers(gql, state, monkeypatch):
    await person(gql, "สมชาย", "ใจดี")
    await person(gql, "Malee")
    monkeypatch.setattr(search_services, "SQLITE_TRIGRAM", False)
    assert await names_found(gql, "ใจดี") == ["สมชาย ใจดี"]
    assert await names_found(gql, "100%") == []


async def test_installing_the_ddl_again_indexes_documents_written_without_it(gql, state):
    await person(gql, "Somchai")
    async with state.db.engine.begin() as conn:
        await conn.run_sync(drop_search_ddl)
        if state.db.is_sqlite:
            found = await conn.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name = :n"), {"n": FTS_TABLE}
            )
            assert found == 0
    await person(gql, "Somsak")
    async with state.db.engine.begin() as conn:
        await conn.run_sync(install_search_ddl)
        await conn.run_sync(install_search_ddl)
    assert await names_found(gql, "som") == ["Somchai", "Somsak"]


async def test_a_search_page_is_one_statement(gql, state):
    for name in ["Anan Test", "Boon Test"]:
        await person(gql, name)
    with StatementCounter(state) as counter:
        body = await gql('{ customerSearch(query: "test") { nodes { displayName } } }')
    assert body["data"]["customerSearch"]["nodes"] == [
        {"displayName": "Anan Test"},
        {"displayName": "Boon Test"},
    ]
    assert len([s for s in counter.statements if "customer_search" in s]) == 1


def test_query_terms_add_a_digits_form_for_phone_like_queries():
    assert query_terms(" 081-234 ") == ["081-234", "081234"]
    assert query_terms("+66 (81) 234") == ["+66 (81) 234", "+6681234"]
    assert query_terms("Somchai") == ["somchai"]
    assert query_terms("ab") == []


def test_document_holds_name_first_and_both_phone_forms():
    doc = document_of([("phone", "+66812345678"), ("email", "A@B.CO"), ("name", "สมชาย Jaidee")])
    assert doc == "สมชาย jaidee a@b.co +66812345678 0812345678"
