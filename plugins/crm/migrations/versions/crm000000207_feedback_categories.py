"""crm feedback categories: voice-of-the-customer categories with Thai and English keywords

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


def downgrade() -> None:
    op.drop_table("crm_feedback_category")
