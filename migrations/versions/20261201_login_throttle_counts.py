"""login throttle counts in the database, so every process shares one limit

Revision ID: i13b_login_throttle
Revises: i15_webhook_outbox
Create Date: 2026-12-01 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "i13b_login_throttle"
down_revision: str | Sequence[str] | None = "i15_webhook_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failure_count",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", app.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failure_count")),
    )
    with op.batch_alter_table("login_failure_count", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_failure_count_window_start"), ["window_start"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("login_failure_count", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failure_count_window_start"))
    op.drop_table("login_failure_count")
