"""crm case workflow: channels, categories, queues, assignees, conversation, attachments

Existing cases keep their data: ``pending`` becomes ``pending_customer`` and every case gets
the ``phone`` channel. The status and priority columns lose their CHECK constraints (new
statuses need no migration of a constraint), so ``crm_case`` is rebuilt on SQLite before any
table references it.

Revision ID: crm000000201
Revises: 44e7930b1c25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "crm000000201"
down_revision: str | Sequence[str] | None = "44e7930b1c25"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "d1a0c0de0021"

OLD_STATUS = sa.Enum(
    "new",
    "open",
    "pending",
    "resolved",
    "closed",
    name="status",
    native_enum=False,
    create_constraint=True,
    length=16,
)
OLD_PRIORITY = sa.Enum(
    "low",
    "normal",
    "high",
    "urgent",
    name="priority",
    native_enum=False,
    create_constraint=True,
    length=16,
)


def _case_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["case_id"], ["crm_case.id"], name=op.f(f"fk_{table}_case_id_crm_case"), ondelete="CASCADE"
    )


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["app_user.id"], name=op.f(f"fk_{table}_{column}_app_user"), ondelete="SET NULL"
    )


def upgrade() -> None:
    with op.batch_alter_table("crm_case", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_crm_case_status"), type_="check")
        batch_op.drop_constraint(op.f("ck_crm_case_priority"), type_="check")
        batch_op.alter_column(
            "status", existing_type=OLD_STATUS, type_=sa.String(20), existing_nullable=False
        )
        batch_op.alter_column(
            "priority", existing_type=OLD_PRIORITY, type_=sa.String(20), existing_nullable=False
        )
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("channel", sa.String(20), nullable=False, server_default="phone")
        )
        batch_op.add_column(sa.Column("category", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("assignee_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("team_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("product_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("asset_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("serial_number", sa.String(100), nullable=True))
        batch_op.add_column(sa.Column("order_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("reopen_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_foreign_key(
            "fk_crm_case_assignee_id_app_user", "app_user", ["assignee_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
        batch_op.create_foreign_key(
            "fk_crm_case_team_id_team", "team", ["team_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            "fk_crm_case_product_id_product", "product", ["product_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
        batch_op.create_foreign_key(
            "fk_crm_case_asset_id_asset", "asset", ["asset_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            "fk_crm_case_order_id_customer_order", "customer_order", ["order_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip
        batch_op.create_index("ix_crm_case_team_id_status", ["team_id", "status"])
        batch_op.create_index("ix_crm_case_assignee_id_status", ["assignee_id", "status"])
        batch_op.create_index("ix_crm_case_product_id", ["product_id"])
        batch_op.create_index("ix_crm_case_asset_id", ["asset_id"])
        batch_op.create_index("ix_crm_case_order_id", ["order_id"])
    op.execute("UPDATE crm_case SET status = 'pending_customer' WHERE status = 'pending'")
    with op.batch_alter_table("crm_case") as batch_op:
        batch_op.alter_column("channel", server_default=None, existing_type=sa.String(20))
        batch_op.alter_column("reopen_count", server_default=None, existing_type=sa.Integer())

    op.create_table(
        "crm_case_message",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("author_name", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _case_fk("crm_case_message"),
        _user_fk("crm_case_message", "author_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_case_message")),
    )
    op.create_index(
        "ix_crm_case_message_case_id_created_at", "crm_case_message", ["case_id", "created_at"]
    )
    op.create_table(
        "crm_case_attachment",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _case_fk("crm_case_attachment"),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["crm_case_message.id"],
            name=op.f("fk_crm_case_attachment_message_id_crm_case_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_case_attachment")),
    )
    op.create_index(
        "ix_crm_case_attachment_case_id_created_at",
        "crm_case_attachment",
        ["case_id", "created_at"],
    )
    op.create_index("ix_crm_case_attachment_message_id", "crm_case_attachment", ["message_id"])
    op.create_table(
        "crm_case_status_change",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _case_fk("crm_case_status_change"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_case_status_change")),
    )
    op.create_index(
        "ix_crm_case_status_change_case_id_changed_at",
        "crm_case_status_change",
        ["case_id", "changed_at"],
    )


def downgrade() -> None:
    op.drop_table("crm_case_status_change")
    op.drop_table("crm_case_attachment")
    op.drop_table("crm_case_message")
    op.execute(
        "UPDATE crm_case SET status = 'pending' "
        "WHERE status IN ('pending_customer', 'pending_internal')"
    )
    with op.batch_alter_table("crm_case", recreate="always") as batch_op:
        for name in ("order_id", "asset_id", "product_id"):
            batch_op.drop_index(f"ix_crm_case_{name}")
        batch_op.drop_index("ix_crm_case_assignee_id_status")
        batch_op.drop_index("ix_crm_case_team_id_status")
        batch_op.drop_constraint("fk_crm_case_order_id_customer_order", type_="foreignkey")
        batch_op.drop_constraint("fk_crm_case_asset_id_asset", type_="foreignkey")
        batch_op.drop_constraint("fk_crm_case_product_id_product", type_="foreignkey")
        batch_op.drop_constraint("fk_crm_case_team_id_team", type_="foreignkey")
        batch_op.drop_constraint("fk_crm_case_assignee_id_app_user", type_="foreignkey")
        for name in (
            "reopen_count",
            "closed_at",
            "resolved_at",
            "first_response_at",
            "updated_at",
            "order_id",
            "serial_number",
            "asset_id",
            "product_id",
            "team_id",
            "assignee_id",
            "category",
            "channel",
            "description",
        ):
            batch_op.drop_column(name)
        batch_op.alter_column(
            "status", existing_type=sa.String(20), type_=sa.String(16), existing_nullable=False
        )
        batch_op.alter_column(
            "priority", existing_type=sa.String(20), type_=sa.String(16), existing_nullable=False
        )
        batch_op.create_check_constraint(
            "status", "status IN ('new', 'open', 'pending', 'resolved', 'closed')"
        )
        batch_op.create_check_constraint(
            "priority", "priority IN ('low', 'normal', 'high', 'urgent')"
        )
