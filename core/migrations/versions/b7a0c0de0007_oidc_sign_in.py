"""OpenID Connect single sign-on: pending sign-in attempts and identity-provider user links.

Revision ID: b7a0c0de0007
Revises: b2a0c0de0002
Create Date: 2026-11-23 12:32:46.043548
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7a0c0de0007"
down_revision: str | Sequence[str] | None = "b2a0c0de0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oidc_login_attempt",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("browser_binding", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_oidc_login_attempt")),
    )
    with op.batch_alter_table("oidc_login_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_oidc_login_attempt_expires_at", ["expires_at"], unique=False)

    op.create_table(
        "oidc_user_link",
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_oidc_user_link_department_id_department"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_oidc_user_link_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_user_link")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_oidc_user_link_issuer_subject")),
    )
    with op.batch_alter_table("oidc_user_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_user_link_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oidc_user_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_user_link_user_id"))

    op.drop_table("oidc_user_link")
    with op.batch_alter_table("oidc_login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_oidc_login_attempt_expires_at")

    op.drop_table("oidc_login_attempt")
