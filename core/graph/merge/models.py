from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin
from unicrm.core.db.types import utcnow

ACTIONS = ("MOVED", "DROPPED", "ADDED")


class CustomerMerge(IdMixin, Base):
    """One merge of ``source_id`` into ``target_id``.

    Neither id is a foreign key: the source is deleted by the merge, and the target may later
    be merged into another customer, but the record of this merge stays.
    """

    __tablename__ = "customer_merge"

    source_id: Mapped[uuid.UUID] = mapped_column(index=True)
    target_id: Mapped[uuid.UUID] = mapped_column(index=True)
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(200))
    undone_at: Mapped[datetime | None]


class CustomerMergeJournalEntry(Base):
    """One change a merge made, in order (``seq``), with what is needed to undo it.

    ``MOVED``: ``column_name`` of the row ``row_pk`` (its key before the change) went from
    ``old_value`` to ``new_value``. ``DROPPED``: the row was deleted; ``data`` holds all its
    columns. ``ADDED``: the row was inserted; ``data`` holds it. Values are JSON (uuids as
    strings, times as ISO 8601).
    """

    __tablename__ = "customer_merge_journal"
    __table_args__ = (
        CheckConstraint(f"action IN ({', '.join(repr(a) for a in ACTIONS)})", name="action"),
    )

    merge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer_merge.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    action: Mapped[str] = mapped_column(String(16))
    table_name: Mapped[str] = mapped_column(String(100))
    row_pk: Mapped[Any] = mapped_column(JSON)
    column_name: Mapped[str | None] = mapped_column(String(100))
    old_value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    data: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
