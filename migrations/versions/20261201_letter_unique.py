"""letter uniqueness: one draft and one published letter per trust and inspection

Revision ID: i19_letter_unique
Revises: i13b_login_throttle
Create Date: 2026-12-01 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "i19_letter_unique"
down_revision: str | Sequence[str] | None = "i13b_login_throttle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _dedupe() -> None:
    """Databases that met the race hold duplicates; keep the newest of each kind."""
    # A second live draft of the same trust and inspection is only a stale copy: drop it.
    op.execute(
        """
        DELETE FROM findings_letter
        WHERE status = 'draft' AND EXISTS (
            SELECT 1 FROM findings_letter AS newer
            WHERE newer.inspection_id = findings_letter.inspection_id
              AND newer.trust_code = findings_letter.trust_code
              AND newer.status = 'draft'
              AND (newer.generated_at > findings_letter.generated_at
                   OR (newer.generated_at = findings_letter.generated_at
                       AND newer.id > findings_letter.id)))
        """
    )
    # Published twice: the later publication stands, the earlier one is superseded by it.
    op.execute(
        """
        UPDATE findings_letter SET status = 'superseded'
        WHERE status = 'published' AND EXISTS (
            SELECT 1 FROM findings_letter AS newer
            WHERE newer.inspection_id = findings_letter.inspection_id
              AND newer.trust_code = findings_letter.trust_code
              AND newer.status = 'published'
              AND (newer.published_at > findings_letter.published_at
                   OR (newer.published_at = findings_letter.published_at
                       AND newer.id > findings_letter.id)))
        """
    )
    # Versions: where a number repeats, renumber that trust's letters in generation order.
    connection = op.get_bind()
    groups = connection.execute(
        sa.text(
            "SELECT inspection_id, trust_code FROM findings_letter "
            "GROUP BY inspection_id, trust_code, version HAVING COUNT(*) > 1"
        )
    ).all()
    for inspection_id, trust_code in set(groups):
        ids = connection.execute(
            sa.text(
                "SELECT id FROM findings_letter WHERE inspection_id = :i AND trust_code = :t "
                "ORDER BY generated_at, id"
            ),
            {"i": inspection_id, "t": trust_code},
        ).scalars()
        for number, letter_id in enumerate(list(ids), start=1):
            connection.execute(
                sa.text("UPDATE findings_letter SET version = :v WHERE id = :id"),
                {"v": number, "id": letter_id},
            )


def upgrade() -> None:
    with op.batch_alter_table("findings_letter") as batch:
        batch.add_column(
            sa.Column(
                "superseded_by_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
            )
        )
    op.execute(
        """
        UPDATE findings_letter SET superseded_by_id = (
            SELECT newer.id FROM findings_letter AS newer
            WHERE newer.supersedes_id = findings_letter.id AND newer.status <> 'draft'
            ORDER BY newer.version DESC LIMIT 1)
        WHERE status = 'superseded'
        """
    )
    _dedupe()
    for name, status in (
        ("uq_findings_letter_one_draft", "draft"),
        ("uq_findings_letter_one_published", "published"),
    ):
        where = sa.text(f"status = '{status}'")
        op.create_index(
            name,
            "findings_letter",
            ["inspection_id", "trust_code"],
            unique=True,
            sqlite_where=where,
            postgresql_where=where,
        )
    op.create_index(
        "uq_findings_letter_version",
        "findings_letter",
        ["inspection_id", "trust_code", "version"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_findings_letter_version", table_name="findings_letter")
    op.drop_index("uq_findings_letter_one_published", table_name="findings_letter")
    op.drop_index("uq_findings_letter_one_draft", table_name="findings_letter")
    with op.batch_alter_table("findings_letter") as batch:
        batch.drop_column("superseded_by_id")
