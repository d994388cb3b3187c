"""facet and question tallies: answers and National Standards checks counted per inspection
and case fact, and per inspection and question

answer_tally also counts the National Standards checks from here on (as questions
`national_standards:<check>`); facet_tally holds the same counts split by one fact of the
case (grade, risk, sex, sentence type, age band); question_tally sums both over the values
per inspection and question, per scope. All are filled here from the cases already stored;
writes keep them since.

Revision ID: i16p_facet_tally
Revises: i20_tokens_not_before
Create Date: 2026-12-01 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlmodel import Session

revision: str = "i16p_facet_tally"
down_revision: str | Sequence[str] | None = "i20_tokens_not_before"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "facet_tally",
        sa.Column("facet", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("inspection_id", sa.String(length=32), nullable=False),
        sa.Column("in_scope", sa.Boolean(), nullable=False),
        sa.Column("facet_value", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("question_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("answer_count", sa.Integer(), nullable=False),
        sa.Column("yes_count", sa.Integer(), nullable=False),
        sa.Column("no_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_facet_tally_inspection_id_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "facet",
            "inspection_id",
            "in_scope",
            "facet_value",
            "question_code",
            "value",
            name=op.f("pk_facet_tally"),
        ),
    )
    op.create_table(
        "question_tally",
        sa.Column("facet", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("inspection_id", sa.String(length=32), nullable=False),
        sa.Column("facet_value", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("question_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("yes_count", sa.Integer(), nullable=False),
        sa.Column("no_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_question_tally_inspection_id_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "facet",
            "scope",
            "inspection_id",
            "facet_value",
            "question_code",
            name=op.f("pk_question_tally"),
        ),
    )
    # The counting is the service's own (the National Standards rules need each
    # database's date arithmetic), run once over every inspection.
    from app.services.cases.tally import rebuild_all

    session = Session(bind=op.get_bind())
    rebuild_all(session)
    session.flush()


def downgrade() -> None:
    op.drop_table("question_tally")
    op.drop_table("facet_tally")
    op.execute("DELETE FROM answer_tally WHERE question_code LIKE 'national_standards:%'")
