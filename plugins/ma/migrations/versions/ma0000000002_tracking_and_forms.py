"""ma tracking and forms: visitors, tracking events, tracked links, forms, submissions

Revision ID: ma0000000002
Revises: b45a01fb10e4
Create Date: 2026-11-23 18:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ma0000000002"
down_revision: str | Sequence[str] | None = "b45a01fb10e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "d1a0c0de0021"


def upgrade() -> None:
    op.create_table(
        "ma_visitor",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("identified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_ma_visitor_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ma_visitor")),
    )
    op.create_index(op.f("ix_ma_visitor_customer_id"), "ma_visitor", ["customer_id"])
    op.create_table(
        "ma_tracking_event",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("visitor_id", sa.Uuid(), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("bot", sa.Boolean(), nullable=False),
        sa.Column("bot_reason", sa.String(length=100), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["visitor_id"],
            ["ma_visitor.id"],
            name=op.f("fk_ma_tracking_event_visitor_id_ma_visitor"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_ma_tracking_event_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_ma_tracking_event_message_id_message"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ma_tracking_event")),
    )
    op.create_index(
        "ix_ma_tracking_event_customer",
        "ma_tracking_event",
        ["customer_id", "kind", "occurred_at"],
    )
    op.create_index(
        "ix_ma_tracking_event_visitor", "ma_tracking_event", ["visitor_id", "occurred_at"]
    )
    op.create_index("ix_ma_tracking_event_message", "ma_tracking_event", ["message_id", "kind"])
    op.create_table(
        "ma_tracked_link",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_ma_tracked_link_message_id_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ma_tracked_link")),
        sa.UniqueConstraint("message_id", "url", name=op.f("uq_ma_tracked_link_message_id_url")),
    )
    op.create_table(
        "ma_form",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("consents", sa.JSON(), nullable=False),
        sa.Column("policy_version", sa.String(length=50), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("submissions_per_minute", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ma_form")),
        sa.UniqueConstraint("key", name=op.f("uq_ma_form_key")),
    )
    op.create_table(
        "ma_form_submission",
        sa.Column("form_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("visitor_id", sa.Uuid(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("consents", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["ma_form.id"],
            name=op.f("fk_ma_form_submission_form_id_ma_form"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_ma_form_submission_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ma_form_submission")),
    )
    op.create_index("ix_ma_form_submission_form", "ma_form_submission", ["form_id", "submitted_at"])
    op.create_index(
        "ix_ma_form_submission_customer", "ma_form_submission", ["customer_id", "submitted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_ma_form_submission_customer", table_name="ma_form_submission")
    op.drop_index("ix_ma_form_submission_form", table_name="ma_form_submission")
    op.drop_table("ma_form_submission")
    op.drop_table("ma_form")
    op.drop_table("ma_tracked_link")
    op.drop_index("ix_ma_tracking_event_message", table_name="ma_tracking_event")
    op.drop_index("ix_ma_tracking_event_visitor", table_name="ma_tracking_event")
    op.drop_index("ix_ma_tracking_event_customer", table_name="ma_tracking_event")
    op.drop_table("ma_tracking_event")
    op.drop_index(op.f("ix_ma_visitor_customer_id"), table_name="ma_visitor")
    op.drop_table("ma_visitor")
