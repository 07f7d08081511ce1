"""sfa pipelines, stages, deal contacts and stage history

The deal's fixed ``stage`` enum becomes a stage of a pipeline: the default B2B pipeline
(Opportunity → Qualify → Negotiation → Closed Won / Closed Lost) is created here, and every
existing deal is placed in it (cold, warm and opportunity deals at Opportunity).

Revision ID: sfa000000201
Revises: 673d5a227b46
Create Date: 2026-11-23 18:30:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "sfa000000201"
down_revision: str | Sequence[str] | None = "673d5a227b46"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "d1a0c0de0021"

PIPELINE_ID = uuid.UUID("01a209a5-52d4-7a28-a503-49eb468a7dde")
STAGES = (
    # id, name, position, probability, kind, the old enum values placed here
    (
        "01a209a5-52d4-7bf9-b154-e066b340d047",
        "Opportunity",
        1,
        10,
        "open",
        ("cold", "warm", "opportunity"),
    ),
    ("01a209a5-52d4-736d-a6b5-04a8850cead9", "Qualify", 2, 30, "open", ("qualify",)),
    ("01a209a5-52d4-7e4c-bd42-abfb34ef5380", "Negotiation", 3, 60, "open", ("negotiation",)),
    ("01a209a5-52d4-7912-b76a-acb3b3269af4", "Closed Won", 4, 100, "won", ("closed_won",)),
    ("01a209a5-52d4-7911-8d07-0f7b644d2974", "Closed Lost", 5, 0, "lost", ("closed_lost",)),
)
OLD_STAGE = sa.Enum(
    "cold",
    "warm",
    "opportunity",
    "qualify",
    "negotiation",
    "closed_won",
    "closed_lost",
    name="stage",
    native_enum=False,
    create_constraint=True,
    length=20,
)


def _uuid7() -> uuid.UUID:
    """A UUIDv7 for rows this migration writes (time-ordered like every UniCRM key)."""
    ms = int(datetime.now(UTC).timestamp() * 1000)
    raw = bytearray(ms.to_bytes(6, "big") + uuid.uuid4().bytes[6:])
    raw[6] = (raw[6] & 0x0F) | 0x70
    raw[8] = (raw[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(raw))


def upgrade() -> None:
    pipeline = op.create_table(
        "sfa_pipeline",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_pipeline")),
        sa.UniqueConstraint("name", name=op.f("uq_sfa_pipeline_name")),
    )
    op.create_index(
        "uq_sfa_pipeline_default",
        "sfa_pipeline",
        ["is_default"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )
    stage = op.create_table(
        "sfa_stage",
        sa.Column("pipeline_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("open", "won", "lost", name="stagekind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "probability >= 0 AND probability <= 100",
            name=op.f("ck_sfa_stage_probability_percent"),
        ),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["sfa_pipeline.id"],
            name=op.f("fk_sfa_stage_pipeline_id_sfa_pipeline"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_stage")),
        sa.UniqueConstraint("pipeline_id", "name", name=op.f("uq_sfa_stage_pipeline_id_name")),
    )
    op.create_index("ix_sfa_stage_pipeline_position", "sfa_stage", ["pipeline_id", "position"])

    now = datetime.now(UTC)
    op.bulk_insert(
        pipeline, [{"id": PIPELINE_ID, "name": "B2B", "is_default": True, "created_at": now}]
    )
    op.bulk_insert(
        stage,
        [
            {
                "id": uuid.UUID(sid),
                "pipeline_id": PIPELINE_ID,
                "name": name,
                "position": position,
                "probability": probability,
                "kind": kind,
                "archived_at": None,
            }
            for sid, name, position, probability, kind, _ in STAGES
        ],
    )

    with op.batch_alter_table("sfa_deal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("company_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("pipeline_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("stage_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("team_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "source",
                sa.Enum(
                    "manual",
                    "import",
                    "ma_handoff",
                    "lead_conversion",
                    name="dealsource",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("next_step", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("lost_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("stage_entered_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))

    deal = sa.table(
        "sfa_deal",
        sa.column("stage", sa.String),
        sa.column("stage_id", sa.Uuid),
        sa.column("pipeline_id", sa.Uuid),
        sa.column("source", sa.String),
        sa.column("version", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("stage_entered_at", sa.DateTime(timezone=True)),
        sa.column("closed_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    for sid, _, _, _, kind, old_values in STAGES:
        op.execute(
            deal.update()
            .where(deal.c.stage.in_(old_values))
            .values(
                stage_id=uuid.UUID(sid),
                pipeline_id=PIPELINE_ID,
                source="manual",
                version=1,
                stage_entered_at=deal.c.created_at,
                updated_at=deal.c.created_at,
                closed_at=None if kind == "open" else deal.c.created_at,
            )
        )

    with op.batch_alter_table("sfa_deal", schema=None) as batch_op:
        batch_op.drop_index("ix_sfa_deal_stage_created_at_id")
        batch_op.drop_constraint(batch_op.f("ck_sfa_deal_stage"), type_="check")
        batch_op.drop_column("stage")
        for column in ("pipeline_id", "stage_id", "source", "version"):
            batch_op.alter_column(column, nullable=False)
        for column in ("stage_entered_at", "updated_at"):
            batch_op.alter_column(column, existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_sfa_deal_company_id_customer"),
            "customer",
            ["company_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_sfa_deal_pipeline_id_sfa_pipeline"),
            "sfa_pipeline",
            ["pipeline_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_sfa_deal_stage_id_sfa_stage"),
            "sfa_stage",
            ["stage_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_sfa_deal_team_id_team"), "team", ["team_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index(batch_op.f("ix_sfa_deal_company_id"), ["company_id"])
        batch_op.create_index(batch_op.f("ix_sfa_deal_pipeline_id"), ["pipeline_id"])
        batch_op.create_index(batch_op.f("ix_sfa_deal_team_id"), ["team_id"])
        batch_op.create_index("ix_sfa_deal_stage_created_at_id", ["stage_id", "created_at", "id"])

    op.create_table(
        "sfa_deal_contact",
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "decision_maker",
                "influencer",
                "champion",
                "evaluator",
                "user",
                "other",
                name="contactrole",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_sfa_deal_contact_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["sfa_deal.id"],
            name=op.f("fk_sfa_deal_contact_deal_id_sfa_deal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_deal_contact")),
        sa.UniqueConstraint(
            "deal_id", "customer_id", name=op.f("uq_sfa_deal_contact_deal_id_customer_id")
        ),
    )
    op.create_index(op.f("ix_sfa_deal_contact_customer_id"), "sfa_deal_contact", ["customer_id"])
    change = op.create_table(
        "sfa_stage_change",
        sa.Column("deal_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage_id", sa.Uuid(), nullable=True),
        sa.Column("to_stage_id", sa.Uuid(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds_in_stage", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["sfa_deal.id"],
            name=op.f("fk_sfa_stage_change_deal_id_sfa_deal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_stage_id"],
            ["sfa_stage.id"],
            name=op.f("fk_sfa_stage_change_from_stage_id_sfa_stage"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["to_stage_id"],
            ["sfa_stage.id"],
            name=op.f("fk_sfa_stage_change_to_stage_id_sfa_stage"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_sfa_stage_change_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfa_stage_change")),
    )
    op.create_index("ix_sfa_stage_change_deal", "sfa_stage_change", ["deal_id", "changed_at", "id"])
    op.create_index(op.f("ix_sfa_stage_change_to_stage_id"), "sfa_stage_change", ["to_stage_id"])

    # Every existing deal's history starts with its opening in the stage it was placed in.
    existing = sa.table(
        "sfa_deal",
        sa.column("id", sa.Uuid),
        sa.column("stage_id", sa.Uuid),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    rows = op.get_bind().execute(sa.select(existing)).all()
    if rows:
        op.bulk_insert(
            change,
            [
                {
                    "id": _uuid7(),
                    "deal_id": r.id,
                    "from_stage_id": None,
                    "to_stage_id": r.stage_id,
                    "changed_by": "system",
                    "user_id": None,
                    "changed_at": r.created_at,
                    "seconds_in_stage": None,
                }
                for r in rows
            ],
        )


def downgrade() -> None:
    op.drop_index(op.f("ix_sfa_stage_change_to_stage_id"), table_name="sfa_stage_change")
    op.drop_index("ix_sfa_stage_change_deal", table_name="sfa_stage_change")
    op.drop_table("sfa_stage_change")
    op.drop_index(op.f("ix_sfa_deal_contact_customer_id"), table_name="sfa_deal_contact")
    op.drop_table("sfa_deal_contact")

    with op.batch_alter_table("sfa_deal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", OLD_STAGE, nullable=True))

    # A deal goes back to the old stage of its stage's kind and position in the pipeline.
    stage = sa.table(
        "sfa_stage",
        sa.column("id", sa.Uuid),
        sa.column("name", sa.String),
        sa.column("kind", sa.String),
    )
    deal = sa.table("sfa_deal", sa.column("stage", sa.String), sa.column("stage_id", sa.Uuid))
    kind_of = sa.select(stage.c.kind).where(stage.c.id == deal.c.stage_id).scalar_subquery()
    name_of = sa.select(stage.c.name).where(stage.c.id == deal.c.stage_id).scalar_subquery()
    op.execute(
        deal.update().values(
            stage=sa.case(
                (kind_of == "won", "closed_won"),
                (kind_of == "lost", "closed_lost"),
                (name_of == "Qualify", "qualify"),
                (name_of == "Negotiation", "negotiation"),
                else_="opportunity",
            )
        )
    )

    with op.batch_alter_table("sfa_deal", schema=None) as batch_op:
        batch_op.drop_index("ix_sfa_deal_stage_created_at_id")
        batch_op.drop_index(batch_op.f("ix_sfa_deal_team_id"))
        batch_op.drop_index(batch_op.f("ix_sfa_deal_pipeline_id"))
        batch_op.drop_index(batch_op.f("ix_sfa_deal_company_id"))
        batch_op.drop_constraint(batch_op.f("fk_sfa_deal_team_id_team"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_sfa_deal_stage_id_sfa_stage"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_sfa_deal_pipeline_id_sfa_pipeline"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_sfa_deal_company_id_customer"), type_="foreignkey")
        for column in (
            "updated_at",
            "closed_at",
            "stage_entered_at",
            "version",
            "lost_reason",
            "next_step",
            "source",
            "team_id",
            "stage_id",
            "pipeline_id",
            "company_id",
        ):
            batch_op.drop_column(column)
        batch_op.alter_column("stage", existing_type=OLD_STAGE, nullable=False)
        batch_op.create_index("ix_sfa_deal_stage_created_at_id", ["stage", "created_at", "id"])

    op.drop_index("ix_sfa_stage_pipeline_position", table_name="sfa_stage")
    op.drop_table("sfa_stage")
    op.drop_index("uq_sfa_pipeline_default", table_name="sfa_pipeline")
    op.drop_table("sfa_pipeline")
