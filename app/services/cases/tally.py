"""Keeping the tallies true: an inspection's counts recomputed from its cases.

answer_tally and facet_tally are counted from the cases, their answers and dates;
question_tally is summed from those two, in the same refresh.

Every write to an inspection's cases or answers ends by calling `refresh` in the same
transaction, after locking the inspection (`lock_for_case_writes`) before any case row, so
concurrent writers to one inspection queue in one order and the last one counts everything.
A change of the inspection's fieldwork start refreshes it too: one National Standards check
(the risk of harm review within four months) is judged against that date.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Select,
    String,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    true,
    union_all,
)
from sqlmodel import Session, col, select

from app.models import AnswerTally, Case, FacetTally, Inspection, QuestionTally
from app.services.aggregates import national_standards as ns_sql
from app.services.cases.facets import FACETS, NOT_RECORDED
from app.services.scoring.counts import CASES, answer_counts

TALLY = AnswerTally.__table__  # type: ignore[attr-defined]
FACET_TALLY = FacetTally.__table__  # type: ignore[attr-defined]
QUESTION_TALLY = QuestionTally.__table__  # type: ignore[attr-defined]
COUNTS = ("question_code", "value", "answer_count", "yes_count", "no_count")
COLUMNS = ("inspection_id", "in_scope", *COUNTS)
FACET_COLUMNS = ("facet", "inspection_id", "in_scope", "facet_value", *COUNTS)
QUESTION_COLUMNS = (
    "facet",
    "scope",
    "inspection_id",
    "facet_value",
    "question_code",
    "yes_count",
    "no_count",
)
# question_tally's scopes: the cases in scope, out of scope, and all of them.
IN_SCOPE, OUT_OF_SCOPE, ALL_CASES = "in", "out", "all"
NO_FACET = ""
# National Standards checks are kept as questions of their own, apart from the framework's
# (whose codes cannot hold a colon).
CHECK_PREFIX = "national_standards:"


def lock_for_case_writes(session: Session, inspection: Inspection) -> None:
    """Re-read the inspection under its row lock (PostgreSQL; SQLite writers are serial
    anyway), so the writer sees a status set by a transition that committed meanwhile.

    FOR NO KEY UPDATE: it queues other case writers but not the key-share locks that
    inserting a row referring to the inspection takes."""
    session.refresh(inspection, with_for_update={"key_share": True})


def check_counts(keys: Sequence[Any], where: Sequence[Any], fixed: Sequence[Any] = ()) -> list[Any]:
    """Per National Standards check, rows (*fixed, *keys, q, v, n, y, f): the outcome as the
    value, the cases, the passes (yes) and the fails (no), over the cases matching `where`."""
    parts = []
    for code, outcome in ns_sql.outcomes(col(Inspection.fieldwork_start)).items():
        parts.append(
            select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
                *fixed,
                *keys,
                literal(CHECK_PREFIX + code, String).label("q"),
                outcome.label("v"),
                func.count().label("n"),
                func.sum(case((outcome == ns_sql.PASS, 1), else_=0)).label("y"),
                func.sum(case((outcome == ns_sql.FAIL, 1), else_=0)).label("f"),
            )
            .select_from(Case)
            .join(Inspection, col(Inspection.id) == Case.inspection_id)
            .where(*where)
            .group_by(*keys, outcome)
        )
    return parts


def by_facts(*where: Any) -> Any:
    """Rows (inspection_id, in_scope, <one column per facet>, q, v, n, y, f): the answers and
    the checks of the cases matching `where`, counted once per combination of the cases'
    facts (unrecorded as the empty string). Both tallies are sums of these rows, so the
    answers are read once for each, not once per facet."""
    keys = [
        col(Case.inspection_id),
        col(Case.in_scope),
        *(func.coalesce(fact(), NOT_RECORDED).label(name) for name, fact in FACETS.items()),
    ]
    return union_all(answer_counts(CASES, keys, where), *check_counts(keys, where)).subquery(
        "by_facts"
    )


def answer_and_check_counts(*where: Any) -> list[Select[Any]]:
    """answer_tally's rows as counts_of gives them, straight from the answers and the cases
    (one statement for the answers, one per check): for every inspection at once."""
    keys = [col(Case.inspection_id), col(Case.in_scope)]
    return [answer_counts(CASES, keys, where), *check_counts(keys, where)]


def _summed(source: Any) -> list[Any]:
    return [func.sum(source.c.n), func.sum(source.c.y), func.sum(source.c.f)]


def counts_of(*where: Any) -> list[Select[Any]]:
    """answer_tally's rows computed from the cases matching `where`:
    (inspection_id, in_scope, q, v, n, y, f), the answers and each check."""
    source = by_facts(*where)
    keys = [source.c.inspection_id, source.c.in_scope, source.c.q, source.c.v]
    return [select(*keys, *_summed(source)).group_by(*keys)]  # type: ignore[call-overload]


def facet_counts_of(*where: Any) -> list[Select[Any]]:
    """facet_tally's rows for the cases matching `where`, every facet:
    (facet, inspection_id, in_scope, facet value, q, v, n, y, f)."""
    source = by_facts(*where)
    # One row per facet to pair each combination with; the names are the code's own.
    names = union_all(
        *(select(literal_column(f"'{name}'").label("facet")) for name in FACETS)
    ).subquery("facets")
    fact = case(
        *((names.c.facet == literal_column(f"'{name}'"), source.c[name]) for name in FACETS)
    ).label("facet_value")
    keys = [names.c.facet, source.c.inspection_id, source.c.in_scope, fact, source.c.q, source.c.v]
    return [
        select(*keys, *_summed(source))  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
        .select_from(source.join(names, true()))
        .group_by(*keys)
    ]


def facet_counts_one_by_one(*where: Any) -> list[Select[Any]]:
    """facet_tally's rows as facet_counts_of gives them, one statement per facet, each
    straight from the answers: faster where the cases' facts hardly repeat within an
    inspection (many small inspections, as when every inspection is counted at once), where
    facet_counts_of's combinations would be nearly as many as the answers."""
    statements = []
    for name, fact in FACETS.items():
        keys = [
            col(Case.inspection_id),
            col(Case.in_scope),
            func.coalesce(fact(), NOT_RECORDED).label("facet_value"),
        ]
        fixed: list[Any] = [literal_column(f"'{name}'").label("facet")]
        statements += [
            answer_counts(CASES, keys, where, fixed=fixed),
            *check_counts(keys, where, fixed=fixed),
        ]
    return statements


def question_counts_of(table: Any, *where: Any) -> list[Select[Any]]:
    """question_tally's rows derived from answer_tally or facet_tally (`table`) rows matching
    `where`: per inspection, question (and facet value), the yes and no over the values, once
    per scope and once over both."""
    faceted = table is FACET_TALLY
    facet = table.c.facet if faceted else literal(NO_FACET, String)
    fact = table.c.facet_value if faceted else literal(NO_FACET, String)
    keys = [table.c.facet, table.c.facet_value] if faceted else []
    counted = [func.sum(table.c.yes_count), func.sum(table.c.no_count)]
    scoped = case((table.c.in_scope, IN_SCOPE), else_=OUT_OF_SCOPE)
    by_scope = (
        select(facet, scoped, table.c.inspection_id, fact, table.c.question_code, *counted)  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
        .where(*where)
        .group_by(*keys, table.c.in_scope, table.c.inspection_id, table.c.question_code)
    )
    every = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
            facet,
            literal(ALL_CASES, String),
            table.c.inspection_id,
            fact,
            table.c.question_code,
            *counted,
        )
        .where(*where)
        .group_by(*keys, table.c.inspection_id, table.c.question_code)
    )
    return [by_scope, every]


def _fill(session: Session, table: Any, columns: tuple[str, ...], parts: list[Any]) -> None:
    for part in parts:
        session.exec(insert(table).from_select(columns, part))  # type: ignore[call-overload]


def refresh(session: Session, inspection_id: str) -> None:
    """Recount one inspection's answers and checks into the tallies."""
    session.flush()
    session.exec(delete(TALLY).where(TALLY.c.inspection_id == inspection_id))  # type: ignore[call-overload]
    session.exec(  # type: ignore[call-overload]
        delete(FACET_TALLY).where(
            FACET_TALLY.c.facet.in_(list(FACETS)), FACET_TALLY.c.inspection_id == inspection_id
        )
    )
    session.exec(  # type: ignore[call-overload]
        delete(QUESTION_TALLY).where(
            QUESTION_TALLY.c.facet.in_([NO_FACET, *FACETS]),
            QUESTION_TALLY.c.scope.in_([IN_SCOPE, OUT_OF_SCOPE, ALL_CASES]),
            QUESTION_TALLY.c.inspection_id == inspection_id,
        )
    )
    mine = Case.inspection_id == inspection_id
    # The answers straight (one pass); the facets by combination of the facts (one more).
    _fill(session, TALLY, COLUMNS, answer_and_check_counts(mine))
    _fill(session, FACET_TALLY, FACET_COLUMNS, facet_counts_of(mine))
    _fill_questions(session, inspection_id)


def _fill_questions(session: Session, inspection_id: str | None = None) -> None:
    for table in (TALLY, FACET_TALLY):
        where = [] if inspection_id is None else [table.c.inspection_id == inspection_id]
        _fill(session, QUESTION_TALLY, QUESTION_COLUMNS, question_counts_of(table, *where))


def rebuild_all(session: Session) -> None:
    """Recount every inspection: for data loaded around the service (migrations, benchmarks)."""
    session.exec(delete(TALLY))  # type: ignore[call-overload]
    session.exec(delete(FACET_TALLY))  # type: ignore[call-overload]
    session.exec(delete(QUESTION_TALLY))  # type: ignore[call-overload]
    _fill(session, TALLY, COLUMNS, answer_and_check_counts())
    _fill(session, FACET_TALLY, FACET_COLUMNS, facet_counts_one_by_one())
    _fill_questions(session)
