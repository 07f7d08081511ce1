"""sfa activities: calls, meetings, visits, e-mails and tasks with customers

Revision ID: sfa000000202
Revises: sfa000000201
Create Date: 2026-11-23 18:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sfa000000202"
down_revision: str | Sequence[str] | None = "sfa000000201"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sfa_activity",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "call",
                "meeting",
                "visit",
                "email",
                "task",
                name="activitykind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.String(length=4000), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("video_url", sa.String(length=500), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_sfa_activity_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["sfa_deal.id"],
            name=op.f("fk_sfa_activity_deal_id_sfa_deal"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["app_user.id"],
            name=op.f("fk_sfa_activity_owner_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_activity")),
    )
    op.create_index(
        "ix_sfa_activity_customer", "sfa_activity", ["customer_id", "occurred_at", "id"]
    )
    op.create_index("ix_sfa_activity_deal", "sfa_activity", ["deal_id", "occurred_at", "id"])
    op.create_index(
        "ix_sfa_activity_open_tasks", "sfa_activity", ["owner_id", "completed_at", "due_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_sfa_activity_open_tasks", table_name="sfa_activity")
    op.drop_index("ix_sfa_activity_deal", table_name="sfa_activity")
    op.drop_index("ix_sfa_activity_customer", table_name="sfa_activity")
    op.drop_table("sfa_activity")
