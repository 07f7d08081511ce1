from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin


class CustomerIdentity(IdMixin, TimestampMixin, Base):
    """A customer's id in another system: ``(source, external_id)`` names one customer at most.

    ``source`` is a lowercase slug: one of the known sources (``line``, ``pos_member``,
    ``web_cookie``, ``crm_import``) or any other an installation integrates with.
    """

    __tablename__ = "customer_identity"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_customer_identity_customer_id", "customer_id"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
