"""change notifications: PostgreSQL tells each process when a cached read went stale

Statement-level triggers (one notification per key and transaction, however many rows)
on the tables that cached reads depend on; see app/changes.py. SQLite has no
notifications: there the migration does nothing and readers check the database.

Revision ID: i18_change_notifications
Revises: i13a_estate_area_eras
Create Date: 2026-12-01 14:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "i18_change_notifications"
down_revision: str | Sequence[str] | None = "i13a_estate_area_eras"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables under an inspection, and the column naming it.
BY_INSPECTION = {
    "inspection": "id",
    "inspection_case": "inspection_id",
    "answer_tally": "inspection_id",
    "survey_response": "inspection_id",
    "evidence_item": "inspection_id",
    "criterion_judgement": "inspection_id",
    "case_review": "inspection_id",
    "rating_override": "inspection_id",
    "healthy_prison_test": "inspection_id",
}
# Tables whose every change concerns one key.
BY_KEY = {"user_account": "accounts", "service_client": "accounts", "findings_letter": "letters"}
# A transition table may serve one event only, so each table has a trigger per event.
EVENTS = {"INSERT": "NEW", "UPDATE": "NEW", "DELETE": "OLD"}


def _function(column: str) -> str:
    return f"""
        CREATE FUNCTION omi_notify_by_{column}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('omi_changes', 'inspection:' || ids.{column})
            FROM (SELECT DISTINCT {column} FROM changed) AS ids;
            RETURN NULL;
        END $$
    """


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in sorted(set(BY_INSPECTION.values())):
        op.execute(_function(column))
    op.execute(
        """
        CREATE FUNCTION omi_notify_key() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('omi_changes', TG_ARGV[0]);
            RETURN NULL;
        END $$
        """
    )
    for table, column in BY_INSPECTION.items():
        for event, side in EVENTS.items():
            op.execute(
                f"CREATE TRIGGER omi_changes_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {side} TABLE AS changed FOR EACH STATEMENT "
                f"EXECUTE FUNCTION omi_notify_by_{column}()"
            )
    for table, key in BY_KEY.items():
        op.execute(
            f"CREATE TRIGGER omi_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION omi_notify_key('{key}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in BY_INSPECTION:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER omi_changes_{event.lower()} ON {table}")
    for table in BY_KEY:
        op.execute(f"DROP TRIGGER omi_changes ON {table}")
    for column in sorted(set(BY_INSPECTION.values())):
        op.execute(f"DROP FUNCTION omi_notify_by_{column}()")
    op.execute("DROP FUNCTION omi_notify_key()")
