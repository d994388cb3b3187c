"""tokens_not_before on accounts: tokens issued before a revocation stay refused

Revision ID: i20_tokens_not_before
Revises: i19_letter_unique
Create Date: 2026-12-01 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base
from app.models.base import utcnow

revision: str = "i20_tokens_not_before"
down_revision: str | Sequence[str] | None = "i19_letter_unique"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("user_account", "service_client")


def upgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(
                sa.Column("tokens_not_before", app.models.base.UTCDateTime(), nullable=True)
            )
    # An account disabled before this column existed was revoked then: its older tokens
    # must not come back when it is enabled again. Bound through the column's own type,
    # so both databases store the naive UTC time the models read back.
    now = utcnow()
    for name in TABLES:
        table = sa.table(
            name,
            sa.column("disabled", sa.Boolean()),
            sa.column("tokens_not_before", app.models.base.UTCDateTime()),
        )
        op.execute(
            table.update().where(table.c.disabled == sa.true()).values(tokens_not_before=now)
        )


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_column("tokens_not_before")
