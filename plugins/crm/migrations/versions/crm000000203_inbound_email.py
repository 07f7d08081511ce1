"""crm inbound e-mail: the Message-ID of each message received by e-mail

Revision ID: crm000000203
Revises: crm000000202
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "crm000000203"
down_revision: str | Sequence[str] | None = "crm000000202"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("crm_case_message", sa.Column("email_message_id", sa.String(255), nullable=True))
    op.create_index(
        "ix_crm_case_message_email_message_id", "crm_case_message", ["email_message_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_crm_case_message_email_message_id", table_name="crm_case_message")
    op.drop_column("crm_case_message", "email_message_id")
