"""case review and judgements beside the figures: review states and history, second
readings, healthy prison tests, rating overrides, judgements naming their inspectorate

Revision ID: eebbef6cdc6e
Revises: 5f2d3c9a7b41
Create Date: 2026-12-01 10:16:30.584912
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "eebbef6cdc6e"
down_revision: str | Sequence[str] | None = "5f2d3c9a7b41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "healthy_prison_test",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("inspection_id", sa.String(length=32), nullable=False),
        sa.Column("test", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rationale", sqlmodel.sql.sqltypes.AutoString(length=8000), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_healthy_prison_test_inspection_id_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_healthy_prison_test")),
        sa.UniqueConstraint(
            "inspection_id", "test", name=op.f("uq_healthy_prison_test_inspection_id_test")
        ),
    )
    with op.batch_alter_table("healthy_prison_test", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_healthy_prison_test_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "rating_override",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("inspection_id", sa.String(length=32), nullable=False),
        sa.Column("section_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("rating", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_rating_override_inspection_id_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_override")),
        sa.UniqueConstraint(
            "inspection_id",
            "section_code",
            name=op.f("uq_rating_override_inspection_id_section_code"),
        ),
    )
    with op.batch_alter_table("rating_override", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rating_override_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "case_review",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("inspection_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["inspection_case.id"],
            name=op.f("fk_case_review_case_id_inspection_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_case_review_inspection_id_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_review")),
    )
    with op.batch_alter_table("case_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_review_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_review_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "second_reading",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("inspection_id", sa.String(length=32), nullable=False),
        sa.Column("reader", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["inspection_case.id"],
            name=op.f("fk_second_reading_case_id_inspection_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_second_reading_inspection_id_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_second_reading")),
        sa.UniqueConstraint("case_id", name=op.f("uq_second_reading_case_id")),
    )
    with op.batch_alter_table("second_reading", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_second_reading_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "second_reading_answer",
        sa.Column("reading_id", sa.String(length=32), nullable=False),
        sa.Column("question_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sufficient", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reading_id"],
            ["second_reading.id"],
            name=op.f("fk_second_reading_answer_reading_id_second_reading"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "reading_id", "question_code", name=op.f("pk_second_reading_answer")
        ),
    )
    # Judgements recorded so far: HMI Probation's, unless their author holds only the
    # prisons inspector's role.
    with op.batch_alter_table("criterion_judgement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "inspectorate",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=False,
                server_default="hmi-probation",
            )
        )
        batch_op.drop_constraint(
            batch_op.f("uq_criterion_judgement_inspection_id_criterion_code"), type_="unique"
        )
        batch_op.create_unique_constraint(
            "uq_criterion_judgement_criterion_inspectorate",
            ["inspection_id", "criterion_code", "inspectorate"],
        )
    op.execute(
        "UPDATE criterion_judgement SET inspectorate = 'hmi-prisons' WHERE created_by IN ("
        "SELECT 'user:' || id FROM user_account"
        " WHERE CAST(roles AS TEXT) LIKE '%prisons_inspector%'"
        " AND CAST(roles AS TEXT) NOT LIKE '%probation_inspector%'"
        " AND CAST(roles AS TEXT) NOT LIKE '%admin%')"
    )
    with op.batch_alter_table("criterion_judgement", schema=None) as batch_op:
        batch_op.alter_column("inspectorate", server_default=None)

    # Cases typed before review existed: a published inspection's are approved (they were
    # published as final); the others wait for an approver, as imported cases do.
    with op.batch_alter_table("inspection_case", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "review_status", sa.String(length=16), nullable=False, server_default="submitted"
            )
        )
        batch_op.add_column(
            sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_inspection_case_review_status"), ["review_status"], unique=False
        )
    op.execute(
        "UPDATE inspection_case SET review_status = 'approved' WHERE inspection_id IN ("
        "SELECT id FROM inspection WHERE status = 'published')"
    )
    with op.batch_alter_table("inspection_case", schema=None) as batch_op:
        batch_op.alter_column("review_status", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("inspection_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_case_review_status"))
        batch_op.drop_column("submitted_by")
        batch_op.drop_column("review_status")

    with op.batch_alter_table("criterion_judgement", schema=None) as batch_op:
        batch_op.drop_constraint("uq_criterion_judgement_criterion_inspectorate", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_criterion_judgement_inspection_id_criterion_code"),
            ["inspection_id", "criterion_code"],
        )
        batch_op.drop_column("inspectorate")

    op.drop_table("second_reading_answer")
    with op.batch_alter_table("second_reading", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_second_reading_inspection_id"))

    op.drop_table("second_reading")
    with op.batch_alter_table("case_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_review_inspection_id"))
        batch_op.drop_index(batch_op.f("ix_case_review_case_id"))

    op.drop_table("case_review")
    with op.batch_alter_table("rating_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_override_inspection_id"))

    op.drop_table("rating_override")
    with op.batch_alter_table("healthy_prison_test", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_healthy_prison_test_inspection_id"))

    op.drop_table("healthy_prison_test")
