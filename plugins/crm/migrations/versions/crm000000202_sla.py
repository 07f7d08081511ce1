"""crm SLA: business hours, holidays, SLA policies, and each case's due times and breaches

Columns are added to ``crm_case`` in place (other tables reference it, so it is not rebuilt
on SQLite): they are nullable or have a server default, and carry no foreign key.

Revision ID: crm000000202
Revises: crm000000201
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "crm000000202"
down_revision: str | Sequence[str] | None = "crm000000201"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_TIMES = (
    "first_response_due_at",
    "resolution_due_at",
    "first_response_warn_at",
    "resolution_warn_at",
    "sla_paused_at",
    "first_response_warned_at",
    "resolution_warned_at",
    "first_response_breached_at",
    "resolution_breached_at",
)


def upgrade() -> None:
    op.create_table(
        "crm_business_hours",
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "weekday >= 0 AND weekday <= 6", name=op.f("ck_crm_business_hours_weekday_in_week")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_business_hours")),
    )
    op.create_index("ix_crm_business_hours_weekday", "crm_business_hours", ["weekday"])
    op.create_table(
        "crm_holiday",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_crm_holiday")),
    )
    op.create_table(
        "crm_sla_policy",
        sa.Column("scope_key", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("priority", sa.String(20), nullable=True),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("first_response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.Column("warn_before_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "first_response_minutes > 0", name=op.f("ck_crm_sla_policy_first_response_positive")
        ),
        sa.CheckConstraint(
            "resolution_minutes > 0", name=op.f("ck_crm_sla_policy_resolution_positive")
        ),
        sa.CheckConstraint(
            "warn_before_minutes >= 0", name=op.f("ck_crm_sla_policy_warn_before_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_sla_policy")),
        sa.UniqueConstraint("scope_key", name=op.f("uq_crm_sla_policy_scope_key")),
    )
    op.add_column("crm_case", sa.Column("sla_policy_id", sa.Uuid(), nullable=True))
    for name in CASE_TIMES:
        op.add_column("crm_case", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "crm_case",
        sa.Column("sla_paused_seconds", sa.Integer(), nullable=False, server_default="0"),
    )
    for name in CASE_TIMES[:4]:
        op.create_index(f"ix_crm_case_{name}", "crm_case", [name])


def downgrade() -> None:
    for name in CASE_TIMES[:4]:
        op.drop_index(f"ix_crm_case_{name}", table_name="crm_case")
    for name in ("sla_paused_seconds", *reversed(CASE_TIMES), "sla_policy_id"):
        op.drop_column("crm_case", name)
    op.drop_table("crm_sla_policy")
    op.drop_table("crm_holiday")
    op.drop_index("ix_crm_business_hours_weekday", table_name="crm_business_hours")
    op.drop_table("crm_business_hours")
