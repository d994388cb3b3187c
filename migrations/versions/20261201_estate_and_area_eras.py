"""the whole estate and every era's probation areas: establishments gain their NOMIS code
and closing date (type may be unknown); probation areas gain their kind and validity

Revision ID: i13a_estate_area_eras
Revises: eebbef6cdc6e
Create Date: 2026-12-01 14:30:00
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "i13a_estate_area_eras"
down_revision: str | Sequence[str] | None = "eebbef6cdc6e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The eleven establishments of the aggregate report, with their prison register codes.
NOMIS_CODES = {
    "deerbolt": "DTI",
    "durham": "DMI",
    "east-sutton-park": "ESI",
    "high-down": "HOI",
    "isis": "ISI",
    "low-newton": "LNI",
    "maidstone": "MSI",
    "rye-hill": "RHI",
    "shrewsbury": "SYI",
    "stafford": "SFI",
    "wayland": "WLI",
}
SHREWSBURY_CLOSED = date(2013, 3, 31)
TRUSTS_FROM, TRUSTS_TO = date(2010, 4, 1), date(2021, 6, 25)


def upgrade() -> None:
    with op.batch_alter_table("establishment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("nomis_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True)
        )
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.alter_column("type", existing_type=sa.String(length=16), nullable=True)
        batch_op.create_unique_constraint(batch_op.f("uq_establishment_nomis_code"), ["nomis_code"])
    with op.batch_alter_table("trust", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_to", sa.Date(), nullable=True))

    establishment = sa.table(
        "establishment",
        sa.column("code", sa.String),
        sa.column("nomis_code", sa.String),
        sa.column("closed_on", sa.Date),
    )
    for code, nomis in NOMIS_CODES.items():
        op.execute(
            establishment.update().where(establishment.c.code == code).values(nomis_code=nomis)
        )
    op.execute(
        establishment.update()
        .where(establishment.c.code == "shrewsbury")
        .values(closed_on=SHREWSBURY_CLOSED)
    )
    trust = sa.table(
        "trust",
        sa.column("kind", sa.String),
        sa.column("valid_from", sa.Date),
        sa.column("valid_to", sa.Date),
    )
    # Every area held so far is one of the 35 trusts' areas.
    op.execute(
        trust.update().values(
            kind="trust",
            valid_from=TRUSTS_FROM,
            valid_to=TRUSTS_TO,
        )
    )
    with op.batch_alter_table("trust", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_index(batch_op.f("ix_trust_kind"), ["kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("trust", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trust_kind"))
        batch_op.drop_column("valid_to")
        batch_op.drop_column("valid_from")
        batch_op.drop_column("kind")
    # The old schema cannot say "unknown": such establishments go back as training prisons.
    op.execute("UPDATE establishment SET type = 'training' WHERE type IS NULL")
    with op.batch_alter_table("establishment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_establishment_nomis_code"), type_="unique")
        batch_op.alter_column("type", existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_column("closed_on")
        batch_op.drop_column("nomis_code")
