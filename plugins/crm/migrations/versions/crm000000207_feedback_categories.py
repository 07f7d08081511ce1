"""crm voice of the customer: feedback categories with Thai and English keywords, NPS surveys

Revision ID: crm000000207
Revises: crm000000206
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "crm000000207"
down_revision: str | Sequence[str] | None = "crm000000206"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_feedback_category",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_feedback_category")),
        sa.UniqueConstraint("key", name=op.f("uq_crm_feedback_category_key")),
    )
    op.create_table(
        "crm_nps_survey",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 0 AND score <= 10)",
            name=op.f("ck_crm_nps_survey_score_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_crm_nps_survey_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_nps_survey")),
    )
    op.create_index(
        "ix_crm_nps_survey_customer_id_created_at", "crm_nps_survey", ["customer_id", "created_at"]
    )
    op.create_index("ix_crm_nps_survey_answered_at", "crm_nps_survey", ["answered_at"])


def downgrade() -> None:
    op.drop_index("ix_crm_nps_survey_answered_at", table_name="crm_nps_survey")
    op.drop_index("ix_crm_nps_survey_customer_id_created_at", table_name="crm_nps_survey")
    op.drop_table("crm_nps_survey")
    op.drop_table("crm_feedback_category")
