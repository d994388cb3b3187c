"""answer tally: case answers counted per inspection, scope, question and value

Revision ID: 5f2d3c9a7b41
Revises: c81e7836f78e
Create Date: 2026-11-23 11:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5f2d3c9a7b41"
down_revision: str | Sequence[str] | None = "c81e7836f78e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answer_tally",
        sa.Column("inspection_id", sa.String(length=32), nullable=False),
        sa.Column("in_scope", sa.Boolean(), nullable=False),
        sa.Column("question_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("answer_count", sa.Integer(), nullable=False),
        sa.Column("yes_count", sa.Integer(), nullable=False),
        sa.Column("no_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_answer_tally_inspection_id_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "inspection_id",
            "in_scope",
            "question_code",
            "value",
            name=op.f("pk_answer_tally"),
        ),
    )
    # Answers stored before this revision are counted once here; writes keep it since.
    op.execute(
        """
        INSERT INTO answer_tally (inspection_id, in_scope, question_code, value,
                                  answer_count, yes_count, no_count)
        SELECT c.inspection_id, c.in_scope, a.question_code, a.value, count(*),
               sum(CASE WHEN a.sufficient THEN 1 ELSE 0 END),
               sum(CASE WHEN NOT a.sufficient THEN 1 ELSE 0 END)
        FROM answer a JOIN inspection_case c ON c.id = a.case_id
        GROUP BY c.inspection_id, c.in_scope, a.question_code, a.value
        """
    )


def downgrade() -> None:
    op.drop_table("answer_tally")
