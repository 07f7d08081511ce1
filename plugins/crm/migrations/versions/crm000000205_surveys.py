"""crm surveys: a CSAT survey per resolved case, answered once

Revision ID: crm000000205
Revises: crm000000204
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "crm000000205"
down_revision: str | Sequence[str] | None = "crm000000204"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_survey",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 1 AND score <= 5)",
            name=op.f("ck_crm_survey_score_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["crm_case.id"],
            name=op.f("fk_crm_survey_case_id_crm_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_survey")),
        sa.UniqueConstraint("case_id", name=op.f("uq_crm_survey_case_id")),
    )


def downgrade() -> None:
    op.drop_table("crm_survey")
