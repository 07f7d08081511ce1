"""loyalty missions and members' progress

Revision ID: loyalty0000004
Revises: loyalty0000003
Create Date: 2026-11-23 19:11:25.208120
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "loyalty0000004"
down_revision: str | Sequence[str] | None = "loyalty0000003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loyalty_mission",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "purchases", "items", "visits", name="missionkind", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("modifier", sa.String(length=100), nullable=True),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["loyalty_coupon_offer.id"],
            name=op.f("fk_loyalty_mission_offer_id_loyalty_coupon_offer"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["loyalty_program.id"],
            name=op.f("fk_loyalty_mission_program_id_loyalty_program"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_mission")),
        sa.UniqueConstraint("program_id", "code", name=op.f("uq_loyalty_mission_program_id_code")),
    )
    op.create_table(
        "loyalty_mission_progress",
        sa.Column("mission_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("coupon_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["coupon_id"],
            ["loyalty_coupon.id"],
            name=op.f("fk_loyalty_mission_progress_coupon_id_loyalty_coupon"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_mission_progress_member_id_loyalty_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["loyalty_mission.id"],
            name=op.f("fk_loyalty_mission_progress_mission_id_loyalty_mission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "mission_id", "member_id", name=op.f("pk_loyalty_mission_progress")
        ),
    )
    with op.batch_alter_table("loyalty_mission_progress", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_mission_progress_member_id"), ["member_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("loyalty_mission_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_mission_progress_member_id"))

    op.drop_table("loyalty_mission_progress")
    op.drop_table("loyalty_mission")
