"""Tables of OpenID Connect single sign-on: pending logins and the links from an identity
provider's subjects to UniCRM users."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow


class OidcLoginAttempt(Base):
    """One started sign-in, waiting for the identity provider to send the browser back.

    Used once: the callback deletes the row it matches, so a replayed state finds nothing.
    ``browser_binding`` is the SHA-256 of a random value kept in the browser's cookie, so a
    callback URL only completes in the browser that started the sign-in.
    """

    __tablename__ = "oidc_login_attempt"
    __table_args__ = (Index("ix_oidc_login_attempt_expires_at", "expires_at"),)

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    browser_binding: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class OidcUserLink(IdMixin, Base):
    """An identity provider's subject (``iss`` + ``sub``) signed in as a UniCRM user.

    ``role`` and ``department_id`` record what a user provisioned just in time was given:
    the configured role in that department. Users linked by e-mail to an existing account
    keep their own roles, and their link has no role.
    """

    __tablename__ = "oidc_user_link"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str | None] = mapped_column(String(100))
    department_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime] = mapped_column(default=utcnow)
