"""Leads and lifecycle stages, teams, notifications.

Revision ID: c1a0c0de0011
Revises: c5a0c0de0015
Create Date: 2026-11-23 15:40:00.000000

Existing customers start as subscribers, except those with an order, who are customers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c1a0c0de0011"
down_revision: str | Sequence[str] | None = "c5a0c0de0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGES = (
    "subscriber",
    "lead",
    "marketing_qualified",
    "sales_qualified",
    "opportunity",
    "customer",
    "churned",
)
TEMPERATURES = ("cold", "warm", "hot")


def _stage(name: str = "lifecyclestage") -> sa.Enum:
    return sa.Enum(*STAGES, name=name, native_enum=False, length=32)


def _temperature() -> sa.Enum:
    return sa.Enum(*TEMPERATURES, name="leadtemperature", native_enum=False, length=32)


def upgrade() -> None:
    # ALTER TABLE … ADD COLUMN in place (no batch): recreating the customer table on SQLite
    # would fail the foreign keys of every row that references a customer. The server default
    # stays: it is what existing and future rows without a stage get.
    op.add_column(
        "customer",
        sa.Column("lifecycle_stage", _stage(), nullable=False, server_default="subscriber"),
    )
    op.execute(
        "UPDATE customer SET lifecycle_stage = 'customer' WHERE EXISTS "
        "(SELECT 1 FROM customer_order WHERE customer_order.customer_id = customer.id)"
    )
    op.create_index(
        op.f("ix_customer_lifecycle_stage"), "customer", ["lifecycle_stage"], unique=False
    )

    op.create_table(
        "customer_lifecycle_change",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage", _stage(), nullable=True),
        sa.Column("to_stage", _stage(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_customer_lifecycle_change_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_customer_lifecycle_change_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_lifecycle_change")),
    )
    with op.batch_alter_table("customer_lifecycle_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_lifecycle_change_customer",
            ["customer_id", "changed_at", "id"],
            unique=False,
        )

    op.create_table(
        "lead",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "converted",
                "disqualified",
                name="leadstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("temperature", _temperature(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "web_form",
                "event",
                "inside_sales_call",
                "import",
                "pos",
                "referral",
                name="leadsource",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("external_source", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("converted_by", sa.String(length=200), nullable=True),
        sa.Column("disqualified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disqualified_reason", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_lead_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["app_user.id"],
            name=op.f("fk_lead_owner_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead")),
        sa.UniqueConstraint(
            "external_source", "external_id", name=op.f("uq_lead_external_source_external_id")
        ),
    )
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_lead_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_lead_status_temperature", ["status", "temperature"], unique=False)
        batch_op.create_index(
            "uq_lead_open_customer",
            ["customer_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "lead_temperature_change",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("from_temperature", _temperature(), nullable=True),
        sa.Column("to_temperature", _temperature(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["lead.id"],
            name=op.f("fk_lead_temperature_change_lead_id_lead"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_temperature_change")),
    )
    with op.batch_alter_table("lead_temperature_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lead_temperature_change_lead", ["lead_id", "changed_at", "id"], unique=False
        )

    op.create_table(
        "team",
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("manager_id", sa.Uuid(), nullable=True),
        sa.Column("territories", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_team_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["app_user.id"],
            name=op.f("fk_team_manager_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("department_id", "name", name=op.f("uq_team_department_id_name")),
    )
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_team_manager_id"), ["manager_id"], unique=False)

    op.create_table(
        "team_member",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_team_member_team_id_team"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_team_member_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_member")),
    )
    with op.batch_alter_table("team_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_member_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "uq_team_member_primary",
            ["user_id"],
            unique=True,
            sqlite_where=sa.text("is_primary"),
            postgresql_where=sa.text("is_primary"),
        )

    op.create_table(
        "notification",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "assignment",
                "handoff",
                "sla_warning",
                "mention",
                name="notificationkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=2000), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_notification_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_inbox", ["user_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_notification_unread", ["user_id", "read_at"], unique=False)
        batch_op.create_index("ix_notification_read_at", ["read_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_read_at")
        batch_op.drop_index("ix_notification_unread")
        batch_op.drop_index("ix_notification_inbox")
    op.drop_table("notification")
    with op.batch_alter_table("team_member", schema=None) as batch_op:
        batch_op.drop_index("uq_team_member_primary")
        batch_op.drop_index(batch_op.f("ix_team_member_user_id"))
    op.drop_table("team_member")
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_manager_id"))
        batch_op.drop_index(batch_op.f("ix_team_department_id"))
    op.drop_table("team")
    with op.batch_alter_table("lead_temperature_change", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_temperature_change_lead")
    op.drop_table("lead_temperature_change")
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index("uq_lead_open_customer")
        batch_op.drop_index("ix_lead_status_temperature")
        batch_op.drop_index("ix_lead_created_at_id")
        batch_op.drop_index(batch_op.f("ix_lead_owner_id"))
        batch_op.drop_index(batch_op.f("ix_lead_customer_id"))
    op.drop_table("lead")
    with op.batch_alter_table("customer_lifecycle_change", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_lifecycle_change_customer")
    op.drop_table("customer_lifecycle_change")
    op.drop_index(op.f("ix_customer_lifecycle_stage"), table_name="customer")
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+), for the same reason as above
    with op.batch_alter_table("customer", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("lifecycle_stage")
