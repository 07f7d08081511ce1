"""Custom events: the types integrators may push (with a JSON Schema) and the pushed events.

Revision ID: d1a0c0de0021
Revises: c1a0c0de0011
Create Date: 2026-11-23 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d1a0c0de0021"
down_revision: str | Sequence[str] | None = "c1a0c0de0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_event_type",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("json_schema", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_event_type")),
        sa.UniqueConstraint("name", name=op.f("uq_custom_event_type_name")),
    )
    op.create_table(
        "custom_event",
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_custom_event_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_event")),
        sa.UniqueConstraint(
            "source", "idempotency_key", name=op.f("uq_custom_event_source_idempotency_key")
        ),
    )
    with op.batch_alter_table("custom_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custom_event_customer_id"), ["customer_id"])
        batch_op.create_index(batch_op.f("ix_custom_event_type"), ["type"])


def downgrade() -> None:
    with op.batch_alter_table("custom_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custom_event_type"))
        batch_op.drop_index(batch_op.f("ix_custom_event_customer_id"))
    op.drop_table("custom_event")
    op.drop_table("custom_event_type")
