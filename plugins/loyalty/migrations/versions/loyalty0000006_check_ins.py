"""loyalty: members' check-ins at stores

Revision ID: loyalty0000006
Revises: loyalty0000005
Create Date: 2026-11-23 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "loyalty0000006"
down_revision: str | Sequence[str] | None = "loyalty0000005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loyalty_check_in",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_check_in_member_id_loyalty_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.id"],
            name=op.f("fk_loyalty_check_in_store_id_store"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_check_in")),
    )
    with op.batch_alter_table("loyalty_check_in", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_check_in_member_id"), ["member_id"])


def downgrade() -> None:
    with op.batch_alter_table("loyalty_check_in", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_check_in_member_id"))
    op.drop_table("loyalty_check_in")
