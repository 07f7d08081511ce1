"""Everything the customer service plugin contributes, in one place."""

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
        name="crm",
        version="0.1.0",
        title="Customer service",
        description="Cases customers raise, prioritised and worked to resolution.",
    )


@hookimpl
def register_models() -> list[ModuleType]:
    from unicrm.plugins.crm import models

    return [models]


@hookimpl
def register_migrations() -> Migrations:
    return Migrations("crm", str(HERE / "migrations" / "versions"))


@hookimpl
def register_permissions() -> list[Permission]:
    from unicrm.plugins.crm.permissions import PERMISSIONS

    return PERMISSIONS


@hookimpl
def register_default_roles() -> list[RoleGrant]:
    from unicrm.plugins.crm.permissions import ROLES

    return ROLES


@hookimpl
def graphql_query() -> type:
    from unicrm.plugins.crm.graphql.queries import CrmQuery

    return CrmQuery


@hookimpl
def graphql_mutation() -> type:
    from unicrm.plugins.crm.graphql.mutations import ServiceMutation

    return ServiceMutation


@hookimpl
def graphql_subscription() -> type:
    from unicrm.plugins.crm.graphql.subscriptions import CaseSubscription

    return CaseSubscription


@hookimpl
def graphql_type_fields() -> dict[str, list[Any]]:
    from unicrm.plugins.crm.graphql.core_fields import type_fields

    return type_fields()


@hookimpl
def graphql_loaders() -> dict[str, Any]:
    from unicrm.plugins.crm.graphql.loaders import LOADERS

    return LOADERS


@hookimpl
def register_jobs() -> list[Any]:
    from unicrm.plugins.crm.jobs import JOB_TYPES, SCHEDULES

    return [*JOB_TYPES, *SCHEDULES]


@hookimpl
def register_routes() -> list[Any]:
    from unicrm.plugins.crm.routes import ROUTES

    return ROUTES


@hookimpl
async def startup(app: Any) -> None:
    """Start the inbound e-mail server when ``crm.inbound_smtp_port`` is set (in an app
    serving UniCRM)."""
    state = getattr(app.state, "unicrm", None)
    settings = None if state is None else state.settings.crm
    if settings is not None and settings.inbound_smtp_port:
        from unicrm.plugins.crm.mail import serve

        app.state.crm_inbound_smtp = await serve(
            state, settings.inbound_smtp_host, settings.inbound_smtp_port
        )


@hookimpl
async def shutdown(app: Any) -> None:
    server = getattr(app.state, "crm_inbound_smtp", None)
    if server is not None:
        server.close()
        await server.wait_closed()


@hookimpl
def customer_timeline_kinds() -> dict[str, str]:
    return {
        "crm.case_opened": "The customer opened a case.",
        "crm.case_status_changed": "A case moved to another status (resolved, reopened...).",
        "crm.technician_visit": "A technician visit was booked for a case.",
        "crm.survey_answered": "The customer rated how a case was handled.",
        "crm.nps_answered": "The customer said how likely they are to recommend us (NPS).",
    }


@hookimpl
async def customer_merge(
    source_id: uuid.UUID, target_id: uuid.UUID, session: AsyncSession, journal: Any
) -> None:
    from unicrm.plugins.crm.services import privacy

    await privacy.merge(session, source_id, target_id, journal)


@hookimpl
async def customer_export(customer_id: uuid.UUID, session: AsyncSession) -> dict[str, Any]:
    from unicrm.plugins.crm.services import privacy

    return await privacy.export(session, customer_id)


@hookimpl
async def customer_erase(customer_id: uuid.UUID, session: AsyncSession) -> None:
    from unicrm.plugins.crm.services import privacy

    await privacy.erase(session, customer_id)


@hookimpl
async def seed_demo_data(session: AsyncSession, size: int, rng: random.Random) -> None:
    from unicrm.plugins.crm.demo import seed

    await seed(session, size, rng)
