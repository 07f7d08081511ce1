"""crm replies, macros, merge: public replies linked to the core message that carried them,
canned responses, duplicate cases pointing to their survivor

Revision ID: crm000000206
Revises: crm000000205
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "crm000000206"
down_revision: str | Sequence[str] | None = "crm000000205"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_macro",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("set_status", sa.String(20), nullable=True),
        sa.Column("set_priority", sa.String(20), nullable=True),
        sa.Column("set_category", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_macro")),
        sa.UniqueConstraint("name", name=op.f("uq_crm_macro_name")),
    )
    with op.batch_alter_table("crm_case") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_crm_case_merged_into_id_crm_case"),
            "crm_case",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_crm_case_merged_into_id"), ["merged_into_id"])
    with op.batch_alter_table("crm_case_message") as batch:
        batch.add_column(sa.Column("outbound_message_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_crm_case_message_outbound_message_id_message"),
            "message",
            ["outbound_message_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_crm_case_message_outbound_message_id"), ["outbound_message_id"])


def downgrade() -> None:
    with op.batch_alter_table("crm_case_message") as batch:
        batch.drop_index(op.f("ix_crm_case_message_outbound_message_id"))
        batch.drop_constraint(
            op.f("fk_crm_case_message_outbound_message_id_message"), type_="foreignkey"
        )
        batch.drop_column("outbound_message_id")
    with op.batch_alter_table("crm_case") as batch:
        batch.drop_index(op.f("ix_crm_case_merged_into_id"))
        batch.drop_constraint(op.f("fk_crm_case_merged_into_id_crm_case"), type_="foreignkey")
        batch.drop_column("merged_into_id")
    op.drop_table("crm_macro")
