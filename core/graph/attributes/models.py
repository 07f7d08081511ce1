from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from unicrm.core.db.base import Base, IdMixin, TimestampMixin


class AttributeType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    CHOICE = "choice"


class AttributeDefinition(IdMixin, TimestampMixin, Base):
    """A custom attribute the organization declared; values live in ``customer.attributes``.

    ``customer.attributes`` maps ``key`` to a JSON value checked against ``type`` when set
    (dates as ISO strings, choices as one of ``choices``).
    """

    __tablename__ = "attribute_definition"

    key: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[AttributeType] = mapped_column(
        Enum(
            AttributeType,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    choices: Mapped[list] = mapped_column(default=list)
