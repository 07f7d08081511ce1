"""Core's own contributions, registered through the same hooks as every plugin.

This module is core's table of contents (Datasette's ``DEFAULT_PLUGINS``): the models, the
migration branch, the permissions, the root fields and the loaders of the customer graph.
"""

from __future__ import annotations

import random
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core import demo
from unicrm.core.demo_workplace import seed_workplace
from unicrm.core.graph import catalog
from unicrm.core.graph.assets import jobs as asset_jobs
from unicrm.core.graph.bookings import jobs as booking_jobs
from unicrm.core.graph.contracts import jobs as contract_jobs
from unicrm.core.graph.leads.lifecycle import on_order_placed
from unicrm.core.graph.notifications import jobs as notification_jobs
from unicrm.core.jobs import housekeeping
from unicrm.core.messaging.jobs import JOB_TYPES as MESSAGING_JOBS
from unicrm.core.permissions import CORE_PERMISSIONS
from unicrm.core.permissions import ROLES as CORE_ROLES
from unicrm.core.plugins import hookimpl
from unicrm.core.plugins.contracts import Migrations, Permission, PluginManifest, RoleGrant
from unicrm.core.segments import jobs as segment_jobs
from unicrm.core.segments.core_filters import FILTERS as SEGMENT_FILTERS

VERSION = "0.1.0"


@hookimpl
def plugin_manifest() -> PluginManifest:
    return PluginManifest(
        name="core",
        version=VERSION,
        title="Customer graph",
        description="People and companies, contact points, identities, consents, tags, "
        "products, orders and the timeline.",
    )


@hookimpl
def register_models() -> list[ModuleType]:
    return catalog.model_modules()


@hookimpl
def register_migrations() -> Migrations:
    return Migrations("core", str(Path(__file__).parent / "migrations" / "versions"))


@hookimpl
def register_permissions() -> list[Permission]:
    return list(CORE_PERMISSIONS)


@hookimpl
def register_default_roles() -> list[RoleGrant]:
    return list(CORE_ROLES)


@hookimpl
def graphql_query() -> type:
    return catalog.query()


@hookimpl
def graphql_mutation() -> type:
    return catalog.mutation()


@hookimpl
def graphql_subscription() -> type:
    return catalog.subscription()


@hookimpl
def graphql_type_fields() -> dict[str, list[Any]]:
    return catalog.type_fields()


@hookimpl
def graphql_loaders() -> dict[str, Any]:
    return catalog.loaders()


@hookimpl(tryfirst=True)
async def seed_demo_data(session: AsyncSession, size: int, rng: random.Random) -> None:
    """Core's customers and the shared domain around them come first, so plugins can attach
    their demo data to them."""
    await demo.seed_customers(session, size=size, rng=rng)
    department_id = await demo.default_department(session)
    await seed_workplace(session, department_id=department_id, rng=rng)


@hookimpl
def register_jobs() -> list[Any]:
    return [
        *housekeeping.JOB_TYPES,
        *housekeeping.SCHEDULES,
        *booking_jobs.JOB_TYPES,
        *booking_jobs.SCHEDULES,
        *MESSAGING_JOBS,
        *segment_jobs.JOB_TYPES,
        *segment_jobs.SCHEDULES,
        *asset_jobs.JOB_TYPES,
        *asset_jobs.SCHEDULES,
        *contract_jobs.JOB_TYPES,
        *contract_jobs.SCHEDULES,
        *notification_jobs.JOB_TYPES,
        *notification_jobs.SCHEDULES,
    ]


@hookimpl
def register_event_handlers() -> dict[str, list[Any]]:
    handlers: dict[str, list[Any]] = {t: [h] for t, h in segment_jobs.EVENT_HANDLERS.items()}
    handlers.setdefault("order.placed", []).append(on_order_placed)
    return handlers


@hookimpl
def segment_filters() -> list[Any]:
    return list(SEGMENT_FILTERS)


@hookimpl
async def customer_export(customer_id: Any, session: AsyncSession) -> dict[str, list[Any]]:
    """Core's sections of a DSAR export; sections without rows are left out."""
    sections: dict[str, list[Any]] = {}
    for module in catalog.privacy_modules():
        sections.update(await module.export(session, customer_id))
    return {name: rows for name, rows in sections.items() if rows}


@hookimpl
async def customer_erase(customer_id: Any, session: AsyncSession) -> None:
    for module in catalog.privacy_modules():
        await module.erase(session, customer_id)


@hookimpl
def customer_timeline_kinds() -> dict[str, str]:
    from unicrm.core.graph.timeline.kinds import KINDS

    return KINDS
