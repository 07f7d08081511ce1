"""loyalty coupon offers (birthday rewards too) and coupons

Revision ID: loyalty0000003
Revises: loyalty0000002
Create Date: 2026-11-23 19:02:38.470135
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "loyalty0000003"
down_revision: str | Sequence[str] | None = "loyalty0000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loyalty_coupon_offer",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "amount",
                "percent",
                "free_item",
                "free_delivery",
                name="couponkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("min_spend", sa.BigInteger(), nullable=True),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "birthday",
            sa.Enum("none", "day", "month", name="birthdayissue", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["loyalty_program.id"],
            name=op.f("fk_loyalty_coupon_offer_program_id_loyalty_program"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_coupon_offer")),
        sa.UniqueConstraint(
            "program_id", "code", name=op.f("uq_loyalty_coupon_offer_program_id_code")
        ),
    )
    op.create_table(
        "loyalty_coupon",
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("issue_key", sa.String(length=100), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_store_id", sa.Uuid(), nullable=True),
        sa.Column("used_transaction_id", sa.String(length=100), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_loyalty_coupon_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_coupon_member_id_loyalty_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["loyalty_coupon_offer.id"],
            name=op.f("fk_loyalty_coupon_offer_id_loyalty_coupon_offer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["used_store_id"],
            ["store.id"],
            name=op.f("fk_loyalty_coupon_used_store_id_store"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_coupon")),
        sa.UniqueConstraint("code", name=op.f("uq_loyalty_coupon_code")),
        sa.UniqueConstraint(
            "offer_id",
            "member_id",
            "issue_key",
            name=op.f("uq_loyalty_coupon_offer_id_member_id_issue_key"),
        ),
    )
    with op.batch_alter_table("loyalty_coupon", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_coupon_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_loyalty_coupon_member_id"), ["member_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("loyalty_coupon", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_coupon_member_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_coupon_customer_id"))

    op.drop_table("loyalty_coupon")
    op.drop_table("loyalty_coupon_offer")
