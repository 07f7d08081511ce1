"""policies: rules, roles and versions

Revision ID: b2a0c0de0002
Revises: b1a0c0de0001
Create Date: 2026-11-23 12:38:36.201982
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b2a0c0de0002"
down_revision: str | Sequence[str] | None = "b1a0c0de0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "authz_policy_version",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_authz_policy_version")),
    )
    op.create_table(
        "authz_role",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authz_role")),
        sa.UniqueConstraint("name", name=op.f("uq_authz_role_name")),
    )
    op.create_table(
        "authz_rule",
        sa.Column("ptype", sa.String(length=8), nullable=False),
        sa.Column("v0", sa.String(length=255), nullable=False),
        sa.Column("v1", sa.String(length=255), nullable=False),
        sa.Column("v2", sa.String(length=255), nullable=False),
        sa.Column("v3", sa.String(length=255), nullable=False),
        sa.Column("v4", sa.String(length=255), nullable=False),
        sa.Column("v5", sa.String(length=255), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authz_rule")),
    )
    with op.batch_alter_table("authz_rule", schema=None) as batch_op:
        batch_op.create_index("ix_authz_rule_ptype_v0", ["ptype", "v0"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("authz_rule", schema=None) as batch_op:
        batch_op.drop_index("ix_authz_rule_ptype_v0")

    op.drop_table("authz_rule")
    op.drop_table("authz_role")
    op.drop_table("authz_policy_version")
