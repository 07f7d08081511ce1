"""Check-ins: a member shows their card at a store without buying; the store's staff see it
live, and it counts as a visit for missions without line conditions."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.db.ids import uuid7
from unicrm.core.db.types import utcnow
from unicrm.core.errors import DomainError
from unicrm.core.events.outbox import emit
from unicrm.plugins.loyalty.events import MemberCheckedIn
from unicrm.plugins.loyalty.models import CheckIn, Member
from unicrm.plugins.loyalty.services import config, ledger, missions
from unicrm.plugins.loyalty.services.members import member_key, store_by_code


@dataclass
class CheckedIn:
    check_in: CheckIn
    member: Member
    notes: list[str]


async def check_in(
    session: AsyncSession,
    store_code: str,
    *,
    card_number: str | None = None,
    phone: str | None = None,
    qr_value: str | None = None,
    zone: ZoneInfo,
) -> CheckedIn:
    store = await store_by_code(session, store_code, "store_code")
    found = await config.lock_sale_member(session, member_key(card_number, phone, qr_value))
    if found is None:
        raise DomainError.single(
            "MEMBER_NOT_FOUND", "no member with this card or phone", "card_number"
        )
    member, settings = found
    ledger.check_active(member, "card_number")
    now = utcnow()
    row = CheckIn(id=uuid7(), member_id=member.id, store_id=store.id, checked_in_at=now)
    session.add(row)
    notes = await missions.after_visit(session, member, settings, now, now.astimezone(zone).date())
    emit(
        session,
        "loyalty.member_checked_in",
        MemberCheckedIn(member_id=str(member.id), store_id=str(store.id), store_code=store.code),
        customer_id=member.customer_id,
    )
    await session.flush()
    return CheckedIn(row, member, notes)
