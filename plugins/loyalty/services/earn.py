"""Earn rules: how many points a purchase earns, and the sentence that explains it.

Base points: the eligible amount (lines no exclusion rule matches) x the tier's base rate
(``points`` per ``per_amount``) x the tier's earn multiplier, rounded down. Each active rule
then adds its bonus: ``(multiplier - 1)`` x the base points of the lines it matches, plus its
fixed ``bonus_points`` when a line matches, bounded by its caps per transaction and per member
per business day. Fractions are always rounded down, once per part.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.errors import DomainError, FieldError
from unicrm.core.graph.orders.conflicts import insert_or_skip
from unicrm.core.graph.products.models import Product
from unicrm.plugins.loyalty.models import EarnRate, EarnRule, Member, Program, RuleUsage
from unicrm.plugins.loyalty.services.config import ProgramConfig, bump


@dataclass
class Line:
    """One line of a POS transaction: ``amount`` is what the line cost in total."""

    sku: str
    quantity: int
    amount: Decimal
    category: str | None = None
    modifiers: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Earned:
    base: int
    bonuses: list[tuple[str, int]]
    explanation: str
    capped: list[tuple[uuid.UUID, int]] = field(default_factory=list)
    """The bonuses of day-capped rules, by rule id, for ``record_usage``."""

    @property
    def points(self) -> int:
        return self.base + sum(p for _, p in self.bonuses)


def number(value: Decimal) -> str:
    """1200 → ``1,200``; 12.5 → ``12.50``: amounts as a receipt prints them."""
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def factor(value: Decimal) -> str:
    """1 → ``1.0``; 1.25 → ``1.25``."""
    text = f"{value.normalize():f}"
    return text if "." in text else text + ".0"


def check_lines(lines: list[Line]) -> None:
    errors: list[FieldError] = []
    if not lines:
        errors.append(FieldError("REQUIRED", "a transaction has at least one line", "lines"))
    if len(lines) > 500:
        errors.append(FieldError("INVALID", "at most 500 lines", "lines"))
    for i, line in enumerate(lines):
        if not line.sku or len(line.sku) > 64:
            errors.append(FieldError("INVALID", "a SKU is 1 to 64 characters", f"lines.{i}.sku"))
        if line.quantity <= 0:
            errors.append(FieldError("INVALID", "quantity must be positive", f"lines.{i}.quantity"))
        if line.amount < 0 or line.amount > Decimal("1e12"):
            errors.append(FieldError("INVALID", "amount must be 0 to 10^12", f"lines.{i}.amount"))
    if errors:
        raise DomainError(*errors)


async def fill_categories(session: AsyncSession, lines: list[Line]) -> None:
    """Lines the POS sent without a category take their product's (one query for all)."""
    missing = {line.sku for line in lines if line.category is None}
    if not missing:
        return
    found = dict(
        (
            await session.execute(
                select(Product.sku, Product.category).where(Product.sku.in_(missing))
            )
        ).all()
    )
    for line in lines:
        if line.category is None:
            line.category = found.get(line.sku)


class LineCondition(Protocol):
    """What a line must carry (each None: anything): an earn rule's or a mission's."""

    sku: str | None
    category: str | None
    modifier: str | None


def matches(rule: LineCondition, line: Line) -> bool:
    if rule.sku is not None and line.sku != rule.sku:
        return False
    if rule.category is not None:
        category = line.category or ""
        if category != rule.category and not category.startswith(rule.category + "/"):
            return False
    return rule.modifier is None or rule.modifier in line.modifiers


def rate_for(config: ProgramConfig, currency: str, tier: str) -> Row[Any]:
    """The tier's own rate of the currency, else the programme's rate for every tier."""
    rates = [r for r in config.rates if r.currency == currency and r.tier in (tier, None)]
    if not rates:
        raise DomainError.single(
            "NO_EARN_RATE", f"the program earns nothing in {currency}", "currency"
        )
    return min(rates, key=lambda r: r.tier is None)


async def _used_today(
    session: AsyncSession, rules: list[Row[Any]], member_id: uuid.UUID, day: date
) -> dict[uuid.UUID, int]:
    capped = [r.id for r in rules if r.cap_per_day is not None]
    if not capped:
        return {}
    await session.flush()  # a batch's earlier sales of the day count (it runs unflushed)
    rows = await session.execute(
        select(RuleUsage.rule_id, RuleUsage.points).where(
            RuleUsage.rule_id.in_(capped), RuleUsage.member_id == member_id, RuleUsage.day == day
        )
    )
    return {rule_id: points for rule_id, points in rows.all()}


async def record_usage(
    session: AsyncSession, earned: Earned, member_id: uuid.UUID, day: date
) -> None:
    """Count the day-capped bonuses of ``earned`` against the member's day."""
    for rule_id, points in earned.capped:
        key = {"rule_id": rule_id, "member_id": member_id, "day": day}
        if not await insert_or_skip(session, RuleUsage, {**key, "points": points}, tuple(key)):
            usage = await session.get_one(RuleUsage, (rule_id, member_id, day))
            usage.points += points


async def compute(
    session: AsyncSession,
    member: Member,
    config: ProgramConfig,
    currency: str,
    lines: list[Line],
    occurred_at: datetime,
    day: date,
) -> Earned:
    """The points ``lines`` earn ``member`` (locked) and their explanation. Reads nothing
    but the day-capped rules' usage; ``record_usage`` then counts what was given."""
    rate = rate_for(config, currency, member.tier)
    tier = config.tier(member.tier)
    multiplier = Decimal(1) if tier is None else tier.earn_multiplier
    tier_name = member.tier.title() if tier is None else tier.name
    rules = [
        r
        for r in config.rules
        if (r.starts_at is None or r.starts_at <= occurred_at)
        and (r.ends_at is None or occurred_at < r.ends_at)
    ]
    exclusions = [r for r in rules if r.exclude]
    eligible = [line for line in lines if not any(matches(r, line) for r in exclusions)]
    per_unit = Decimal(rate.points) / rate.per_amount * multiplier

    def base_of(chosen: list[Line]) -> Decimal:
        return sum((line.amount for line in chosen), Decimal(0)) * per_unit

    spent = sum((line.amount for line in eligible), Decimal(0))
    base = math.floor(base_of(eligible))
    parts = [
        f"+{base:,} points: {number(spent)} {currency} \u00d7 {tier_name} {factor(multiplier)} rate"
    ]
    excluded = sum((line.amount for line in lines), Decimal(0)) - spent
    if excluded:
        parts[0] += f" ({number(excluded)} {currency} not eligible)"
    used = await _used_today(session, rules, member.id, day)
    bonuses: list[tuple[str, int]] = []
    capped: list[tuple[uuid.UUID, int]] = []
    for rule in rules:
        if rule.exclude:
            continue
        matched = [line for line in eligible if matches(rule, line)]
        if not matched:
            continue
        bonus = math.floor(base_of(matched) * (rule.multiplier - 1)) + rule.bonus_points
        if rule.cap_per_transaction is not None:
            bonus = min(bonus, rule.cap_per_transaction)
        if rule.cap_per_day is not None:
            bonus = min(bonus, max(rule.cap_per_day - used.get(rule.id, 0), 0))
            if bonus > 0:
                capped.append((rule.id, bonus))
        if bonus > 0:
            bonuses.append((rule.name, bonus))
            parts.append(f"+{bonus:,} bonus: {rule.name}")
    return Earned(base, bonuses, "; ".join(parts), capped)


async def _program_id(session: AsyncSession, code: str) -> uuid.UUID:
    found = await session.scalar(select(Program.id).where(Program.code == code))
    if found is None:
        raise DomainError.single("PROGRAM_NOT_FOUND", "no such program", "program_code")
    return found


async def set_rate(
    session: AsyncSession,
    program_code: str,
    currency: str,
    tier: str | None,
    points: int,
    per_amount: Decimal,
) -> EarnRate:
    """Set the base rate of a currency (and tier): ``points`` per ``per_amount`` spent."""
    errors = []
    if len(currency) != 3 or not currency.isalpha():
        errors.append(FieldError("INVALID", "a currency is an ISO 4217 code", "currency"))
    if not 0 <= points <= 10**6:
        errors.append(FieldError("INVALID", "points are 0 to 1,000,000", "points"))
    if per_amount <= 0:
        errors.append(FieldError("INVALID", "the amount is positive", "per_amount"))
    if errors:
        raise DomainError(*errors)
    program_id = await _program_id(session, program_code)
    currency = currency.upper()
    rate = await session.scalar(
        select(EarnRate).where(
            EarnRate.program_id == program_id,
            EarnRate.currency == currency,
            EarnRate.tier.is_(None) if tier is None else EarnRate.tier == tier,
        )
    )
    if rate is None:
        rate = EarnRate(id=uuid7(), program_id=program_id, currency=currency, tier=tier)
        session.add(rate)
    rate.points, rate.per_amount = points, per_amount
    await bump(session, program_id)
    await session.flush()
    return rate


@dataclass
class RuleData:
    program_code: str
    name: str
    sku: str | None = None
    category: str | None = None
    modifier: str | None = None
    multiplier: Decimal = Decimal(1)
    bonus_points: int = 0
    exclude: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    cap_per_transaction: int | None = None
    cap_per_day: int | None = None


async def create_rule(session: AsyncSession, data: RuleData) -> EarnRule:
    errors = []
    if not data.name.strip() or len(data.name) > 200:
        errors.append(FieldError("INVALID", "a name is 1 to 200 characters", "name"))
    if not Decimal(0) <= data.multiplier <= Decimal(100):
        errors.append(FieldError("INVALID", "a multiplier is 0 to 100", "multiplier"))
    if not 0 <= data.bonus_points <= 10**9:
        errors.append(FieldError("INVALID", "a bonus is 0 to 10^9 points", "bonus_points"))
    if data.exclude and data.sku is None and data.category is None and data.modifier is None:
        errors.append(
            FieldError("REQUIRED", "an exclusion names a SKU, a category or a modifier", "exclude")
        )
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        errors.append(FieldError("INVALID", "a promotion ends after it starts", "ends_at"))
    for name in ("cap_per_transaction", "cap_per_day"):
        cap = getattr(data, name)
        if cap is not None and cap < 0:
            errors.append(FieldError("INVALID", "a cap is not negative", name))
    if errors:
        raise DomainError(*errors)
    program_id = await _program_id(session, data.program_code)
    rule = EarnRule(
        id=uuid7(),
        program_id=program_id,
        name=data.name.strip(),
        sku=data.sku,
        category=data.category,
        modifier=data.modifier,
        multiplier=data.multiplier,
        bonus_points=data.bonus_points,
        exclude=data.exclude,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        cap_per_transaction=data.cap_per_transaction,
        cap_per_day=data.cap_per_day,
        active=True,
    )
    session.add(rule)
    await bump(session, program_id)
    await session.flush()
    return rule
