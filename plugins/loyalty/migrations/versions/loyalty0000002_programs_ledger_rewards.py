"""loyalty programs, member types, the points ledger, earn rules, tiers and rewards

Revision ID: loyalty0000002
Revises: 42f6ba54fa45
Create Date: 2026-11-23 18:28:31.734314
"""

import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "loyalty0000002"
down_revision: str | Sequence[str] | None = "42f6ba54fa45"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "d1a0c0de0021"


DEFAULT_PROGRAM = {"code": "default", "name": "Loyalty", "currency": "THB"}


def _existing_members_join_a_program() -> None:
    """Members of the first release join a ``default`` program (general type) and get a QR
    value; a database without members gets no program."""
    bind = op.get_bind()
    member = sa.table(
        "loyalty_member",
        sa.column("id", sa.Uuid()),
        sa.column("program_id", sa.Uuid()),
        sa.column("member_type_id", sa.Uuid()),
        sa.column("qr_value"),
        sa.column("channel"),
    )
    members = bind.execute(sa.select(member.c.id)).scalars().all()
    if not members:
        return
    program_id, type_id = uuid.uuid4(), uuid.uuid4()
    program = sa.table(
        "loyalty_program",
        sa.column("id", sa.Uuid()),
        sa.column("code"),
        sa.column("name"),
        sa.column("currency"),
        sa.column("expiry_months"),
        sa.column("expiry_notice_days"),
        sa.column("negative_balance_policy"),
        sa.column("active", sa.Boolean()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    bind.execute(
        program.insert().values(
            id=program_id,
            expiry_months=12,
            expiry_notice_days=30,
            negative_balance_policy="floor_at_zero",
            active=True,
            created_at=datetime.now(UTC),
            **DEFAULT_PROGRAM,
        )
    )
    member_type = sa.table(
        "loyalty_member_type",
        sa.column("id", sa.Uuid()),
        sa.column("program_id", sa.Uuid()),
        sa.column("code"),
        sa.column("name"),
    )
    bind.execute(
        member_type.insert().values(
            id=type_id, program_id=program_id, code="general", name="General"
        )
    )
    for member_id in members:
        bind.execute(
            member.update()
            .where(member.c.id == member_id)
            .values(
                program_id=program_id,
                member_type_id=type_id,
                qr_value=secrets.token_urlsafe(24),
                channel="import",
            )
        )


def _opening_balances() -> None:
    """A balance carried over from the first release becomes an opening posting (an
    adjustment against ``program:adjust``) and a lot that never expires, so balances equal
    the sum of their entries from the start."""
    bind = op.get_bind()
    held = sa.table(
        "loyalty_member",
        *(sa.column(c, sa.Uuid()) for c in ("id", "program_id", "customer_id")),
        sa.column("points_balance", sa.BigInteger()),
    )
    rows = bind.execute(
        sa.select(held.c.id, held.c.program_id, held.c.customer_id, held.c.points_balance).where(
            held.c.points_balance > 0
        )
    ).all()
    entry = sa.table(
        "loyalty_ledger_entry",
        *(
            sa.column(c, sa.Uuid())
            for c in ("id", "posting_id", "program_id", "member_id", "customer_id")
        ),
        sa.column("account"),
        sa.column("kind"),
        sa.column("points"),
        sa.column("balance_after"),
        sa.column("reason"),
        sa.column("source"),
        sa.column("explanation"),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    lot = sa.table(
        "loyalty_points_lot",
        *(sa.column(c, sa.Uuid()) for c in ("id", "member_id", "posting_id")),
        sa.column("points"),
        sa.column("remaining"),
        sa.column("earned_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    for member_id, program_id, customer_id, balance in rows:
        posting = uuid.uuid4()
        common = {
            "posting_id": posting,
            "program_id": program_id,
            "kind": "adjust",
            "reason": "opening balance",
            "source": "migration",
            "explanation": f"+{balance:,} points: opening balance",
            "created_at": now,
        }
        bind.execute(
            entry.insert(),
            [
                {
                    **common,
                    "id": uuid.uuid4(),
                    "account": "member",
                    "member_id": member_id,
                    "customer_id": customer_id,
                    "points": balance,
                    "balance_after": balance,
                },
                {
                    **common,
                    "id": uuid.uuid4(),
                    "account": "program:adjust",
                    "member_id": None,
                    "customer_id": None,
                    "points": -balance,
                    "balance_after": None,
                },
            ],
        )
        bind.execute(
            lot.insert().values(
                id=uuid.uuid4(),
                member_id=member_id,
                posting_id=posting,
                points=balance,
                remaining=balance,
                earned_at=now,
                expires_at=None,
            )
        )


def upgrade() -> None:
    op.create_table(
        "loyalty_program",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("expiry_months", sa.Integer(), nullable=True),
        sa.Column("expiry_notice_days", sa.Integer(), nullable=False),
        sa.Column(
            "negative_balance_policy",
            sa.Enum(
                "reject",
                "floor_at_zero",
                "allow_negative",
                name="negativebalancepolicy",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_program")),
        sa.UniqueConstraint("code", name=op.f("uq_loyalty_program_code")),
    )
    op.create_table(
        "loyalty_reconciliation",
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("members_checked", sa.BigInteger(), nullable=False),
        sa.Column("mismatches", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_reconciliation")),
    )
    op.create_table(
        "loyalty_earn_rate",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("per_amount", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["loyalty_program.id"],
            name=op.f("fk_loyalty_earn_rate_program_id_loyalty_program"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_earn_rate")),
        sa.UniqueConstraint(
            "program_id",
            "currency",
            "tier",
            name=op.f("uq_loyalty_earn_rate_program_id_currency_tier"),
        ),
    )
    op.create_table(
        "loyalty_earn_rule",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("modifier", sa.String(length=100), nullable=True),
        sa.Column("multiplier", sa.BigInteger(), nullable=False),
        sa.Column("bonus_points", sa.BigInteger(), nullable=False),
        sa.Column("exclude", sa.Boolean(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cap_per_transaction", sa.BigInteger(), nullable=True),
        sa.Column("cap_per_day", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["loyalty_program.id"],
            name=op.f("fk_loyalty_earn_rule_program_id_loyalty_program"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_earn_rule")),
    )
    with op.batch_alter_table("loyalty_earn_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_earn_rule_program_id"), ["program_id"], unique=False
        )

    op.create_table(
        "loyalty_member_type",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["loyalty_program.id"],
            name=op.f("fk_loyalty_member_type_program_id_loyalty_program"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_member_type")),
        sa.UniqueConstraint(
            "program_id", "code", name=op.f("uq_loyalty_member_type_program_id_code")
        ),
    )
    with op.batch_alter_table("loyalty_member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("program_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("member_type_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("qr_value", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("tier_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("status_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column(
                "channel",
                sa.Enum(
                    "self",
                    "pos",
                    "staff",
                    "import",
                    name="enrollmentchannel",
                    native_enum=False,
                    length=16,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("store_id", sa.Uuid(), nullable=True))
    _existing_members_join_a_program()
    with op.batch_alter_table("loyalty_member", schema=None) as batch_op:
        batch_op.alter_column("program_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column("qr_value", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column(
            "channel",
            existing_type=sa.Enum(
                "self",
                "pos",
                "staff",
                "import",
                name="enrollmentchannel",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        )
        batch_op.drop_constraint(batch_op.f("uq_loyalty_member_customer_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("ck_loyalty_member_points_not_negative"), type_="check")
        batch_op.create_index(
            batch_op.f("ix_loyalty_member_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_loyalty_member_store_id"), ["store_id"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_loyalty_member_program_id_customer_id"), ["program_id", "customer_id"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_loyalty_member_program_id_phone"), ["program_id", "phone"]
        )
        batch_op.create_unique_constraint(batch_op.f("uq_loyalty_member_qr_value"), ["qr_value"])
        batch_op.create_foreign_key(
            batch_op.f("fk_loyalty_member_store_id_store"),
            "store",
            ["store_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_loyalty_member_program_id_loyalty_program"),
            "loyalty_program",
            ["program_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_loyalty_member_member_type_id_loyalty_member_type"),
            "loyalty_member_type",
            ["member_type_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "loyalty_reward",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("points_price", sa.BigInteger(), nullable=False),
        sa.Column("stock", sa.BigInteger(), nullable=True),
        sa.Column("per_member_limit", sa.Integer(), nullable=True),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["loyalty_program.id"],
            name=op.f("fk_loyalty_reward_program_id_loyalty_program"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_reward")),
        sa.UniqueConstraint("program_id", "code", name=op.f("uq_loyalty_reward_program_id_code")),
    )
    op.create_table(
        "loyalty_tier",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("earn_multiplier", sa.BigInteger(), nullable=False),
        sa.Column("qualify_points", sa.BigInteger(), nullable=True),
        sa.Column("qualify_spend", sa.BigInteger(), nullable=True),
        sa.Column("window_months", sa.Integer(), nullable=False),
        sa.Column("grace_months", sa.Integer(), nullable=False),
        sa.Column("benefits", sa.String(length=2000), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["loyalty_program.id"],
            name=op.f("fk_loyalty_tier_program_id_loyalty_program"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_tier")),
        sa.UniqueConstraint("program_id", "code", name=op.f("uq_loyalty_tier_program_id_code")),
    )
    op.create_table(
        "loyalty_expiry_notice",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_expiry_notice_member_id_loyalty_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "expires_at", name=op.f("pk_loyalty_expiry_notice")),
    )
    op.create_table(
        "loyalty_ledger_entry",
        sa.Column("posting_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "earn",
                "burn",
                "expire",
                "adjust",
                "reverse",
                "transfer",
                name="entrykind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_ref", sa.String(length=100), nullable=True),
        sa.Column("explanation", sa.String(length=1000), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_loyalty_ledger_entry_customer_id_customer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_ledger_entry_member_id_loyalty_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["loyalty_program.id"],
            name=op.f("fk_loyalty_ledger_entry_program_id_loyalty_program"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_ledger_entry")),
    )
    with op.batch_alter_table("loyalty_ledger_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_ledger_entry_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_loyalty_ledger_entry_member_created", ["member_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_loyalty_ledger_entry_posting_id"), ["posting_id"], unique=False
        )

    op.create_table(
        "loyalty_points_lot",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("posting_id", sa.Uuid(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("earned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_points_lot_member_id_loyalty_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_points_lot")),
    )
    with op.batch_alter_table("loyalty_points_lot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_points_lot_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            "ix_loyalty_points_lot_member_expires", ["member_id", "expires_at"], unique=False
        )

    op.create_table(
        "loyalty_pos_transaction",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("sale", "refund", name="transactionkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("original_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("posting_id", sa.Uuid(), nullable=True),
        sa.Column("reversed_points", sa.BigInteger(), nullable=False),
        sa.Column("explanation", sa.String(length=1000), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_loyalty_pos_transaction_customer_id_customer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_pos_transaction_member_id_loyalty_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["original_id"],
            ["loyalty_pos_transaction.id"],
            name=op.f("fk_loyalty_pos_transaction_original_id_loyalty_pos_transaction"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.id"],
            name=op.f("fk_loyalty_pos_transaction_store_id_store"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_pos_transaction")),
        sa.UniqueConstraint(
            "store_id",
            "transaction_id",
            name=op.f("uq_loyalty_pos_transaction_store_id_transaction_id"),
        ),
    )
    with op.batch_alter_table("loyalty_pos_transaction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_pos_transaction_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_loyalty_pos_transaction_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "loyalty_redemption",
        sa.Column("reward_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("posting_id", sa.Uuid(), nullable=False),
        sa.Column("voucher", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_loyalty_redemption_customer_id_customer"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_redemption_member_id_loyalty_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"],
            ["loyalty_reward.id"],
            name=op.f("fk_loyalty_redemption_reward_id_loyalty_reward"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_redemption")),
        sa.UniqueConstraint("voucher", name=op.f("uq_loyalty_redemption_voucher")),
    )
    with op.batch_alter_table("loyalty_redemption", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_redemption_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_loyalty_redemption_member_reward", ["member_id", "reward_id"], unique=False
        )

    op.create_table(
        "loyalty_rule_usage",
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_rule_usage_member_id_loyalty_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["loyalty_earn_rule.id"],
            name=op.f("fk_loyalty_rule_usage_rule_id_loyalty_earn_rule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rule_id", "member_id", "day", name=op.f("pk_loyalty_rule_usage")),
    )
    op.create_table(
        "loyalty_tier_change",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("from_tier", sa.String(length=32), nullable=False),
        sa.Column("to_tier", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["loyalty_member.id"],
            name=op.f("fk_loyalty_tier_change_member_id_loyalty_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_tier_change")),
    )
    with op.batch_alter_table("loyalty_tier_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loyalty_tier_change_member_id"), ["member_id"], unique=False
        )

    _opening_balances()


def downgrade() -> None:
    with op.batch_alter_table("loyalty_tier_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_tier_change_member_id"))

    op.drop_table("loyalty_tier_change")
    op.drop_table("loyalty_rule_usage")
    with op.batch_alter_table("loyalty_redemption", schema=None) as batch_op:
        batch_op.drop_index("ix_loyalty_redemption_member_reward")
        batch_op.drop_index(batch_op.f("ix_loyalty_redemption_customer_id"))

    op.drop_table("loyalty_redemption")
    with op.batch_alter_table("loyalty_pos_transaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_pos_transaction_member_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_pos_transaction_customer_id"))

    op.drop_table("loyalty_pos_transaction")
    with op.batch_alter_table("loyalty_points_lot", schema=None) as batch_op:
        batch_op.drop_index("ix_loyalty_points_lot_member_expires")
        batch_op.drop_index(batch_op.f("ix_loyalty_points_lot_expires_at"))

    op.drop_table("loyalty_points_lot")
    with op.batch_alter_table("loyalty_ledger_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_ledger_entry_posting_id"))
        batch_op.drop_index("ix_loyalty_ledger_entry_member_created")
        batch_op.drop_index(batch_op.f("ix_loyalty_ledger_entry_customer_id"))

    op.drop_table("loyalty_ledger_entry")
    op.drop_table("loyalty_expiry_notice")
    # one membership per customer again, and no negative balance: keep each customer's first
    op.execute(
        "DELETE FROM loyalty_member WHERE EXISTS (SELECT 1 FROM loyalty_member AS first "
        "WHERE first.customer_id = loyalty_member.customer_id "
        "AND (first.enrolled_at < loyalty_member.enrolled_at "
        "OR (first.enrolled_at = loyalty_member.enrolled_at AND first.id < loyalty_member.id)))"
    )
    op.execute("UPDATE loyalty_member SET points_balance = 0 WHERE points_balance < 0")
    with op.batch_alter_table("loyalty_member", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_loyalty_member_member_type_id_loyalty_member_type"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_loyalty_member_program_id_loyalty_program"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_loyalty_member_store_id_store"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_loyalty_member_qr_value"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_loyalty_member_program_id_phone"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("uq_loyalty_member_program_id_customer_id"), type_="unique"
        )
        batch_op.drop_index(batch_op.f("ix_loyalty_member_store_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_member_customer_id"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_loyalty_member_customer_id"), ["customer_id"]
        )
        batch_op.create_check_constraint("points_not_negative", "points_balance >= 0")
        batch_op.drop_column("store_id")
        batch_op.drop_column("channel")
        batch_op.drop_column("status_reason")
        batch_op.drop_column("tier_since")
        batch_op.drop_column("phone")
        batch_op.drop_column("qr_value")
        batch_op.drop_column("member_type_id")
        batch_op.drop_column("program_id")

    op.drop_table("loyalty_tier")
    op.drop_table("loyalty_reward")
    op.drop_table("loyalty_member_type")
    with op.batch_alter_table("loyalty_earn_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_earn_rule_program_id"))

    op.drop_table("loyalty_earn_rule")
    op.drop_table("loyalty_earn_rate")
    op.drop_table("loyalty_reconciliation")
    op.drop_table("loyalty_program")
