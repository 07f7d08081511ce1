"""crm reminder rules: repurchase and maintenance intervals per product

Revision ID: crm000000209
Revises: crm000000208
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "crm000000209"
down_revision: str | Sequence[str] | None = "crm000000208"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_reminder_rule",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "interval_days > 0", name=op.f("ck_crm_reminder_rule_interval_positive")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_crm_reminder_rule_product_id_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_reminder_rule")),
    )
    op.create_index(
        "uq_crm_reminder_rule_product_id_kind",
        "crm_reminder_rule",
        ["product_id", "kind"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_crm_reminder_rule_product_id_kind", table_name="crm_reminder_rule")
    op.drop_table("crm_reminder_rule")
