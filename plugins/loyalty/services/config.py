"""What a POS sale needs of its programme, read once per programme and rules version.

A sale reads the programme's rates, earn rules, tiers and missions; they change rarely and
sales come by the thousand. Every change of them moves ``Program.rules_version`` in the
changing transaction (``bump``), and a sale reads the version with its member's lock
(``lock_sale_member``), so a process reuses what it read for as long as the version stands
and reads again after any change committed anywhere. The rows are kept as immutable Core
rows (attribute access like the models'), never as session-bound objects.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.plugins.loyalty.models import EarnRate, EarnRule, Member, Mission, Program, Tier


@dataclass(frozen=True, slots=True)
class ProgramConfig:
    version: int
    program: Row[Any]
    rates: tuple[Row[Any], ...]
    rules: tuple[Row[Any], ...]
    """Active rules, by name then id (the order their bonuses are explained in)."""
    tiers: tuple[Row[Any], ...]
    """Highest rank first."""
    missions: tuple[Row[Any], ...]
    """Active missions."""

    def tier(self, code: str) -> Row[Any] | None:
        return next((t for t in self.tiers if t.code == code), None)


_cache: dict[uuid.UUID, ProgramConfig] = {}


async def bump(session: AsyncSession, program_id: uuid.UUID) -> None:
    """Say the programme's rates, rules, tiers or missions change in this transaction."""
    await session.execute(
        update(Program)
        .where(Program.id == program_id)
        .values(rules_version=Program.rules_version + 1)
        .execution_options(synchronize_session=False)
    )


async def _rows(session: AsyncSession, stmt: Any) -> tuple[Row[Any], ...]:
    return tuple((await session.execute(stmt)).all())


async def program_config(
    session: AsyncSession, program_id: uuid.UUID, version: int
) -> ProgramConfig:
    """The programme's configuration as of ``version`` (read now when not cached)."""
    cached = _cache.get(program_id)
    if cached is not None and cached.version == version:
        return cached
    program = Program.__table__
    [program_row] = await _rows(session, select(program).where(program.c.id == program_id))
    rates = await _rows(
        session, select(EarnRate.__table__).where(EarnRate.__table__.c.program_id == program_id)
    )
    rule = EarnRule.__table__
    rules = await _rows(
        session,
        select(rule)
        .where(rule.c.program_id == program_id, rule.c.active.is_(True))
        .order_by(rule.c.name, rule.c.id),
    )
    tier = Tier.__table__
    tiers = await _rows(
        session, select(tier).where(tier.c.program_id == program_id).order_by(tier.c.rank.desc())
    )
    mission = Mission.__table__
    missions = await _rows(
        session,
        select(mission).where(mission.c.program_id == program_id, mission.c.active.is_(True)),
    )
    config = ProgramConfig(version, program_row, rates, rules, tiers, missions)
    _cache[program_id] = config
    return config


async def lock_sale_member(
    session: AsyncSession, where: Any
) -> tuple[Member, ProgramConfig] | None:
    """The member ``where`` names, locked, with their programme's configuration: one
    statement when the configuration is cached."""
    found = (
        await session.execute(
            select(Member, Program.rules_version)
            .join(Program, Program.id == Member.program_id)
            .where(where)
            .order_by(Member.enrolled_at)
            .limit(1)
            .with_for_update(of=Member)
            .execution_options(populate_existing=True)
        )
    ).first()
    if found is None:
        return None
    member, version = found
    return member, await program_config(session, member.program_id, version)
