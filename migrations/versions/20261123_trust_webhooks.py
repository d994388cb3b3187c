"""trust webhooks: where each trust is told that a letter was published

Revision ID: c81e7836f78e
Revises: a0873eaa7449
Create Date: 2026-11-23 09:26:49.490836
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "c81e7836f78e"
down_revision: str | Sequence[str] | None = "a0873eaa7449"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trust_webhook",
        sa.Column("trust_code", sa.String(length=64), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("secret", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("last_delivery_at", app.models.base.UTCDateTime(), nullable=True),
        sa.Column(
            "last_delivery_outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True
        ),
        sa.Column("last_delivery_status", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["trust_code"],
            ["trust.code"],
            name=op.f("fk_trust_webhook_trust_code_trust"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("trust_code", name=op.f("pk_trust_webhook")),
    )


def downgrade() -> None:
    op.drop_table("trust_webhook")
