"""Sessions, their rotating refresh tokens, and revocation.

``start_session`` signs a user in (after a password, a single sign-on, ...) and answers with
an access token and a refresh token. A refresh token is random, stored only as its SHA-256,
and good for one use: ``refresh_session`` marks it used and issues a new pair. Presenting a
used refresh token again means it was copied, so the whole session is revoked.

A revoked session's access tokens stop working: ``active_session`` is one primary-key
lookup, cached in the process for ``auth.session_cache_seconds`` (default 5 s). Revocation
clears the cache of the process that revokes, so other worker processes accept the old
tokens for at most that long.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz import auth_audit
from unicrm.core.authz.models import AuthSession, RefreshToken
from unicrm.core.authz.tokens import InvalidToken, issue_access_token
from unicrm.core.config import Settings, get_settings
from unicrm.core.db.database import Database
from unicrm.core.db.types import utcnow
from unicrm.core.graph.users.models import User

MAX_USER_AGENT = 300
MAX_ADDRESS = 64
CACHE_LIMIT = 50_000


class InvalidGrant(InvalidToken):
    """A refresh token that is unknown, expired, already used or of a revoked session."""


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """What a sign-in or a refresh answers with; the tokens are shown to the client only."""

    session_id: uuid.UUID
    user_id: uuid.UUID
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime
    token_type: str = "Bearer"

    def __repr__(self) -> str:  # never print the tokens
        return f"IssuedTokens(session_id={self.session_id}, user_id={self.user_id})"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _issue(
    session: AsyncSession, auth_session: AuthSession, settings: Settings
) -> IssuedTokens:
    refresh = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            token_hash=token_hash(refresh),
            session_id=auth_session.id,
            expires_at=auth_session.expires_at,
        )
    )
    access, access_expires = issue_access_token(
        settings, user_id=auth_session.user_id, session_id=auth_session.id
    )
    await session.flush()
    return IssuedTokens(
        session_id=auth_session.id,
        user_id=auth_session.user_id,
        access_token=access,
        access_token_expires_at=access_expires,
        refresh_token=refresh,
        refresh_token_expires_at=auth_session.expires_at,
    )


async def start_session(
    session: AsyncSession,
    user: User,
    *,
    client_address: str | None,
    user_agent: str | None,
    method: str = "password",
    settings: Settings | None = None,
) -> IssuedTokens:
    """Sign ``user`` in: a new session with its first access and refresh tokens.

    Runs in the caller's transaction. ``method`` records how the user proved who they are
    (``password``, ``sso``, ...). ``settings`` defaults to the process settings.
    """
    if not user.is_active:
        raise InvalidGrant("the user is disabled")
    settings = settings or get_settings()
    now = utcnow()
    auth_session = AuthSession(
        user_id=user.id,
        method=method,
        client_address=(client_address or None) and client_address[:MAX_ADDRESS],
        user_agent=(user_agent or None) and user_agent[:MAX_USER_AGENT],
        created_at=now,
        refreshed_at=now,
        expires_at=now + timedelta(days=settings.auth.refresh_token_days),
    )
    session.add(auth_session)
    await session.flush()
    await auth_audit.sign_in(
        session,
        actor=auth_audit.user_actor(user.id, user.display_name),
        method=method,
        session_id=auth_session.id,
        client_address=auth_session.client_address,
    )
    return await _issue(session, auth_session, settings)


async def refresh_session(db: Database, refresh_token: str, *, settings: Settings) -> IssuedTokens:
    """Trade a refresh token for a new access and refresh token (its own transaction).

    A used token presented again revokes its session, and that revocation is committed
    even though the call fails with ``InvalidGrant``.
    """
    now = utcnow()
    digest = token_hash(refresh_token)
    reused: uuid.UUID | None = None
    tokens: IssuedTokens | None = None
    async with db.transaction() as session:
        claimed = await session.execute(
            update(RefreshToken)
            .where(RefreshToken.token_hash == digest, RefreshToken.used_at.is_(None))
            .values(used_at=now)
            .returning(RefreshToken.session_id, RefreshToken.expires_at)
        )
        row = claimed.first()
        if row is None:
            reused = await session.scalar(
                select(RefreshToken.session_id).where(RefreshToken.token_hash == digest)
            )
            if reused is not None:
                await _revoke(session, [reused], "refresh_token_reuse", now)
                await _audit_refresh(session, reused, "refresh_token_reuse")
        else:
            tokens = await _rotate(session, row.session_id, row.expires_at, now, settings)
    if row is None:
        if reused is not None:
            raise InvalidGrant("the refresh token was already used; the session is revoked")
        raise InvalidGrant("the refresh token is invalid")
    if tokens is None:
        raise InvalidGrant("the refresh token has expired or its session has ended")
    return tokens


async def _rotate(
    session: AsyncSession,
    session_id: uuid.UUID,
    expires_at: datetime,
    now: datetime,
    settings: Settings,
) -> IssuedTokens | None:
    auth_session = await session.get(AuthSession, session_id)
    if auth_session is None or auth_session.revoked_at is not None or expires_at <= now:
        return None
    active = await session.scalar(select(User.is_active).where(User.id == auth_session.user_id))
    if not active:
        return None
    auth_session.refreshed_at = now
    await _audit_refresh(session, session_id, "ok")
    return await _issue(session, auth_session, settings)


async def _audit_refresh(session: AsyncSession, session_id: uuid.UUID, outcome: str) -> None:
    found = (
        await session.execute(
            select(User.id, User.display_name)
            .join(AuthSession, AuthSession.user_id == User.id)
            .where(AuthSession.id == session_id)
        )
    ).first()
    if found is not None:
        actor = auth_audit.user_actor(found.id, found.display_name)
        await auth_audit.refreshed(session, actor=actor, session_id=session_id, outcome=outcome)


async def _revoke(
    session: AsyncSession, session_ids: list[uuid.UUID], reason: str, now: datetime
) -> int:
    if not session_ids:
        return 0
    result = await session.execute(
        update(AuthSession)
        .where(AuthSession.id.in_(session_ids), AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    for session_id in session_ids:
        _active_cache.pop(session_id, None)
    return result.rowcount or 0


async def revoke_session(session: AsyncSession, session_id: uuid.UUID, reason: str) -> bool:
    """End one session (sign-out); its tokens stop working. False when already ended."""
    return await _revoke(session, [session_id], reason, utcnow()) == 1


async def revoke_user_sessions(session: AsyncSession, user_id: uuid.UUID, reason: str) -> int:
    """End every open session of a user; the number ended."""
    ids = list(
        await session.scalars(
            select(AuthSession.id).where(
                AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
            )
        )
    )
    return await _revoke(session, ids, reason, utcnow())


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """An open session and what a request needs of its user."""

    session_id: uuid.UUID
    user_id: uuid.UUID
    display_name: str
    primary_department_id: uuid.UUID | None
    method: str


_active_cache: dict[uuid.UUID, tuple[ActiveSession | None, float]] = {}


async def active_session(
    db: Database, session_id: uuid.UUID, *, settings: Settings
) -> ActiveSession | None:
    """The session an access token names, if it is open (not revoked, not expired) and its
    user is active; else None.

    One primary-key lookup joined to the user, remembered for ``auth.session_cache_seconds``.
    """
    ttl = settings.auth.session_cache_seconds
    cached = _active_cache.get(session_id)
    if cached is not None and time.monotonic() - cached[1] < ttl:
        return cached[0]
    async with db.session() as session:
        row = (
            await session.execute(
                select(
                    AuthSession.user_id,
                    AuthSession.method,
                    AuthSession.revoked_at,
                    AuthSession.expires_at,
                    User.display_name,
                    User.primary_department_id,
                    User.is_active,
                )
                .join(User, User.id == AuthSession.user_id)
                .where(AuthSession.id == session_id)
            )
        ).first()
    found = None
    if row is not None and row.revoked_at is None and row.expires_at > utcnow() and row.is_active:
        found = ActiveSession(
            session_id=session_id,
            user_id=row.user_id,
            display_name=row.display_name,
            primary_department_id=row.primary_department_id,
            method=row.method,
        )
    if ttl > 0:
        if len(_active_cache) >= CACHE_LIMIT:
            _active_cache.clear()
        _active_cache[session_id] = (found, time.monotonic())
    return found
