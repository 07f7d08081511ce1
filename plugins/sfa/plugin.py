"""Everything the sales force automation plugin contributes, in one place."""

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
        name="sfa",
        version="0.1.0",
        title="Sales force automation",
        description="Deals through the sales pipeline, from cold contact to won or lost.",
    )


@hookimpl
def register_models() -> list[ModuleType]:
    from unicrm.plugins.sfa import events, models  # noqa: F401  (events: declares the types)

    return [models]


@hookimpl
def register_migrations() -> Migrations:
    return Migrations("sfa", str(HERE / "migrations" / "versions"))


@hookimpl
def register_permissions() -> list[Permission]:
    from unicrm.plugins.sfa.permissions import PERMISSIONS

    return PERMISSIONS


@hookimpl
def register_default_roles() -> list[RoleGrant]:
    from unicrm.plugins.sfa.permissions import ROLES

    return ROLES


@hookimpl
def graphql_query() -> type:
    from unicrm.plugins.sfa.graphql.queries import SfaQuery

    return SfaQuery


@hookimpl
def graphql_mutation() -> type:
    from unicrm.plugins.sfa.graphql.mutations import SfaMutation

    return SfaMutation


@hookimpl
def graphql_subscription() -> type:
    from unicrm.plugins.sfa.graphql.subscriptions import SfaSubscription

    return SfaSubscription


@hookimpl
def graphql_type_fields() -> dict[str, list[Any]]:
    from unicrm.plugins.sfa.graphql.core_fields import type_fields

    return type_fields()


@hookimpl
def graphql_loaders() -> dict[str, Any]:
    from unicrm.plugins.sfa.graphql.loaders import LOADERS

    return LOADERS


@hookimpl
def register_event_handlers() -> dict[str, Any]:
    from unicrm.plugins.sfa.services.conversions import open_deal_for_converted_lead

    return {"lead.converted": open_deal_for_converted_lead}


@hookimpl
def register_jobs() -> list[Any]:
    from unicrm.core.jobs.contracts import JobType, Schedule
    from unicrm.plugins.sfa.services.activities import REMINDER_JOB, remind
    from unicrm.plugins.sfa.services.quotes import EXPIRE_JOB, expire_quotes

    return [
        JobType(REMINDER_JOB, remind, max_attempts=5, backoff=60),
        JobType(EXPIRE_JOB, expire_quotes, max_attempts=5, backoff=60),
        Schedule(EXPIRE_JOB, "5 0 * * *", job=EXPIRE_JOB),
    ]


@hookimpl
def register_routes() -> list[Any]:
    from unicrm.plugins.sfa.routes import ROUTES

    return ROUTES


@hookimpl
def customer_timeline_kinds() -> dict[str, str]:
    return {
        "sfa.deal_opened": "A deal was opened with the customer.",
        "sfa.deal_stage_changed": "A deal moved to another pipeline stage.",
        "sfa.call": "A sales call with the customer.",
        "sfa.meeting": "A meeting with the customer, in person or online.",
        "sfa.visit": "A rep's visit to the customer, with its check-in location.",
        "sfa.email": "An e-mail exchanged with the customer by a rep.",
        "sfa.task": "A task about the customer, with a due time.",
        "sfa.quote_sent": "A quote was sent to the customer.",
        "sfa.deal_handed_off": "An inside rep handed a deal to a field rep, with a note.",
        "sfa.quote_accepted": "The customer accepted a quote; an order was placed.",
    }


@hookimpl
async def customer_merge(
    source_id: uuid.UUID, target_id: uuid.UUID, session: AsyncSession, journal: Any
) -> None:
    from unicrm.plugins.sfa.services.privacy import merge

    await merge(session, source_id, target_id, journal)


@hookimpl
async def customer_export(customer_id: uuid.UUID, session: AsyncSession) -> dict[str, Any]:
    from unicrm.plugins.sfa.services.privacy import export

    return await export(session, customer_id)


@hookimpl
async def customer_erase(customer_id: uuid.UUID, session: AsyncSession) -> None:
    from unicrm.plugins.sfa.services.privacy import erase

    await erase(session, customer_id)


@hookimpl
async def seed_demo_data(session: AsyncSession, size: int, rng: random.Random) -> None:
    from unicrm.plugins.sfa.demo import seed

    await seed(session, size, rng)
