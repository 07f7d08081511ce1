"""crm customer values: RFM scores, lifetime value, churn risk and lapse per customer

Revision ID: crm000000208
Revises: crm000000207
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "crm000000208"
down_revision: str | Sequence[str] | None = "crm000000207"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_customer_value",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("first_order_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_order_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("historic_value", sa.BigInteger(), nullable=False),
        sa.Column("predicted_value", sa.BigInteger(), nullable=False),
        sa.Column("recency_score", sa.Integer(), nullable=False),
        sa.Column("frequency_score", sa.Integer(), nullable=False),
        sa.Column("monetary_score", sa.Integer(), nullable=False),
        sa.Column("churn_risk", sa.String(10), nullable=False),
        sa.Column("lapsed", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_crm_customer_value_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_crm_customer_value")),
    )
    op.create_index(op.f("ix_crm_customer_value_churn_risk"), "crm_customer_value", ["churn_risk"])
    op.create_index(op.f("ix_crm_customer_value_lapsed"), "crm_customer_value", ["lapsed"])


def downgrade() -> None:
    op.drop_index(op.f("ix_crm_customer_value_lapsed"), table_name="crm_customer_value")
    op.drop_index(op.f("ix_crm_customer_value_churn_risk"), table_name="crm_customer_value")
    op.drop_table("crm_customer_value")
