from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin


class Department(IdMixin, TimestampMixin, Base):
    """A department and the plugins its schema exposes (the database is the source of truth).

    ``version`` grows on every change, so every worker notices and swaps its schema.
    """

    __tablename__ = "department"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    plugins: Mapped[list] = mapped_column(default=list)
    version: Mapped[int] = mapped_column(default=1)
    is_default: Mapped[bool] = mapped_column(default=False)
