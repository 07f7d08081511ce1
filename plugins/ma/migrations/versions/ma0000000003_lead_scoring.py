"""ma lead scoring: scoring models, score changes, the half-life of a stored score

Revision ID: ma0000000003
Revises: ma0000000002
Create Date: 2026-11-23 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ma0000000003"
down_revision: str | Sequence[str] | None = "ma0000000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ma_scoring_model",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("half_life_days", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ma_scoring_model")),
        sa.UniqueConstraint("key", name=op.f("uq_ma_scoring_model_key")),
    )
    op.create_table(
        "ma_score_change",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_ma_score_change_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ma_score_change")),
        sa.UniqueConstraint(
            "customer_id",
            "model",
            "rule",
            "source",
            name=op.f("uq_ma_score_change_customer_id_model_rule_source"),
        ),
    )
    op.create_index(
        "ix_ma_score_change_customer", "ma_score_change", ["customer_id", "model", "at"]
    )
    with op.batch_alter_table("ma_lead_score") as batch_op:
        batch_op.add_column(sa.Column("half_life_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ma_lead_score") as batch_op:
        batch_op.drop_column("half_life_days")
    op.drop_index("ix_ma_score_change_customer", table_name="ma_score_change")
    op.drop_table("ma_score_change")
    op.drop_table("ma_scoring_model")
