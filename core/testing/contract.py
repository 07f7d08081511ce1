"""The plugin contract suite (DESIGN.md section 3), for our plugins and third-party ones.

Use it from a test module of the plugin's own repository::

    from unicrm.core.testing.contract import *  # noqa: F403

    @pytest.fixture(params=["myplugin"])
    def unicrm_contract_plugin(request):
        return request.param

Each test runs on SQLite and PostgreSQL like every ``unicrm_state`` test.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from sqlalchemy import Table, func, select
from strawberry.types.base import StrawberryOptional

from unicrm.core.db.base import Base
from unicrm.core.graph.customers.models import CustomerKind
from unicrm.core.graph.customers.services import CustomerData, create_customer
from unicrm.core.state import AppState

__all__ = [
    "test_contract_customer_data_survives_merge_export_and_erase",
    "test_contract_fields_on_core_types_are_nullable",
    "test_contract_manifest_names_the_plugin",
    "test_contract_permissions_are_described",
    "test_contract_stores_customer_data_only_with_privacy_hooks",
]

PRIVACY_HOOKS = ("customer_merge", "customer_export", "customer_erase")


def _plugin_tables(state: AppState, plugin: str) -> list[Table]:
    modules = dict(state.manager.collect("register_models", only=[plugin])).get(plugin, [])
    modules = modules if isinstance(modules, list | tuple) else [modules]
    names = {m.__name__ for m in modules}
    return [
        mapper.local_table
        for mapper in Base.registry.mappers
        if mapper.class_.__module__ in names and isinstance(mapper.local_table, Table)
    ]


def _customer_tables(state: AppState, plugin: str) -> list[Table]:
    return [t for t in _plugin_tables(state, plugin) if "customer_id" in t.c]


def _implements(state: AppState, plugin: str, hook: str) -> bool:
    return any(i.plugin_name == plugin for i in getattr(state.manager.hook, hook).get_hookimpls())


def test_contract_manifest_names_the_plugin(
    unicrm_session_state: AppState, unicrm_contract_plugin: str
) -> None:
    manifest = unicrm_session_state.registry.manifests[unicrm_contract_plugin]
    assert manifest.name == unicrm_contract_plugin
    assert manifest.title and manifest.version


def test_contract_permissions_are_described(
    unicrm_session_state: AppState, unicrm_contract_plugin: str
) -> None:
    registry = unicrm_session_state.registry
    owned = [
        p
        for n, p in registry.permissions.items()
        if registry.permission_owner[n] == unicrm_contract_plugin
    ]
    for permission in owned:
        assert permission.name.startswith(f"{unicrm_contract_plugin}."), permission.name
        assert permission.description, f"{permission.name} has no description"


def test_contract_fields_on_core_types_are_nullable(
    unicrm_session_state: AppState, unicrm_contract_plugin: str
) -> None:
    contributed = dict(
        unicrm_session_state.manager.collect("graphql_type_fields", only=[unicrm_contract_plugin])
    )
    for type_name, fields in contributed.get(unicrm_contract_plugin, {}).items():
        for field in fields:
            assert isinstance(field.type, StrawberryOptional), f"{type_name}.{field.python_name}"


def test_contract_stores_customer_data_only_with_privacy_hooks(
    unicrm_session_state: AppState, unicrm_contract_plugin: str
) -> None:
    if not _customer_tables(unicrm_session_state, unicrm_contract_plugin):
        return
    missing = [
        h for h in PRIVACY_HOOKS if not _implements(unicrm_session_state, unicrm_contract_plugin, h)
    ]
    assert not missing, f"{unicrm_contract_plugin} stores customer data but lacks {missing}"


async def _rows_of(state: AppState, tables: list[Table], customer_id: uuid.UUID) -> int:
    total = 0
    async with state.db.session() as session:
        for table in tables:
            count = (
                select(func.count()).select_from(table).where(table.c.customer_id == customer_id)
            )
            total += int(await session.scalar(count) or 0)
    return total


async def _seeded_customer(state: AppState, plugin: str, tables: list[Table]) -> uuid.UUID | None:
    async with state.db.transaction() as session:
        for i in range(4):
            await create_customer(
                session, CustomerData(kind=CustomerKind.PERSON, first_name=f"Contract{i}")
            )
        await state.manager.acall(
            "seed_demo_data", only=[plugin], session=session, size=4, rng=random.Random(7)
        )
    async with state.db.session() as session:
        for table in tables:
            found = await session.scalar(
                select(table.c.customer_id).where(table.c.customer_id.is_not(None)).limit(1)
            )
            if found is not None:
                return found
    return None


async def test_contract_customer_data_survives_merge_export_and_erase(
    unicrm_state: AppState, unicrm_contract_plugin: str
) -> None:
    state, plugin = unicrm_state, unicrm_contract_plugin
    tables = _customer_tables(state, plugin)
    if not tables:
        return
    source = await _seeded_customer(state, plugin, tables)
    assert source is not None, f"{plugin}.seed_demo_data wrote no customer rows"
    before = await _rows_of(state, tables, source)

    async with state.db.transaction() as session:
        target = (
            await create_customer(
                session, CustomerData(kind=CustomerKind.PERSON, first_name="Survivor")
            )
        ).id
        await state.manager.acall(
            "customer_merge",
            only=[plugin],
            source_id=source,
            target_id=target,
            session=session,
            journal=None,
        )
    assert await _rows_of(state, tables, source) == 0, "merge left rows on the merged-away customer"
    assert 0 < await _rows_of(state, tables, target) <= before

    async with state.db.session() as session:
        exported: list[Any] = await state.manager.acall(
            "customer_export", only=[plugin], customer_id=target, session=session
        )
    assert any(section for part in exported for section in part.values()), "export is empty"

    async with state.db.transaction() as session:
        await state.manager.acall(
            "customer_erase", only=[plugin], customer_id=target, session=session
        )
    async with state.db.session() as session:
        after: list[Any] = await state.manager.acall(
            "customer_export", only=[plugin], customer_id=target, session=session
        )
    assert not any(section for part in after for section in part.values()), "erase left data behind"
