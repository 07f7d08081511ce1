"""loyalty: members' lifetime earn/spend counters and programmes' rules version

Revision ID: loyalty0000005
Revises: loyalty0000004
Create Date: 2026-11-23 21:55:00.000000

``loyalty_member.earned_points`` (points earned less points reversed, ever) and
``loyalty_member.spend`` (sales less refunds, ever, money in ten-thousandths) bound what a
member can have within any tier window, so a sale checks a tier's window only when the
member could qualify. ``loyalty_program.rules_version`` moves with every change of the
programme's rates, rules, tiers or missions: the POS caches them per programme and version.
Existing members' counters are filled from their entries and sales.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "loyalty0000005"
down_revision: str | Sequence[str] | None = "loyalty0000004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("loyalty_program", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rules_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("loyalty_member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("earned_points", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("spend", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(
        """
        UPDATE loyalty_member SET
          earned_points = COALESCE((
            SELECT SUM(e.points) FROM loyalty_ledger_entry e
            WHERE e.member_id = loyalty_member.id AND e.kind IN ('earn', 'reverse')), 0),
          spend = COALESCE((
            SELECT SUM(t.amount - t.refunded) FROM loyalty_pos_transaction t
            WHERE t.member_id = loyalty_member.id AND t.kind = 'sale'), 0)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("loyalty_member", schema=None) as batch_op:
        batch_op.drop_column("spend")
        batch_op.drop_column("earned_points")
    with op.batch_alter_table("loyalty_program", schema=None) as batch_op:
        batch_op.drop_column("rules_version")
