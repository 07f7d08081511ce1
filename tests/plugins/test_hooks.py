"""One ``test_hook_<name>`` per hookspec, exercised through the example plugin or a built-in
one, and a meta-test keeping hookspecs, docs/plugin-hooks.md and these tests in step."""

from __future__ import annotations

import random
import re
import sys
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request

from plugins import example_plugin
from plugins.example_plugin import Greeting
from plugins.sfa_support import b2b
from plugins.sfa_support import deal as sfa_deal
from plugins.support import add_customers, add_department, add_rows, loyalty_member, loyalty_program
from unicrm.core.config import BUILTIN_PLUGINS
from unicrm.core.db.base import Base
from unicrm.core.db.ids import uuid7
from unicrm.core.errors import PluginError
from unicrm.core.graph.context import Actor
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.ids import to_global_id
from unicrm.core.graph.merge.journal import MergeJournal
from unicrm.core.graph.merge.models import CustomerMerge
from unicrm.core.jobs.queue import enqueue
from unicrm.core.jobs.runtime import make_worker
from unicrm.core.messaging import runtime as messaging_runtime
from unicrm.core.messaging.channels import AddressKind, index_channels
from unicrm.core.plugins import hookspecs
from unicrm.core.plugins.registry import Registry
from unicrm.core.segments.compile import Catalog, check_filters
from unicrm.core.segments.filters import Op, SegmentFilter, ValueType
from unicrm.core.state import create_state
from unicrm.plugins.crm.models import Case
from unicrm.plugins.loyalty.models import Member
from unicrm.plugins.ma.models import LeadScore
from unicrm.plugins.sfa.models import Deal
from unicrm.schema.context import make_context

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugin-hooks.md"
PLUGINS = (*BUILTIN_PLUGINS, example_plugin.NAME)
CUSTOMER_TABLES = (Deal, Case, Member, LeadScore, Greeting)


@pytest.fixture
def registry(offline_state) -> Registry:
    return offline_state.registry


def hook_names() -> list[str]:
    return sorted(n for n, f in vars(hookspecs).items() if hasattr(f, "unicrm_spec"))


async def rows_of(state, customer_id: uuid.UUID) -> dict[str, int]:
    """How many rows each plugin table holds for the customer."""
    async with state.db.session() as session:
        return {
            model.__tablename__: await session.scalar(
                select(func.count()).select_from(model).where(model.customer_id == customer_id)
            )
            for model in CUSTOMER_TABLES
        }


async def customer_with_everything(state, name: str, *, points: int, score: int) -> uuid.UUID:
    [customer_id] = await add_customers(state, name)
    club = await loyalty_program(state)
    stage = (await b2b(state))["Opportunity"]
    await add_rows(
        state,
        sfa_deal(customer_id, stage, f"{name}'s deal"),
        Case(customer_id=customer_id, subject=f"{name}'s case"),
        loyalty_member(club, customer_id, name, "gold", points),
        LeadScore(customer_id=customer_id, value=score),
        Greeting(customer_id=customer_id, message=f"Hello {name}"),
    )
    return customer_id


def test_every_hookspec_is_documented_and_tested():
    documented = set(re.findall(r"^## (\w+)$", DOCS.read_text(encoding="utf-8"), re.M))
    tested = {n.removeprefix("test_hook_") for n in vars(sys.modules[__name__])}

    assert hook_names(), "no hookspecs found"
    assert sorted(set(hook_names()) - documented) == [], "hooks without a docs section"
    assert sorted(set(hook_names()) - tested) == [], "hooks without a test_hook_<name>"
    assert sorted(documented - set(hook_names())) == [], "docs sections for unknown hooks"


def test_hook_plugin_manifest(registry):
    assert set(registry.manifests) == {"core", *PLUGINS}
    assert registry.installed == PLUGINS
    assert registry.manifests["sfa"].title == "Sales force automation"


def test_hook_register_models(offline_state):
    for plugin, modules in offline_state.manager.collect("register_models", only=PLUGINS):
        if plugin == "core":
            continue
        names = {m.__name__ for m in (modules if isinstance(modules, list) else [modules])}
        tables = {m.local_table.name for m in Base.registry.mappers if m.class_.__module__ in names}
        assert tables, plugin
        assert all(t.startswith(f"{plugin}_") for t in tables), (plugin, tables)


def test_hook_register_migrations(registry):
    assert set(registry.migrations) == {"core", *PLUGINS}
    for plugin, migrations in registry.migrations.items():
        assert migrations.branch == plugin
        assert (Path(migrations.versions_dir) / "__init__.py").is_file(), plugin


def test_hook_register_permissions(registry):
    owners = {name: registry.permission_owner[name] for name in registry.permissions}

    assert {
        "ma.lead_score": "ma",
        "sfa.deal": "sfa",
        "crm.case": "crm",
        "loyalty.member": "loyalty",
        "example.greeting": "example",
    }.items() <= owners.items()
    assert registry.permissions["sfa.deal"].actions == ("read", "write", "delete")


def test_hook_register_default_roles(registry):
    grants = {
        role: {g for rg in grant_list for g in rg.grants}
        for role, grant_list in registry.roles.items()
    }

    assert grants["sales_rep"] >= {"sfa.deal:read", "sfa.deal:write"}
    assert grants["support_agent"] >= {"crm.case:read@team", "crm.case:write@team"}
    assert grants["loyalty_officer"] >= {"loyalty.member:read", "loyalty.member:write"}
    assert grants["greeter"] == {"example.greeting:read"}


async def test_hook_graphql_query(gql):
    assert await gql("{ exampleGreetings { message } }") == {"data": {"exampleGreetings": []}}


async def test_hook_graphql_mutation(gql):
    body = await gql('mutation { exampleShout(text: "sawasdee") }')

    assert body == {"data": {"exampleShout": "SAWASDEE"}}


async def test_hook_graphql_subscription(offline_state):
    schema = offline_state.schema_for(frozenset({"example"}))

    results = await schema.subscribe("subscription { exampleCountdown(start: 2) }")

    assert [r.data["exampleCountdown"] async for r in results] == [2, 1, 0]


async def test_hook_graphql_type_fields(gql, unicrm_state, offline_state):
    [somchai] = await add_customers(unicrm_state, "Somchai")
    await add_rows(unicrm_state, Greeting(customer_id=somchai, message="Sawasdee"))
    query = "query($id: ID!) { customer(id: $id) { exampleGreeting { message } } }"

    body = await gql(query, {"id": to_global_id("Customer", somchai)})

    assert body == {"data": {"customer": {"exampleGreeting": {"message": "Sawasdee"}}}}
    first, again = (
        dict(offline_state.manager.collect("graphql_type_fields", only=PLUGINS)) for _ in range(2)
    )
    for plugin in PLUGINS:
        for a, b in zip(first[plugin]["Customer"], again[plugin]["Customer"], strict=True):
            assert a is not b, f"{plugin} reuses the field object {a.python_name}"


async def test_hook_graphql_types(gql, unicrm_state):
    stamp = to_global_id("ExampleStamp", uuid.UUID(int=0xABCDEF12 << 96))
    await add_department(unicrm_state, "sales", ["sfa"])

    found = await gql(
        "query($id: ID!) { node(id: $id) { ... on ExampleStamp { label } } }", {"id": stamp}
    )
    elsewhere = await gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": stamp}, department="sales"
    )

    assert found == {"data": {"node": {"label": "stamp abcdef12"}}}
    assert elsewhere["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_hook_graphql_loaders(unicrm_state):
    registry = unicrm_state.registry
    somchai, malee = await add_customers(unicrm_state, "Somchai", "Malee")
    stage = (await b2b(unicrm_state))["Opportunity"]
    await add_rows(unicrm_state, sfa_deal(somchai, stage, "Fleet"))
    department = await unicrm_state.departments.get(None)
    ctx = make_context(unicrm_state, department, Actor.system())

    deals = await ctx.loaders["sfa.deals_by_customer"].load_many([somchai, malee])

    assert [[d.title for d in ds] for ds in deals] == [["Fleet"], []]
    assert {
        "ma.lead_score_by_customer": "ma",
        "sfa.deals_by_customer": "sfa",
        "crm.cases_by_customer": "crm",
        "loyalty.member_by_customer": "loyalty",
        "example.greeting_by_customer": "example",
    }.items() <= registry.loader_owner.items()


async def test_hook_register_event_handlers(unicrm_state):
    assert ("example", example_plugin.greet) in unicrm_state.registry.handlers_for(
        "customer.created"
    )
    [somchai] = await add_customers(unicrm_state, "Somchai")

    await unicrm_state.events.dispatch_pending()

    async with unicrm_state.db.session() as session:
        greeting = await session.scalar(select(Greeting).where(Greeting.customer_id == somchai))
    assert greeting.message == "Welcome, Somchai!"


async def test_hook_register_jobs(unicrm_state):
    registry = unicrm_state.registry
    assert registry.jobs["example"] == example_plugin.JOBS
    assert registry.job_types["example.sweep_greetings"].max_attempts == 3
    assert registry.schedules["example.hourly_sweep"].job == "example.sweep_greetings"
    [somchai] = await add_customers(unicrm_state, "Somchai")
    async with unicrm_state.db.transaction() as session:
        await enqueue(session, "example.sweep_greetings")

    assert await make_worker(unicrm_state).run_due() == 1

    async with unicrm_state.db.session() as session:
        greeting = await session.scalar(select(Greeting).where(Greeting.customer_id == somchai))
    assert greeting.message == "Hello, Somchai!"


async def test_hook_register_routes(client, registry):
    assert [r.path for r in registry.routes["example"]] == ["/example/hello"]

    response = await client.get("/example/hello")

    assert response.status_code == 200
    assert response.text == "hello from the example plugin"


def test_hook_segment_filters(registry):
    """Plugins and core add filters through the same hook; a department sees those of the
    plugins it enables; a bad contribution stops the start naming the plugin."""
    [greeted] = registry.segment_filters["example"]
    assert isinstance(greeted, SegmentFilter)
    assert (greeted.name, greeted.value_type, greeted.operators) == (
        "example.greeted",
        ValueType.BOOLEAN,
        (Op.EQ,),
    )
    assert "orders.total_spend" in {f.name for f in registry.segment_filters["core"]}
    assert "example.greeted" in Catalog.for_plugins(registry, {"example"}).filters
    assert "example.greeted" not in Catalog.for_plugins(registry, {"sfa"}).filters
    assert "customer.kind" in Catalog.for_plugins(registry, set()).filters

    with pytest.raises(PluginError, match="must return SegmentFilter"):
        check_filters({"example": [{"name": "example.greeted", "type": "boolean"}]})
    with pytest.raises(PluginError, match=r"must start with example\."):
        check_filters({"example": [replace(greeted, name="loyalty.tier")]})
    with pytest.raises(PluginError, match="declared by 'core' and 'example'"):
        check_filters(
            {
                "core": [replace(greeted, name="example.x")],
                "example": [replace(greeted, name="example.x")],
            }
        )


def test_hook_register_channels(registry):
    assert registry.channels["example"] == example_plugin.CHANNELS


def test_registered_channels_are_the_process_channels(offline_state, unicrm_plugins):
    create_state(offline_state.settings, plugins=unicrm_plugins)  # configures the process
    channels = messaging_runtime.current().channels

    assert channels["example_pigeon"] is example_plugin.CHANNELS[0]
    assert channels["email"].address_kind is AddressKind.EMAIL


def test_a_channel_registered_twice_is_a_startup_error(registry):
    twice = {"example": example_plugin.CHANNELS, "other": example_plugin.CHANNELS}

    with pytest.raises(
        PluginError, match="'example_pigeon' is registered by 'example' and 'other'"
    ):
        index_channels(messaging_runtime.current().channels["email"], twice)


def test_a_channel_must_be_a_channel_object(registry):
    with pytest.raises(PluginError, match="register_channels needs Channel objects"):
        index_channels(
            messaging_runtime.current().channels["email"], {"example": [{"name": "pigeon"}]}
        )


def test_hook_customer_timeline_kinds(registry):
    owners = {kind: owner for kind, (owner, _) in registry.timeline_kinds.items()}

    assert {
        "sfa.deal_opened": "sfa",
        "crm.case_opened": "crm",
        "loyalty.member_enrolled": "loyalty",
        "example.greeted": "example",
    }.items() <= owners.items()


async def test_hook_customer_merge(unicrm_state):
    state = unicrm_state
    source = await customer_with_everything(state, "Source", points=100, score=50)
    target = await customer_with_everything(state, "Target", points=20, score=80)
    journal = MergeJournal(uuid7())

    async with state.db.transaction() as session:
        await state.manager.acall(
            "customer_merge",
            only=PLUGINS,
            source_id=source,
            target_id=target,
            session=session,
            journal=journal,
        )

    assert await rows_of(state, source) == dict.fromkeys(await rows_of(state, source), 0)
    assert await rows_of(state, target) == {
        "sfa_deal": 2,
        "crm_case": 2,
        "loyalty_member": 1,
        "ma_lead_score": 1,
        "example_greeting": 2,
    }
    async with state.db.session() as session:
        member = await session.scalar(select(Member).where(Member.customer_id == target))
        score = await session.scalar(select(LeadScore).where(LeadScore.customer_id == target))
    assert (member.card_number, member.points_balance, score.value) == ("Target", 120, 80)
    changes = {(e["action"], e["table_name"], e["column_name"]) for e in journal.pending}
    assert changes == {
        ("MOVED", "sfa_deal", "customer_id"),
        ("MOVED", "crm_case", "customer_id"),
        ("MOVED", "example_greeting", "customer_id"),
        ("MOVED", "loyalty_member", "points_balance"),
        ("MOVED", "loyalty_member", "earned_points"),
        ("MOVED", "loyalty_member", "spend"),
        ("DROPPED", "loyalty_member", None),
        ("DROPPED", "ma_lead_score", None),
    }


async def test_hook_customer_unmerge(unicrm_state):
    state = unicrm_state
    source, target = await add_customers(state, "Source", "Target")
    await add_rows(state, Greeting(customer_id=source, message="Hello Source"))
    async with state.db.transaction() as session:
        merge = CustomerMerge(source_id=source, target_id=target)
        session.add(merge)
        await session.flush()
        journal = MergeJournal(merge.id)
        await state.manager.acall(
            "customer_merge",
            only=["example"],
            source_id=source,
            target_id=target,
            session=session,
            journal=journal,
        )
        await journal.write(session)
    assert (await rows_of(state, target))["example_greeting"] == 1

    async with state.db.transaction() as session:
        await state.manager.acall(
            "customer_unmerge", only=["example"], merge_id=merge.id, session=session, journal=None
        )

    assert (await rows_of(state, source))["example_greeting"] == 1
    assert (await rows_of(state, target))["example_greeting"] == 0


async def export(state, customer_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    async with state.db.session() as session:
        parts = await state.manager.acall(
            "customer_export", only=PLUGINS, customer_id=customer_id, session=session
        )
    return {section: rows for part in parts for section, rows in part.items()}


async def test_hook_customer_export(unicrm_state):
    anan = await customer_with_everything(unicrm_state, "Anan", points=7, score=42)
    await customer_with_everything(unicrm_state, "Other", points=1, score=1)

    exported = await export(unicrm_state, anan)

    assert set(exported) == {
        "deals",
        "cases",
        "nps_surveys",
        "customer_value",
        "loyalty_members",
        "lead_scores",
        "example_greetings",
    }  # core's own sections (segments, messages, invoices, ...) are left out when empty
    assert [d["title"] for d in exported["deals"]] == ["Anan's deal"]
    assert [c["subject"] for c in exported["cases"]] == ["Anan's case"]
    assert [(m["card_number"], m["points_balance"]) for m in exported["loyalty_members"]] == [
        ("Anan", 7)
    ]
    assert [s["value"] for s in exported["lead_scores"]] == [42]
    assert [g["message"] for g in exported["example_greetings"]] == ["Hello Anan"]


async def test_hook_customer_erase(unicrm_state):
    anan = await customer_with_everything(unicrm_state, "Anan", points=7, score=42)
    other = await customer_with_everything(unicrm_state, "Other", points=1, score=1)

    async with unicrm_state.db.transaction() as session:
        await unicrm_state.manager.acall(
            "customer_erase", only=PLUGINS, customer_id=anan, session=session
        )

    assert all(rows == [] for rows in (await export(unicrm_state, anan)).values())
    assert set((await rows_of(unicrm_state, other)).values()) == {1}


async def test_hook_seed_demo_data(unicrm_state):
    async with unicrm_state.db.transaction() as session:
        await unicrm_state.manager.acall(
            "seed_demo_data", only=PLUGINS, session=session, size=12, rng=random.Random(3)
        )

    async with unicrm_state.db.session() as session:
        customers = await session.scalar(select(func.count()).select_from(Customer))
        for model in CUSTOMER_TABLES:
            orphans = (
                select(func.count())
                .select_from(model)
                .where(~select(Customer.id).where(Customer.id == model.customer_id).exists())
            )
            count = await session.scalar(select(func.count()).select_from(model))
            assert count > 0, model.__tablename__
            assert await session.scalar(orphans) == 0
    assert customers >= 12


async def test_hook_startup(offline_state):
    app = Starlette()

    await offline_state.manager.acall("startup", app=app)

    assert app.state.example_started is True


async def test_hook_shutdown(offline_state):
    app = Starlette()

    await offline_state.manager.acall("shutdown", app=app)

    assert app.state.example_stopped is True


def request_with(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request(
        {"type": "http", "method": "GET", "path": "/", "headers": raw, "query_string": b""}
    )


async def test_hook_authenticate(offline_state):
    manager = offline_state.manager

    actor = await manager.acall(
        "authenticate", request=request_with({"X-Example-Token": "letmein"})
    )
    nobody = await manager.acall("authenticate", request=request_with({}))

    assert (actor.name, actor.kind) == ("example-bot", "api_key")
    assert nobody is None
