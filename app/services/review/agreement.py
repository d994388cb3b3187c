"""Agreement between the case readings and their second readings, per question and overall."""

from __future__ import annotations

from sqlalchemy import and_, func
from sqlmodel import Session, select

from app.models import Answer, Inspection, SecondReading, SecondReadingAnswer
from app.models.framework import Subject
from app.models.review import AgreementRead, QuestionAgreement
from app.rules.agreement import Agreement, agreement, is_low, pooled
from app.services.cases.service import framework_index


def tables(session: Session, inspection: Inspection) -> dict[str, dict[tuple[str, str], int]]:
    """Per question, how many cases paired each (case value, second value), counted in SQL."""
    statement = (
        select(Answer.question_code, Answer.value, SecondReadingAnswer.value, func.count())
        .select_from(SecondReading)
        .join(Answer, Answer.case_id == SecondReading.case_id)  # type: ignore[arg-type]
        .join(
            SecondReadingAnswer,
            and_(
                SecondReadingAnswer.reading_id == SecondReading.id,  # type: ignore[arg-type]
                SecondReadingAnswer.question_code == Answer.question_code,  # type: ignore[arg-type]
            ),
        )
        .where(SecondReading.inspection_id == inspection.id)
        .group_by(Answer.question_code, Answer.value, SecondReadingAnswer.value)
    )
    found: dict[str, dict[tuple[str, str], int]] = {}
    for code, first, second, count in session.exec(statement).all():
        found.setdefault(code, {})[(first, second)] = int(count)
    return found


def _row(code: str, text: str, figures: Agreement) -> QuestionAgreement:
    return QuestionAgreement(
        code=code,
        text=text,
        pairs=figures.pairs,
        agreed=figures.agreed,
        percent_agreement=figures.percent_agreement,
        kappa=figures.kappa,
        low_agreement=is_low(figures),
    )


def inspection_agreement(session: Session, inspection: Inspection) -> AgreementRead:
    index = framework_index(session, inspection)
    counted = tables(session, inspection)
    readings = session.exec(
        select(func.count())
        .select_from(SecondReading)
        .where(SecondReading.inspection_id == inspection.id)
    ).one()
    rows: list[QuestionAgreement] = []
    figures: list[Agreement] = []
    for instrument in index.instruments_for(Subject.case):
        for question in instrument.questions:
            result = agreement(counted.get(question.code, {}))
            figures.append(result)
            rows.append(_row(question.code, question.text, result))
    return AgreementRead(
        inspection=inspection.id,
        second_readings=int(readings),
        overall=_row("overall", "All questions", pooled(figures)),
        questions=rows,
    )
