"""ma campaigns: campaigns and their recipients

Revision ID: ma0000000004
Revises: ma0000000003
Create Date: 2026-11-23 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ma0000000004"
down_revision: str | Sequence[str] | None = "ma0000000003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ma_campaign",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("segment_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("template_key", sa.String(length=100), nullable=False),
        sa.Column("variant_template_key", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("per_minute", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segment.id"],
            name=op.f("fk_ma_campaign_segment_id_segment"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ma_campaign")),
    )
    op.create_index(op.f("ix_ma_campaign_segment_id"), "ma_campaign", ["segment_id"])
    op.create_table(
        "ma_campaign_recipient",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("variant", sa.String(length=1), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["ma_campaign.id"],
            name=op.f("fk_ma_campaign_recipient_campaign_id_ma_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_ma_campaign_recipient_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_ma_campaign_recipient_message_id_message"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ma_campaign_recipient")),
        sa.UniqueConstraint(
            "campaign_id",
            "customer_id",
            name=op.f("uq_ma_campaign_recipient_campaign_id_customer_id"),
        ),
    )
    op.create_index(
        op.f("ix_ma_campaign_recipient_customer_id"), "ma_campaign_recipient", ["customer_id"]
    )
    op.create_index(
        op.f("ix_ma_campaign_recipient_message_id"), "ma_campaign_recipient", ["message_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ma_campaign_recipient_message_id"), table_name="ma_campaign_recipient")
    op.drop_index(op.f("ix_ma_campaign_recipient_customer_id"), table_name="ma_campaign_recipient")
    op.drop_table("ma_campaign_recipient")
    op.drop_index(op.f("ix_ma_campaign_segment_id"), table_name="ma_campaign")
    op.drop_table("ma_campaign")
