"""Demo data for ``unicrm demo``: the ``club`` programme with tiers, earn rules, rewards,
coupon offers (a birthday one) and missions;
about half the customers are members who bought at a store (POS sales through the same
service as production), some redeemed a reward."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.config import get_settings
from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.stores.models import Store
from unicrm.plugins.loyalty.models import (
    BirthdayIssue,
    CouponKind,
    EnrollmentChannel,
    Member,
    MemberType,
    MissionKind,
    Program,
    Reward,
)
from unicrm.plugins.loyalty.services import coupons, earn, members, missions, pos, rewards, tiers

TIERS = (
    ("silver", "Silver", 0, None, "1", "Birthday coupon"),
    ("gold", "Gold", 1, 1_000, "1.5", "x1.5 points, free delivery"),
    ("platinum", "Platinum", 2, 5_000, "2", "x2 points, lounge access, exclusive rewards"),
)
REWARDS = (
    ("COFFEE", "Iced coffee", 100, None, ()),
    ("TOTE", "Tote bag", 400, 50, ()),
    ("VOUCHER500", "500 THB voucher", 2_000, 200, ()),
    ("LOUNGE", "Lounge pass", 1_500, 20, ("platinum",)),
)
MENU = (
    ("KAPRAO", "food/rice", Decimal("89"), []),
    ("KHAOMANGAI", "food/rice", Decimal("75"), ["no pork skin"]),
    ("THAITEA", "drinks/tea", Decimal("45"), []),
    ("PADTHAI", "food/noodles", Decimal("120"), []),
    ("CIG", "tobacco", Decimal("160"), []),
)


async def _program(session: AsyncSession) -> Program:
    found = await session.scalar(select(Program).where(Program.code == "club"))
    if found is not None:
        return found
    program = await members.create_program(
        session,
        members.ProgramData(
            code="club",
            name="UniCRM Club",
            currency="THB",
            member_types=[("general", "General"), ("vip", "VIP"), ("staff", "Staff")],
        ),
    )
    await earn.set_rate(session, "club", "THB", None, 1, Decimal(25))
    for code, name, rank, points, mult, benefits in TIERS:
        await tiers.save_tier(
            session,
            tiers.TierData("club", code, name, rank, Decimal(mult), points, None, 12, 1, benefits),
        )
    await earn.create_rule(
        session,
        earn.RuleData(
            "club",
            "Double points on noodles",
            category="food/noodles",
            multiplier=Decimal(2),
            cap_per_day=200,
        ),
    )
    await earn.create_rule(
        session, earn.RuleData("club", "Tobacco earns nothing", category="tobacco", exclude=True)
    )
    for code, name, price, stock, only in REWARDS:
        await rewards.create_reward(
            session, rewards.RewardData("club", code, name, price, stock, tiers=list(only))
        )
    await coupons.create_offer(
        session,
        coupons.OfferData(
            "club",
            "FREEDEL",
            "Free delivery",
            CouponKind.FREE_DELIVERY,
            min_spend=Decimal(300),
            valid_days=30,
        ),
    )
    await coupons.create_offer(
        session,
        coupons.OfferData(
            "club",
            "BDAY100",
            "Birthday 100 THB off",
            CouponKind.AMOUNT,
            value=Decimal(100),
            valid_days=31,
            birthday=BirthdayIssue.MONTH,
        ),
    )
    await missions.create_mission(
        session,
        missions.MissionData(
            "club",
            "NOSKIN10",
            "10 plates without pork skin",
            MissionKind.ITEMS,
            10,
            "FREEDEL",
            sku="KHAOMANGAI",
            modifier="no pork skin",
        ),
    )
    await missions.create_mission(
        session,
        missions.MissionData(
            "club", "VISIT2", "Visit twice this year", MissionKind.VISITS, 2, "FREEDEL"
        ),
    )
    return program


async def seed(session: AsyncSession, size: int, rng: random.Random) -> None:
    """Enrol customers who are not members yet, with sales at the first store (when core's
    demo made stores) or a welcome adjustment otherwise."""
    program = await _program(session)
    zone = get_settings().zone
    customer_ids = (
        await session.scalars(
            select(Customer.id)
            .where(~select(Member.id).where(Member.customer_id == Customer.id).exists())
            .order_by(Customer.id.desc())
            .limit(size)
        )
    ).all()
    if not customer_ids:
        return
    general = await session.scalar(
        select(MemberType.id).where(
            MemberType.program_id == program.id, MemberType.code == "general"
        )
    )
    stores = (await session.scalars(select(Store).where(Store.active.is_(True)))).all()
    coffee = await session.scalar(select(Reward.id).where(Reward.code == "COFFEE"))
    now = utcnow()
    for customer_id in rng.sample(customer_ids, k=max(1, len(customer_ids) // 2)):
        store = rng.choice(stores) if stores else None
        member = Member(
            id=uuid7(),
            program_id=program.id,
            customer_id=customer_id,
            member_type_id=general,
            card_number=str(rng.randrange(10**15, 10**16)),
            qr_value=secrets.token_urlsafe(24),
            tier="silver",
            tier_since=now,
            points_balance=0,
            channel=EnrollmentChannel.POS if store else EnrollmentChannel.IMPORT,
            store_id=None if store is None else store.id,
            enrolled_at=now - timedelta(days=rng.randint(1, 3 * 365)),
        )
        session.add(member)
        await session.flush()
        if store is None:
            await rewards.adjust(session, member.id, rng.randrange(50, 3_000), "welcome", zone)
            continue
        for n in range(rng.randint(1, 6)):
            lines = []
            for sku, category, price, mods in rng.sample(MENU, k=rng.randint(1, 3)):
                quantity = rng.randint(1, 4)
                lines.append(earn.Line(sku, quantity, price * quantity, category, list(mods)))
            sale = pos.SaleData(
                store_code=store.code,
                transaction_id=f"DEMO-{member.card_number}-{n}",
                currency="THB",
                lines=lines,
                card_number=member.card_number,
                occurred_at=now - timedelta(days=rng.randint(0, 300)),
            )
            await pos.ingest_sale(session, sale, zone)
        if rng.random() < 0.3:
            try:
                async with session.begin_nested():
                    await rewards.redeem(session, member.id, coffee, zone)
            except DomainError:
                pass  # not enough points yet: the demo shows members of every kind
    await session.flush()
