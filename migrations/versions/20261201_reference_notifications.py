"""reference notifications: PostgreSQL tells each process when the reference data changed

A statement-level trigger on each reference table (the estate, the probation areas, the
programmes and the frameworks) sends the key `reference` when a transaction that changed
it commits; the change feed counts it, with every inspection's changes, under
`aggregates` (app/changes.py), so a kept aggregate document goes stale when a prison's
type or a trust's region changes in another process. SQLite has no notifications: there
the migration does nothing.

Revision ID: i16q_reference_notifications
Revises: i16p_facet_tally
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "i16q_reference_notifications"
down_revision: str | Sequence[str] | None = "i16p_facet_tally"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# omi_notify_key() is made by the change notifications migration.
REFERENCE_TABLES = ("establishment", "trust", "region", "programme", "framework")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in REFERENCE_TABLES:
        op.execute(
            f"CREATE TRIGGER omi_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION omi_notify_key('reference')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in REFERENCE_TABLES:
        op.execute(f"DROP TRIGGER omi_changes ON {table}")
