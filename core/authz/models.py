"""The tables of authentication: sessions and their refresh tokens, API keys, login throttles
and TOTP second factors. Secrets are never stored: only SHA-256 hashes of random tokens and
argon2id hashes of passwords (on ``app_user``); the TOTP seed is the one exception, because
verifying a code needs it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow


class AuthSession(IdMixin, Base):
    """One sign-in of a user (one device); access tokens name it in their ``sid`` claim."""

    __tablename__ = "auth_session"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[str] = mapped_column(String(40))
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))


class RefreshToken(Base):
    """A refresh token of a session, by the SHA-256 of its value. A used token stays here
    (``used_at`` set) so that presenting it again is recognised as theft."""

    __tablename__ = "auth_refresh_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_session.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ApiKey(IdMixin, Base):
    """A key for an integration, scoped to one department and one role."""

    __tablename__ = "api_key"

    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Recent failed sign-ins of one account or one client address (``key`` is a hash)."""

    __tablename__ = "auth_login_throttle"
    __table_args__ = (Index("ix_auth_login_throttle_window", "window_started_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]


class TotpCredential(Base):
    """A user's TOTP second factor; active once confirmed with a first valid code."""

    __tablename__ = "auth_totp"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    last_step: Mapped[int | None]
