"""Messaging: templates, per-recipient message records with their status history, and
suppressions (matched by address hash, kept after erasure).

Revision ID: c3a0c0de0013
Revises: c4a0c0de0014
Create Date: 2026-11-23 15:30:01.373469
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3a0c0de0013"
down_revision: str | Sequence[str] | None = "c4a0c0de0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_template",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_template")),
        sa.UniqueConstraint(
            "key", "channel", "locale", name=op.f("uq_message_template_key_channel_locale")
        ),
    )
    op.create_table(
        "message",
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum("marketing", "service", name="messagepurpose", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("template_key", sa.String(length=100), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("sender_key", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "sent",
                "delivered",
                "bounced",
                "opened",
                "clicked",
                "unsubscribed",
                "blocked",
                "failed",
                name="messagestatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("text_body", sa.Text(), nullable=True),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("provider_id", sa.String(length=200), nullable=True),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_message_customer_id_customer"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
        sa.UniqueConstraint(
            "sender_key",
            "customer_id",
            "channel",
            name=op.f("uq_message_sender_key_customer_id_channel"),
        ),
    )
    op.create_index(
        "ix_message_cap",
        "message",
        ["customer_id", "channel", "purpose", "created_at"],
        unique=False,
    )
    op.create_index("ix_message_created", "message", ["created_at", "id"], unique=False)
    op.create_index(
        "ix_message_customer_created", "message", ["customer_id", "created_at", "id"], unique=False
    )
    op.create_index(op.f("ix_message_provider_id"), "message", ["provider_id"], unique=False)
    op.create_index(op.f("ix_message_status"), "message", ["status"], unique=False)
    op.create_table(
        "message_status_change",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "sent",
                "delivered",
                "bounced",
                "opened",
                "clicked",
                "unsubscribed",
                "blocked",
                "failed",
                name="messagestatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_message_status_change_message_id_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_status_change")),
    )
    op.create_index(
        "ix_message_status_change_history",
        "message_status_change",
        ["message_id", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "message_suppression",
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "bounced",
                "complained",
                "unsubscribed",
                "erased",
                "manual",
                name="suppressionreason",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_message_suppression_customer_id_customer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_message_suppression_message_id_message"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_suppression")),
        sa.UniqueConstraint(
            "channel",
            "address_hash",
            "purpose",
            name=op.f("uq_message_suppression_channel_address_hash_purpose"),
        ),
    )
    op.create_index(
        op.f("ix_message_suppression_customer_id"),
        "message_suppression",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_message_suppression_message_id"),
        "message_suppression",
        ["message_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_message_suppression_message_id"), table_name="message_suppression")
    op.drop_index(op.f("ix_message_suppression_customer_id"), table_name="message_suppression")
    op.drop_table("message_suppression")
    op.drop_index("ix_message_status_change_history", table_name="message_status_change")
    op.drop_table("message_status_change")
    op.drop_index(op.f("ix_message_status"), table_name="message")
    op.drop_index(op.f("ix_message_provider_id"), table_name="message")
    op.drop_index("ix_message_customer_created", table_name="message")
    op.drop_index("ix_message_created", table_name="message")
    op.drop_index("ix_message_cap", table_name="message")
    op.drop_table("message")
    op.drop_table("message_template")
