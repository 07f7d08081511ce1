"""sfa quotes and their lines

Revision ID: sfa000000203
Revises: sfa000000202
Create Date: 2026-11-23 19:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sfa000000203"
down_revision: str | Sequence[str] | None = "sfa000000202"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sfa_quote",
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "sent",
                "accepted",
                "rejected",
                "expired",
                name="quotestatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("prices_include_vat", sa.Boolean(), nullable=False),
        sa.Column("vat_rate", sa.BigInteger(), nullable=False),
        sa.Column("net_total", sa.BigInteger(), nullable=False),
        sa.Column("discount_total", sa.BigInteger(), nullable=False),
        sa.Column("vat_amount", sa.BigInteger(), nullable=False),
        sa.Column("grand_total", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("delivery_lead_days", sa.Integer(), nullable=True),
        sa.Column("delivery_date", sa.Date(), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_sfa_quote_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["sfa_deal.id"],
            name=op.f("fk_sfa_quote_deal_id_sfa_deal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["customer_order.id"],
            name=op.f("fk_sfa_quote_order_id_customer_order"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_quote")),
        sa.UniqueConstraint("family_id", "version", name=op.f("uq_sfa_quote_family_id_version")),
    )
    op.create_index("ix_sfa_quote_deal", "sfa_quote", ["deal_id", "created_at", "id"])
    op.create_index(op.f("ix_sfa_quote_customer_id"), "sfa_quote", ["customer_id"])
    op.create_index("ix_sfa_quote_status_valid_until", "sfa_quote", ["status", "valid_until"])
    op.create_table(
        "sfa_quote_line",
        sa.Column("quote_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("discount_percent", sa.BigInteger(), nullable=True),
        sa.Column("discount_amount", sa.BigInteger(), nullable=True),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.Column("line_total", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_sfa_quote_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_sfa_quote_line_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["sfa_quote.id"],
            name=op.f("fk_sfa_quote_line_quote_id_sfa_quote"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_quote_line")),
        sa.UniqueConstraint(
            "quote_id", "position", name=op.f("uq_sfa_quote_line_quote_id_position")
        ),
    )
    op.create_index(op.f("ix_sfa_quote_line_product_id"), "sfa_quote_line", ["product_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sfa_quote_line_product_id"), table_name="sfa_quote_line")
    op.drop_table("sfa_quote_line")
    op.drop_index("ix_sfa_quote_status_valid_until", table_name="sfa_quote")
    op.drop_index(op.f("ix_sfa_quote_customer_id"), table_name="sfa_quote")
    op.drop_index("ix_sfa_quote_deal", table_name="sfa_quote")
    op.drop_table("sfa_quote")
