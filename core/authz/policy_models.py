"""The policy tables: rules in casbin's shape, roles, and the version history of both
(authentication's tables are in models.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow


class AuthzRule(IdMixin, Base):
    """One casbin rule: ``p, sub, dom, obj, act, eft`` or ``g, subject, role, dom``.

    ``scope`` (own/team/department/all) applies to allow rules; ``valid_from``/``valid_until``
    bound a time-limited grant; ``is_default`` marks rules written from the default roles.
    """

    __tablename__ = "authz_rule"
    __table_args__ = (Index("ix_authz_rule_ptype_v0", "ptype", "v0"),)

    ptype: Mapped[str] = mapped_column(String(8))
    v0: Mapped[str] = mapped_column(String(255), default="")
    v1: Mapped[str] = mapped_column(String(255), default="")
    v2: Mapped[str] = mapped_column(String(255), default="")
    v3: Mapped[str] = mapped_column(String(255), default="")
    v4: Mapped[str] = mapped_column(String(255), default="")
    v5: Mapped[str] = mapped_column(String(255), default="")
    scope: Mapped[str] = mapped_column(String(16), default="all")
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    is_default: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(255), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthzRole(IdMixin, Base):
    """A role: a default one (declared by core or a plugin) or a custom one.

    A custom role owned by a department (``department``) is managed by that department's
    admins; ``None`` means an organization-wide role.
    """

    __tablename__ = "authz_role"

    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    department: Mapped[str | None] = mapped_column(String(64))
    is_default: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(255), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PolicyVersion(Base):
    """A numbered snapshot of every role and rule, written by each policy change."""

    __tablename__ = "authz_policy_version"

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[dict] = mapped_column()
