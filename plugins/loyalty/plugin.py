"""Everything the loyalty plugin contributes, in one place."""

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
        name="loyalty",
        version="0.1.0",
        title="Loyalty",
        description="Programmes, members, a points ledger, earn rules, tiers and rewards.",
    )


@hookimpl
def register_models() -> list[ModuleType]:
    from unicrm.plugins.loyalty import models

    return [models]


@hookimpl
def register_migrations() -> Migrations:
    return Migrations("loyalty", str(HERE / "migrations" / "versions"))


@hookimpl
def register_permissions() -> list[Permission]:
    from unicrm.plugins.loyalty.permissions import PERMISSIONS

    return PERMISSIONS


@hookimpl
def register_default_roles() -> list[RoleGrant]:
    from unicrm.plugins.loyalty.permissions import ROLES

    return ROLES


@hookimpl
def graphql_query() -> type:
    from unicrm.plugins.loyalty.graphql.queries import LoyaltyQuery

    return LoyaltyQuery


@hookimpl
def graphql_mutation() -> type:
    from unicrm.plugins.loyalty.graphql.mutations import LoyaltyMutation

    return LoyaltyMutation


@hookimpl
def graphql_subscription() -> type:
    from unicrm.plugins.loyalty.graphql.subscriptions import LoyaltySubscription

    return LoyaltySubscription


@hookimpl
def graphql_types() -> list[type]:
    from unicrm.plugins.loyalty.graphql.types import LoyaltyMember, LoyaltyProgram, LoyaltyReward

    return [LoyaltyMember, LoyaltyProgram, LoyaltyReward]


@hookimpl
def graphql_type_fields() -> dict[str, list[Any]]:
    from unicrm.plugins.loyalty.graphql.core_fields import type_fields

    return type_fields()


@hookimpl
def graphql_loaders() -> dict[str, Any]:
    from unicrm.plugins.loyalty.graphql.loaders import LOADERS

    return LOADERS


@hookimpl
def register_jobs() -> list[Any]:
    from unicrm.plugins.loyalty.jobs import JOB_TYPES, SCHEDULES

    return [*JOB_TYPES, *SCHEDULES]


@hookimpl
def register_routes() -> list[Any]:
    from unicrm.plugins.loyalty.routes import ROUTES

    return ROUTES


@hookimpl
def segment_filters() -> list[Any]:
    from unicrm.plugins.loyalty.segments import FILTERS

    return list(FILTERS)


@hookimpl
def customer_timeline_kinds() -> dict[str, str]:
    return {
        "loyalty.member_enrolled": "The customer joined a loyalty programme.",
        "loyalty.points_changed": "Points were redeemed, adjusted, transferred or expired.",
        "loyalty.tier_changed": "The member moved to another tier.",
    }


@hookimpl
async def customer_merge(
    source_id: uuid.UUID, target_id: uuid.UUID, session: AsyncSession, journal: Any
) -> None:
    from unicrm.plugins.loyalty.services.members import merge_members

    await merge_members(session, source_id, target_id, journal)


async def _check_ins(session: AsyncSession, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    """The check-ins of the customer's memberships (they carry the member, not the customer)."""
    from sqlalchemy import select

    from unicrm.core.graph.merge.journal import jsonable
    from unicrm.plugins.loyalty.models import CheckIn, Member

    stmt = (
        select(CheckIn.__table__)
        .join(Member, Member.id == CheckIn.member_id)
        .where(Member.customer_id == customer_id)
        .order_by(CheckIn.checked_in_at, CheckIn.id)
    )
    return [jsonable(dict(row)) for row in (await session.execute(stmt)).mappings()]


@hookimpl
async def customer_export(customer_id: uuid.UUID, session: AsyncSession) -> dict[str, Any]:
    from unicrm.core.privacy.rows import export_rows
    from unicrm.plugins.loyalty import models

    sections = {
        "loyalty_members": await export_rows(session, models.Member, customer_id),
        "loyalty_ledger_entries": await export_rows(
            session, models.LedgerEntry, customer_id, order_by=[models.LedgerEntry.created_at]
        ),
        "loyalty_pos_transactions": await export_rows(
            session, models.PosTransaction, customer_id, order_by=[models.PosTransaction.created_at]
        ),
        "loyalty_redemptions": await export_rows(
            session, models.Redemption, customer_id, order_by=[models.Redemption.created_at]
        ),
        "loyalty_coupons": await export_rows(
            session, models.Coupon, customer_id, order_by=[models.Coupon.issued_at]
        ),
        "loyalty_check_ins": await _check_ins(session, customer_id),
    }
    return {name: rows for name, rows in sections.items() if rows}  # like core: no empty ones


@hookimpl
async def customer_erase(customer_id: uuid.UUID, session: AsyncSession) -> None:
    """Delete the memberships (a card number identifies the person and points mean nothing
    without them; their check-ins go with them), their transactions, redemptions and coupons;
    ledger entries stay, anonymised, so every posting still balances."""
    from unicrm.core.privacy.rows import erase_rows
    from unicrm.plugins.loyalty import models
    from unicrm.plugins.loyalty.services.ledger import anonymise_entries

    await anonymise_entries(session, customer_id)
    for model in (models.Coupon, models.Redemption, models.PosTransaction, models.Member):
        await erase_rows(session, model, customer_id)


@hookimpl
async def seed_demo_data(session: AsyncSession, size: int, rng: random.Random) -> None:
    from unicrm.plugins.loyalty.demo import seed

    await seed(session, size, rng)
