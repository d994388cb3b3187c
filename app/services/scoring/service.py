"""Scores of one inspection (SPEC 7): every instrument's questions, counted in SQL, and roll-ups."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from app.errors import ValidationFailed, field_error
from app.models import Case, Framework, Inspection, SurveyResponse, Trust
from app.models.framework import FrameworkDocument, Instrument, Subject
from app.models.review import ReviewStatus
from app.models.scores import FrameworkRef, InstrumentScores, SampleScores, ScoreFilters
from app.rules.national_standards import national_standards
from app.rules.question_figures import (
    NATIONAL_STANDARDS,
    NATIONAL_STANDARDS_TITLE,
    NS_OUTCOME_SUFFICIENT,
    Tally,
    national_standards_rows,
    question_row,
    rollups,
)
from app.services.frameworks import service as frameworks
from app.services.review import history as review_history
from app.services.scoring.counts import CASES, RESPONDENTS, answer_counts

NS_DATE_COLUMNS: tuple[Any, ...] = tuple(
    col(column)
    for column in (
        Case.sentence_type,
        Case.sentence_date,
        Case.reception_date,
        Case.release_date,
        Case.os_allocated_date,
        Case.first_contact_date,
        Case.om_allocated_date,
        Case.sentence_plan_date,
        Case.last_roh_review_date,
    )
)


def _tallies(session: Session, statement: Any) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for code, value, total, yes, no in session.exec(statement).all():
        tallies.setdefault(code, Tally()).add(value, int(yes or 0), int(no or 0), int(total))
    return tallies


def _case_filters(
    inspection: Inspection, trust: str | None, in_scope: bool | None
) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = [col(Case.inspection_id) == inspection.id]
    if trust is not None:
        filters.append(col(Case.home_trust) == trust)
    if in_scope is not None:
        filters.append(col(Case.in_scope).is_(in_scope))
    return filters


def case_tallies(session: Session, filters: list[ColumnElement[bool]]) -> dict[str, Tally]:
    """Counts per question and value over the filtered cases, grouped by the database."""
    return _tallies(session, answer_counts(CASES, where=filters))


def survey_tallies(session: Session, inspection: Inspection) -> dict[str, Tally]:
    where = [SurveyResponse.inspection_id == inspection.id]
    return _tallies(session, answer_counts(RESPONDENTS, where=where))


def national_standards_tallies(
    session: Session, inspection: Inspection, filters: list[ColumnElement[bool]]
) -> dict[str, Tally]:
    """Each check's outcomes over the filtered cases, from their dates (one row per case)."""
    tallies: dict[str, Tally] = {}
    for row in session.exec(select(*NS_DATE_COLUMNS).where(*filters)).all():
        outcomes = national_standards(
            **dict(zip((c.key for c in NS_DATE_COLUMNS), row, strict=True)),
            fieldwork_start=inspection.fieldwork_start,
        )
        for code, outcome in outcomes.items():
            sufficient = NS_OUTCOME_SUFFICIENT[outcome]
            tallies.setdefault(code, Tally()).add(
                outcome, int(sufficient is True), int(sufficient is False), 1
            )
    return tallies


def instrument_scores(
    framework_document: FrameworkDocument,
    instrument: Instrument,
    tallies: dict[str, Tally],
    subjects: int,
) -> InstrumentScores:
    questions = [question_row(q, tallies.get(q.code), subjects) for q in instrument.questions]
    return InstrumentScores(
        code=instrument.code,
        title=instrument.title,
        subject=instrument.subject.value,
        scored=subjects,
        questions=questions,
        **vars(rollups(framework_document, questions)),
    )


def national_standards_scores(tallies: dict[str, Tally], subjects: int) -> InstrumentScores:
    return InstrumentScores(
        code=NATIONAL_STANDARDS,
        title=NATIONAL_STANDARDS_TITLE,
        subject=Subject.case.value,
        scored=subjects,
        questions=national_standards_rows(tallies, subjects),
        sections=[],
        themes=[],
        criteria=[],
    )


def _check_trust(session: Session, trust: str | None) -> None:
    if trust is not None and session.get(Trust, trust) is None:
        raise ValidationFailed(
            "unknown trust",
            errors=[field_error(["query", "trust"], "unknown_trust", f"no trust {trust!r}")],
        )


def score_inspection(
    session: Session,
    inspection: Inspection,
    *,
    trust: str | None = None,
    in_scope: bool | None = None,
) -> SampleScores:
    """Every instrument's question figures and roll-ups; trust and in_scope restrict the cases."""
    _check_trust(session, trust)
    framework = session.get(Framework, inspection.framework_id)
    assert framework is not None
    document = frameworks.index_of(framework).document
    filters = _case_filters(inspection, trust, in_scope)
    # Every case counts, whatever its review; the figures say how many are approved.
    review = review_history.counts(session, filters)
    cases = sum(review.values())
    respondents = 0
    instruments = []
    by_case = case_tallies(session, filters)
    if any(item.subject is Subject.respondent for item in document.instruments):
        respondents = session.exec(
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.inspection_id == inspection.id)
        ).one()
        by_respondent = survey_tallies(session, inspection)
    for instrument in document.instruments:
        if instrument.subject is Subject.respondent:
            instruments.append(instrument_scores(document, instrument, by_respondent, respondents))
        else:
            instruments.append(instrument_scores(document, instrument, by_case, cases))
    ns = national_standards_tallies(session, inspection, filters)
    instruments.append(national_standards_scores(ns, cases))
    return SampleScores(
        inspection=inspection.id,
        framework=FrameworkRef(code=framework.code, version=framework.version),
        cases=cases,
        cases_approved=review[ReviewStatus.approved.value],
        review=review,
        respondents=respondents,
        filters=ScoreFilters(trust=trust, in_scope=in_scope),
        instruments=instruments,
    )
