"""sfa assignment rules, round-robin turns and deal assignment history

Revision ID: sfa000000204
Revises: sfa000000203
Create Date: 2026-11-23 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sfa000000204"
down_revision: str | Sequence[str] | None = "sfa000000203"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sfa_assignment_rule",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "account_owner",
                "territory",
                "round_robin",
                name="rulekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_sfa_assignment_rule_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_assignment_rule")),
        sa.UniqueConstraint("name", name=op.f("uq_sfa_assignment_rule_name")),
    )
    op.create_index(op.f("ix_sfa_assignment_rule_team_id"), "sfa_assignment_rule", ["team_id"])
    op.create_table(
        "sfa_round_robin",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("last_user_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["last_user_id"],
            ["app_user.id"],
            name=op.f("fk_sfa_round_robin_last_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_sfa_round_robin_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_sfa_round_robin")),
    )
    op.create_table(
        "sfa_deal_assignment",
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "manual", "rule", "handoff", name="assignmentkind", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("from_owner_id", sa.Uuid(), nullable=True),
        sa.Column("to_owner_id", sa.Uuid(), nullable=True),
        sa.Column("rule_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["sfa_deal.id"],
            name=op.f("fk_sfa_deal_assignment_deal_id_sfa_deal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_owner_id"],
            ["app_user.id"],
            name=op.f("fk_sfa_deal_assignment_from_owner_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["sfa_assignment_rule.id"],
            name=op.f("fk_sfa_deal_assignment_rule_id_sfa_assignment_rule"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_owner_id"],
            ["app_user.id"],
            name=op.f("fk_sfa_deal_assignment_to_owner_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_deal_assignment")),
    )
    op.create_index(
        "ix_sfa_deal_assignment_deal", "sfa_deal_assignment", ["deal_id", "assigned_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_sfa_deal_assignment_deal", table_name="sfa_deal_assignment")
    op.drop_table("sfa_deal_assignment")
    op.drop_table("sfa_round_robin")
    op.drop_index(op.f("ix_sfa_assignment_rule_team_id"), table_name="sfa_assignment_rule")
    op.drop_table("sfa_assignment_rule")
