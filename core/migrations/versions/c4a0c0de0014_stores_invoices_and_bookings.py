"""Stores and their staff; invoices, receipts and credit notes with gapless counters;
bookable resources, slots, bookings and their status history.

Revision ID: c4a0c0de0014
Revises: b5a0c0de0005
Create Date: 2026-11-23 15:25:11.361094
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4a0c0de0014"
down_revision: str | Sequence[str] | None = "b5a0c0de0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("line1", sa.String(length=300), nullable=False),
        sa.Column("line2", sa.String(length=300), nullable=True),
        sa.Column("sub_district", sa.String(length=150), nullable=True),
        sa.Column("district", sa.String(length=150), nullable=True),
        sa.Column("province", sa.String(length=150), nullable=True),
        sa.Column("postal_code", sa.String(length=16), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("province_code", sa.String(length=8), nullable=True),
        sa.Column("region", sa.String(length=16), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("opening_hours", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("tax_branch", sa.String(length=5), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store")),
        sa.UniqueConstraint("code", name=op.f("uq_store_code")),
    )
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_store_province_code"), ["province_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_store_region"), ["region"], unique=False)

    op.create_table(
        "booking_resource",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "table",
                "technician",
                "service_bay",
                "demo_car",
                name="resourcekind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("bookable_hours", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_booking_resource_capacity_positive")),
        sa.CheckConstraint(
            "slot_minutes BETWEEN 5 AND 1440", name=op.f("ck_booking_resource_slot_minutes_range")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.id"],
            name=op.f("fk_booking_resource_store_id_store"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_resource")),
    )
    with op.batch_alter_table("booking_resource", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_booking_resource_store_id"), ["store_id"], unique=False
        )

    op.create_table(
        "document_counter",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "tax_invoice",
                "receipt",
                "credit_note",
                name="documentkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.id"],
            name=op.f("fk_document_counter_store_id_store"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("store_id", "kind", "year", name=op.f("pk_document_counter")),
    )
    op.create_table(
        "booking_slot",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.CheckConstraint("used >= 0", name=op.f("ck_booking_slot_used_not_negative")),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["booking_resource.id"],
            name=op.f("fk_booking_slot_resource_id_booking_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", "starts_at", name=op.f("pk_booking_slot")),
    )
    op.create_table(
        "store_staff",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.id"],
            name=op.f("fk_store_staff_store_id_store"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_store_staff_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("store_id", "user_id", name=op.f("pk_store_staff")),
    )
    with op.batch_alter_table("store_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_store_staff_user_id"), ["user_id"], unique=False)

    op.create_table(
        "booking",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "table",
                "test_drive",
                "store_visit",
                "technician_visit",
                name="bookingkind",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "confirmed",
                "checked_in",
                "no_show",
                "cancelled",
                name="bookingstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_booking_ends_after_start")),
        sa.CheckConstraint("units > 0", name=op.f("ck_booking_units_positive")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_booking_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["booking_resource.id"],
            name=op.f("fk_booking_resource_id_booking_resource"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_booking_store_id_store"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking")),
    )
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_index(
            "ix_booking_customer_starts", ["customer_id", "starts_at", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_booking_remind_at"), ["remind_at"], unique=False)
        batch_op.create_index(
            "ix_booking_resource_starts", ["resource_id", "starts_at"], unique=False
        )
        batch_op.create_index("ix_booking_status_starts", ["status", "starts_at"], unique=False)
        batch_op.create_index(
            "ix_booking_store_starts", ["store_id", "starts_at", "id"], unique=False
        )

    op.create_table(
        "booking_history",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "requested",
                "confirmed",
                "checked_in",
                "no_show",
                "cancelled",
                name="bookingstatus",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "requested",
                "confirmed",
                "checked_in",
                "no_show",
                "cancelled",
                name="bookingstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["booking.id"],
            name=op.f("fk_booking_history_booking_id_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by"],
            ["app_user.id"],
            name=op.f("fk_booking_history_changed_by_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_history")),
    )
    with op.batch_alter_table("booking_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_booking_history_booking_id"), ["booking_id"], unique=False
        )

    op.create_table(
        "invoice",
        sa.Column(
            "kind",
            sa.Enum(
                "tax_invoice",
                "receipt",
                "credit_note",
                name="documentkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("original_id", sa.Uuid(), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("vat_rate", sa.BigInteger(), nullable=False),
        sa.Column("prices_include_vat", sa.Boolean(), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("vat", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("credited", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("buyer_name", sa.String(length=300), nullable=True),
        sa.Column("buyer_tax_id", sa.String(length=32), nullable=True),
        sa.Column("buyer_branch", sa.String(length=60), nullable=True),
        sa.Column("buyer_address", sa.String(length=1200), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "credited >= 0 AND credited <= total", name=op.f("ck_invoice_credited_within_total")
        ),
        sa.CheckConstraint("total >= 0", name=op.f("ck_invoice_total_not_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_invoice_customer_id_customer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"],
            ["app_user.id"],
            name=op.f("fk_invoice_issued_by_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["customer_order.id"],
            name=op.f("fk_invoice_order_id_customer_order"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["original_id"],
            ["invoice.id"],
            name=op.f("fk_invoice_original_id_invoice"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_invoice_store_id_store"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint(
            "store_id",
            "kind",
            "year",
            "sequence",
            name=op.f("uq_invoice_store_id_kind_year_sequence"),
        ),
    )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoice_customer_issued", ["customer_id", "issued_at", "id"], unique=False
        )
        batch_op.create_index("ix_invoice_issued", ["issued_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_original_id"), ["original_id"], unique=False)
        batch_op.create_index(
            "uq_invoice_order_kind",
            ["order_id", "kind"],
            unique=True,
            sqlite_where=sa.text("original_id IS NULL"),
            postgresql_where=sa.text("original_id IS NULL"),
        )

    op.create_table(
        "invoice_line",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("line_total", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
            name=op.f("fk_invoice_line_invoice_id_invoice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_line")),
        sa.UniqueConstraint(
            "invoice_id", "position", name=op.f("uq_invoice_line_invoice_id_position")
        ),
    )


def downgrade() -> None:
    op.drop_table("invoice_line")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_invoice_order_kind",
            sqlite_where=sa.text("original_id IS NULL"),
            postgresql_where=sa.text("original_id IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_invoice_original_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_order_id"))
        batch_op.drop_index("ix_invoice_issued")
        batch_op.drop_index("ix_invoice_customer_issued")

    op.drop_table("invoice")
    with op.batch_alter_table("booking_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_history_booking_id"))

    op.drop_table("booking_history")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_store_starts")
        batch_op.drop_index("ix_booking_status_starts")
        batch_op.drop_index("ix_booking_resource_starts")
        batch_op.drop_index(batch_op.f("ix_booking_remind_at"))
        batch_op.drop_index("ix_booking_customer_starts")

    op.drop_table("booking")
    with op.batch_alter_table("store_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_store_staff_user_id"))

    op.drop_table("store_staff")
    op.drop_table("booking_slot")
    op.drop_table("document_counter")
    with op.batch_alter_table("booking_resource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_resource_store_id"))

    op.drop_table("booking_resource")
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_store_region"))
        batch_op.drop_index(batch_op.f("ix_store_province_code"))

    op.drop_table("store")
