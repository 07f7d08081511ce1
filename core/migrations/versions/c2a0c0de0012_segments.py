"""Segments: saved audiences, their members and auto-tagging rules.

Revision ID: c2a0c0de0012
Revises: c3a0c0de0013
Create Date: 2026-11-23 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c2a0c0de0012"
down_revision: str | Sequence[str] | None = "c3a0c0de0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "segment",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("dynamic", "static", name="segmentkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("definition", sa.JSON(), nullable=True),
        sa.Column("refresh_minutes", sa.Integer(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app_user.id"],
            name=op.f("fk_segment_created_by_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_segment_department_id_department"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment")),
    )
    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_segment_created_by"), ["created_by"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_segment_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index("ix_segment_name_id", ["name", "id"], unique=False)

    op.create_table(
        "segment_member",
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_segment_member_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segment.id"],
            name=op.f("fk_segment_member_segment_id_segment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("segment_id", "customer_id", name=op.f("pk_segment_member")),
    )
    with op.batch_alter_table("segment_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_segment_member_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "segment_tag_rule",
        sa.Column("segment_id", sa.Uuid(), nullable=False),
        sa.Column("tag_id", sa.Uuid(), nullable=False),
        sa.Column("add_on_enter", sa.Boolean(), nullable=False),
        sa.Column("remove_on_exit", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segment.id"],
            name=op.f("fk_segment_tag_rule_segment_id_segment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name=op.f("fk_segment_tag_rule_tag_id_tag"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_tag_rule")),
        sa.UniqueConstraint(
            "segment_id", "tag_id", name=op.f("uq_segment_tag_rule_segment_id_tag_id")
        ),
    )
    with op.batch_alter_table("segment_tag_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_segment_tag_rule_tag_id"), ["tag_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("segment_tag_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_segment_tag_rule_tag_id"))
    op.drop_table("segment_tag_rule")
    with op.batch_alter_table("segment_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_segment_member_customer_id"))
    op.drop_table("segment_member")
    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.drop_index("ix_segment_name_id")
        batch_op.drop_index(batch_op.f("ix_segment_department_id"))
        batch_op.drop_index(batch_op.f("ix_segment_created_by"))
    op.drop_table("segment")
