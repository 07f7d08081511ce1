"""Sessions, their rotating refresh tokens, and revocation.

``start_session`` signs a user in (after a password, a single sign-on, ...) and answers with
an access token and a refresh token. A refresh token is random, stored only as its SHA-256,
and good for one use: ``refresh_session`` marks it used and issues a new pair. Presenting a
used refresh token again means it was copied, so the whole session is revoked.

A revoked session's access tokens stop working: ``session_is_active`` is one primary-key
lookup, cached in the process for ``auth.session_cache_seconds`` (default 5 s). Revocation
clears the cache of the process that revokes, so other worker processes accept the old
tokens for at most that long.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from unicrm.core.authz.models import AuthSession, RefreshToken
from unicrm.core.authz.tokens import InvalidToken, issue_access_token
from unicrm.core.config import Settings, get_settings
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
    return await _issue(session, auth_session, settings)
