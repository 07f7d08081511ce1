from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin


class Team(IdMixin, TimestampMixin, Base):
    """A team of one department. ``territories`` holds province codes (``TH-10``) and region
    keys (``north``) from ``unicrm.core.regions``."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("department_id", "name"),)

    department_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    manager_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    territories: Mapped[list] = mapped_column(default=list)


class TeamMember(Base):
    """A user's membership of a team. ``is_primary`` marks the user's primary team: at most
    one per user, and always a team the user belongs to."""

    __tablename__ = "team_member"
    __table_args__ = (
        Index(
            "uq_team_member_primary",
            "user_id",
            unique=True,
            sqlite_where=text("is_primary"),
            postgresql_where=text("is_primary"),
        ),
    )

    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("team.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    is_primary: Mapped[bool] = mapped_column(default=False)
