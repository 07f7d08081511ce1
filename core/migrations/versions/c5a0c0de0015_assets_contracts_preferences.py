"""Assets, contracts with their status history, customer preferences and preference notes;
a warranty length on products.

Revision ID: c5a0c0de0015
Revises: c2a0c0de0012
Create Date: 2026-11-23 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c5a0c0de0015"
down_revision: str | Sequence[str] | None = "c2a0c0de0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=20)


CONTRACT_STATUS = ("pending", "active", "expired", "cancelled", "renewed")


def upgrade() -> None:
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warranty_months", sa.Integer(), nullable=True))

    op.create_table(
        "asset",
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("serial_number", sa.String(length=100), nullable=True),
        sa.Column("purchase_date", sa.Date(), nullable=False),
        sa.Column("warranty_end", sa.Date(), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("order_line_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            _enum("assetstatus", "active", "returned", "replaced", "disposed"),
            nullable=False,
        ),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("warranty_notice_days", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_asset_customer_id_customer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["customer_order.id"],
            name=op.f("fk_asset_order_id_customer_order"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_line.id"],
            name=op.f("fk_asset_order_line_id_order_line"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_asset_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset")),
        sa.UniqueConstraint(
            "product_id", "serial_number", name=op.f("uq_asset_product_id_serial_number")
        ),
    )
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.create_index("ix_asset_customer_id_id", ["customer_id", "id"], unique=False)
        batch_op.create_index("ix_asset_warranty_end_id", ["warranty_end", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_order_line_id"), ["order_line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_product_id"), ["product_id"], unique=False)

    op.create_table(
        "contract",
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            _enum("contractkind", "contract", "subscription", "maintenance_plan"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("plan", sa.String(length=100), nullable=True),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("asset_id", sa.Uuid(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("renewal_date", sa.Date(), nullable=True),
        sa.Column("auto_renew", sa.Boolean(), nullable=False),
        sa.Column(
            "billing_period",
            _enum("billingperiod", "one_time", "monthly", "quarterly", "yearly"),
            nullable=False,
        ),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("status", _enum("contractstatus", *CONTRACT_STATUS), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("previous_id", sa.Uuid(), nullable=True),
        sa.Column("renewal_notice_days", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date > start_date", name=op.f("ck_contract_end_after_start")
        ),
        sa.CheckConstraint(
            "renewal_date IS NULL OR (renewal_date >= start_date AND "
            "(end_date IS NULL OR renewal_date <= end_date))",
            name=op.f("ck_contract_renewal_within_term"),
        ),
        sa.CheckConstraint(
            "value IS NULL OR value >= 0", name=op.f("ck_contract_value_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_contract_asset_id_asset"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_contract_customer_id_customer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["contract.id"],
            name=op.f("fk_contract_previous_id_contract"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_contract_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract")),
        sa.UniqueConstraint("previous_id", name=op.f("uq_contract_previous_id")),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index("ix_contract_customer_id_id", ["customer_id", "id"], unique=False)
        batch_op.create_index("ix_contract_status_end_date", ["status", "end_date"], unique=False)
        batch_op.create_index("ix_contract_renewal_date_id", ["renewal_date", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_product_id"), ["product_id"], unique=False)

    op.create_table(
        "contract_status_change",
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", _enum("contractstatus", *CONTRACT_STATUS), nullable=True),
        sa.Column("to_status", _enum("contractstatus", *CONTRACT_STATUS), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_status_change_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_status_change")),
    )
    with op.batch_alter_table("contract_status_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contract_status_change_contract_id_id", ["contract_id", "id"], unique=False
        )

    op.create_table(
        "customer_preference",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "preferred_channel",
            _enum("preferredchannel", "email", "sms", "phone", "line", "post", "in_person"),
            nullable=True,
        ),
        sa.Column("preferred_language", sa.String(length=16), nullable=True),
        sa.Column("preferred_store_code", sa.String(length=32), nullable=True),
        sa.Column("contact_windows", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_customer_preference_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_preference")),
    )

    op.create_table(
        "preference_note",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind", _enum("notekind", "dietary", "allergy", "restriction", "other"), nullable=False
        ),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("text_key", sa.String(length=300), nullable=False),
        sa.Column("severity", _enum("severity", "mild", "moderate", "severe"), nullable=True),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_preference_note_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preference_note")),
        sa.UniqueConstraint(
            "customer_id",
            "kind",
            "text_key",
            name=op.f("uq_preference_note_customer_id_kind_text_key"),
        ),
    )


def downgrade() -> None:
    op.drop_table("preference_note")
    op.drop_table("customer_preference")
    with op.batch_alter_table("contract_status_change", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_status_change_contract_id_id")
    op.drop_table("contract_status_change")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_product_id"))
        batch_op.drop_index(batch_op.f("ix_contract_asset_id"))
        batch_op.drop_index("ix_contract_renewal_date_id")
        batch_op.drop_index("ix_contract_status_end_date")
        batch_op.drop_index("ix_contract_customer_id_id")
    op.drop_table("contract")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_product_id"))
        batch_op.drop_index(batch_op.f("ix_asset_order_line_id"))
        batch_op.drop_index(batch_op.f("ix_asset_order_id"))
        batch_op.drop_index("ix_asset_warranty_end_id")
        batch_op.drop_index("ix_asset_customer_id_id")
    op.drop_table("asset")
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+): recreating the product table would fail its
    # foreign keys while order lines reference it
    with op.batch_alter_table("product", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("warranty_months")
