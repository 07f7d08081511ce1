"""Everything the marketing automation plugin contributes, in one place."""

from __future__ import annotations

import random
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import Migrations, Permission, PluginManifest, RoleGrant

HERE = Path(__file__).parent


@hookimpl
def plugin_manifest() -> PluginManifest:
    return PluginManifest(
        name="ma",
        version="0.1.0",
        title="Marketing automation",
        description="Lead capture and tracking, scoring, segments, campaigns and journeys.",
    )


@hookimpl
def register_models() -> list[ModuleType]:
    from unicrm.plugins.ma import events, models

    events.declare()  # MA's event payload types, before anything emits them
    return [models]


@hookimpl
def register_migrations() -> Migrations:
    return Migrations("ma", str(HERE / "migrations" / "versions"))


@hookimpl
def register_permissions() -> list[Permission]:
    from unicrm.plugins.ma.permissions import PERMISSIONS

    return PERMISSIONS


@hookimpl
def register_default_roles() -> list[RoleGrant]:
    from unicrm.plugins.ma.permissions import ROLES

    return ROLES


@hookimpl
def graphql_query() -> type:
    from unicrm.plugins.ma.graphql.queries import MaQuery

    return MaQuery


@hookimpl
def graphql_mutation() -> type:
    from unicrm.plugins.ma.graphql.mutations import MaMutation

    return MaMutation


@hookimpl
def graphql_type_fields() -> dict[str, list[Any]]:
    from unicrm.plugins.ma.graphql.core_fields import type_fields

    return type_fields()


@hookimpl
def graphql_loaders() -> dict[str, Any]:
    from unicrm.plugins.ma.graphql.loaders import LOADERS

    return LOADERS


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    from unicrm.plugins.ma.services.scoring import on_customer_changed

    return {
        "customer.updated": on_customer_changed,
        "customer.contact_changed": on_customer_changed,
    }


@hookimpl
def register_jobs() -> list[Any]:
    from unicrm.plugins.ma.jobs import JOBS

    return JOBS


@hookimpl
def register_routes() -> list[Any]:
    from unicrm.plugins.ma.routes import ROUTES

    return ROUTES


@hookimpl
def segment_filters() -> list[Any]:
    from unicrm.plugins.ma.segment_filters import filters

    return filters()


@hookimpl
def customer_timeline_kinds() -> dict[str, str]:
    from unicrm.plugins.ma.timeline import KINDS

    return KINDS


@hookimpl
async def customer_merge(
    source_id: uuid.UUID, target_id: uuid.UUID, session: AsyncSession, journal: Any
) -> None:
    from unicrm.plugins.ma.services.privacy import merge_customers

    await merge_customers(session, source_id, target_id, journal)


@hookimpl
async def customer_export(customer_id: uuid.UUID, session: AsyncSession) -> dict[str, Any]:
    from unicrm.plugins.ma.services.privacy import export_customer

    return await export_customer(session, customer_id)


@hookimpl
async def customer_erase(customer_id: uuid.UUID, session: AsyncSession) -> None:
    from unicrm.plugins.ma.services.privacy import erase_customer

    await erase_customer(session, customer_id)


@hookimpl
async def seed_demo_data(session: AsyncSession, size: int, rng: random.Random) -> None:
    from unicrm.plugins.ma.demo import seed

    await seed(session, size, rng)
