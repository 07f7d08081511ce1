"""crm technician visits: hand-off of a case to a technician team, on a core booking

Revision ID: crm000000204
Revises: crm000000203
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "crm000000204"
down_revision: str | Sequence[str] | None = "crm000000203"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_technician_visit",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("technician_id", sa.Uuid(), nullable=True),
        sa.Column("preferred_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("preferred_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("customer_notified_by", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["crm_case.id"],
            name=op.f("fk_crm_technician_visit_case_id_crm_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["booking.id"],
            name=op.f("fk_crm_technician_visit_booking_id_booking"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_crm_technician_visit_team_id_team"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["app_user.id"],
            name=op.f("fk_crm_technician_visit_technician_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_technician_visit")),
    )
    op.create_index(
        "ix_crm_technician_visit_case_id_created_at",
        "crm_technician_visit",
        ["case_id", "created_at"],
    )
    op.create_index("ix_crm_technician_visit_booking_id", "crm_technician_visit", ["booking_id"])


def downgrade() -> None:
    op.drop_table("crm_technician_visit")
