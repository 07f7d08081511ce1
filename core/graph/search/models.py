from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base
from unicrm.core.graph.search.indexing import install_listeners


class CustomerSearch(Base):
    """The search document of one customer.

    The integer ``id`` exists for SQLite: the FTS5 index keeps this table as its external
    content and needs a stable integer rowid (an implicit rowid may change on VACUUM).
    """

    __tablename__ = "customer_search"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), unique=True
    )
    document: Mapped[str] = mapped_column(Text)


install_listeners()
