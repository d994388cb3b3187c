"""Keeping answer_tally true: an inspection's counts recomputed from its answers.

Every write to an inspection's cases or answers ends by calling `refresh` in the same
transaction, after locking the inspection (`lock_for_case_writes`) before any case row, so
concurrent writers to one inspection queue in one order and the last one counts everything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, insert
from sqlmodel import Session

from app.models import AnswerTally, Case, Inspection
from app.services.scoring.counts import CASES, answer_counts

TALLY = AnswerTally.__table__  # type: ignore[attr-defined]
COLUMNS = (
    "inspection_id",
    "in_scope",
    "question_code",
    "value",
    "answer_count",
    "yes_count",
    "no_count",
)


def lock_for_case_writes(session: Session, inspection: Inspection) -> None:
    """Re-read the inspection under its row lock (PostgreSQL; SQLite writers are serial
    anyway), so the writer sees a status set by a transition that committed meanwhile.

    FOR NO KEY UPDATE: it queues other case writers but not the key-share locks that
    inserting a row referring to the inspection takes."""
    session.refresh(inspection, with_for_update={"key_share": True})


def counts_of(*where: Any) -> Select[Any]:
    """The tally's rows computed from the answers of the cases matching `where`."""
    return answer_counts(CASES, (Case.inspection_id, Case.in_scope), where)


def refresh(session: Session, inspection_id: str) -> None:
    """Recount one inspection's answers into the tally."""
    session.flush()
    session.exec(delete(TALLY).where(TALLY.c.inspection_id == inspection_id))  # type: ignore[call-overload]
    session.exec(  # type: ignore[call-overload]
        insert(TALLY).from_select(COLUMNS, counts_of(Case.inspection_id == inspection_id))
    )


def rebuild_all(session: Session) -> None:
    """Recount every inspection: for data loaded around the service (migrations, benchmarks)."""
    session.exec(delete(TALLY))  # type: ignore[call-overload]
    session.exec(insert(TALLY).from_select(COLUMNS, counts_of()))  # type: ignore[call-overload]
