"""Throttling of failed sign-ins, per account and per client address.

Failures are counted in ``auth_login_throttle`` (so the limits hold across worker
processes) under a SHA-256 of the account's e-mail or the client's address. After
``auth.max_failures_per_account`` (or ``..._per_address``) failures within
``auth.failure_window_seconds``, sign-ins for that key are refused for
``auth.lockout_seconds`` with RATE_LIMITED (HTTP 429 and ``Retry-After``). A successful
sign-in clears the account's count.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.models import LoginThrottle
from unicrm.core.config import AuthSettings
from unicrm.core.db.types import utcnow
from unicrm.core.errors import RateLimited


class LoginThrottled(RateLimited):
    """Too many failed sign-ins; ``retry_after`` is in whole seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed sign-in attempts; try again later")
        self.retry_after = retry_after

    @property
    def extensions(self) -> dict[str, str | int]:
        return {"code": self.code, "retryAfter": self.retry_after}


@dataclass(frozen=True, slots=True)
class ThrottleKey:
    key: str
    limit: int


def keys(settings: AuthSettings, account: str, address: str | None) -> list[ThrottleKey]:
    """The throttle keys of a sign-in: the account (normalized login), and the address."""
    found = [ThrottleKey(_digest("account", account), settings.max_failures_per_account)]
    if address:
        found.append(ThrottleKey(_digest("address", address), settings.max_failures_per_address))
    return found


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


async def check(session: AsyncSession, throttle_keys: list[ThrottleKey]) -> None:
    """Raise ``LoginThrottled`` while any key is locked out."""
    now = utcnow()
    locks = await session.scalars(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.key.in_([k.key for k in throttle_keys]),
            LoginThrottle.locked_until > now,
        )
    )
    latest = max(locks, default=None)
    if latest is not None:
        raise LoginThrottled(max(1, math.ceil((latest - now).total_seconds())))


async def record_failure(
    session: AsyncSession, throttle_keys: list[ThrottleKey], settings: AuthSettings
) -> None:
    """Count one failed sign-in against every key, locking those that reach their limit."""
    now = utcnow()
    window = timedelta(seconds=settings.failure_window_seconds)
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    for throttle_key in throttle_keys:
        await session.execute(
            insert(LoginThrottle)
            .values(key=throttle_key.key, failures=0, window_started_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = await session.scalar(
            select(LoginThrottle).where(LoginThrottle.key == throttle_key.key).with_for_update()
        )
        if row is None:  # pruned by a concurrent sign-in between the two statements
            continue
        if _window_over(row, now, window):
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= throttle_key.limit:
            row.locked_until = now + timedelta(seconds=settings.lockout_seconds)
    await session.flush()
    await _prune(session, now - window - timedelta(seconds=settings.lockout_seconds))


async def _prune(session: AsyncSession, before: datetime) -> None:
    """Forget counts whose window and lockout are both over (one indexed delete)."""
    await session.execute(delete(LoginThrottle).where(LoginThrottle.window_started_at < before))


def _window_over(row: LoginThrottle, now: datetime, window: timedelta) -> bool:
    if row.locked_until is not None:
        return row.locked_until <= now
    return row.window_started_at + window <= now


async def clear(session: AsyncSession, throttle_key: ThrottleKey) -> None:
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == throttle_key.key))
