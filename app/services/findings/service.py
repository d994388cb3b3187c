"""Provisional findings: the end-of-inspection feedback to the prison's senior managers."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.models import Establishment, Inspection, Trust, utcnow
from app.models.scores import (
    FindingsQuestion,
    FindingsTheme,
    Highlight,
    ProvisionalFindings,
    QuestionScore,
)
from app.rules.question_figures import NATIONAL_STANDARDS
from app.rules.statistics import lowest, mean
from app.rules.thresholds import is_improvement, is_strength
from app.services.cases.service import framework_index
from app.services.evidence.judgements import judgements_for
from app.services.prison_tests import service as prison_tests
from app.services.review.agreement import inspection_agreement
from app.services.scoring.service import score_inspection


def _figures(instrument: str, question: QuestionScore) -> FindingsQuestion:
    return FindingsQuestion(
        code=question.code,
        instrument=instrument,
        text=question.text,
        yes=question.yes,
        relevant=question.relevant,
        percent=question.percent,
        low_base=question.low_base,
    )


def _highlight(instrument: str, question: QuestionScore) -> Highlight:
    return Highlight(
        code=question.code,
        instrument=instrument,
        text=question.text,
        percent=question.percent,
        relevant=question.relevant,
    )


def _named(model: Any, session: Session, code: str | None) -> dict[str, str] | None:
    row = session.get(model, code) if code else None
    return {"code": row.code, "name": row.name} if row else None


def provisional_findings(session: Session, inspection: Inspection) -> ProvisionalFindings:
    """Headline figures by theme over every instrument, strengths, areas for improvement."""
    scores = score_inspection(session, inspection)
    document = framework_index(session, inspection).document
    # Every themed question of every instrument; the National Standards checks have no theme.
    questions = [
        (instrument.code, question)
        for instrument in scores.instruments
        if instrument.code != NATIONAL_STANDARDS
        for question in instrument.questions
    ]
    themes = []
    for theme in document.themes:
        members = [(code, q) for code, q in questions if q.theme == theme.code]
        if members:
            themes.append(
                FindingsTheme(
                    code=theme.code,
                    title=theme.title,
                    mean=mean(q.percent for _, q in members),
                    key_min=lowest(q.percent for _, q in members if q.key),
                    questions=[_figures(code, q) for code, q in members],
                )
            )
    strengths = sorted(
        ((code, q) for code, q in questions if is_strength(q.percent, q.relevant)),
        key=lambda item: -(item[1].percent or 0.0),
    )
    improvements = sorted(
        ((code, q) for code, q in questions if is_improvement(q.percent, q.relevant)),
        key=lambda item: item[1].percent or 0.0,
    )
    return ProvisionalFindings.model_validate(
        {
            "inspection": {
                "id": inspection.id,
                "programme": inspection.programme_code,
                "status": str(inspection.status),
                "fieldwork_start": inspection.fieldwork_start.isoformat(),
                "fieldwork_end": inspection.fieldwork_end.isoformat()
                if inspection.fieldwork_end
                else None,
            },
            "establishment": _named(Establishment, session, inspection.establishment_code),
            "trust": _named(Trust, session, inspection.trust_code),
            "cases": scores.cases,
            "cases_approved": scores.cases_approved,
            "generated_at": utcnow().isoformat(),
            "themes": themes,
            "strengths": [_highlight(code, q) for code, q in strengths],
            "improvements": [_highlight(code, q) for code, q in improvements],
            "recommendations": list(inspection.recommendations),
            "good_practice": list(inspection.good_practice),
            "judgements": judgements_for(session, inspection),
            **beside_the_figures(session, inspection),
        }
    )


def beside_the_figures(session: Session, inspection: Inspection) -> dict[str, Any]:
    """SPEC 14 and 15: how consistently the team read the cases (questions of low
    agreement flagged), and HMI Prisons' healthy prison tests (None for a community
    inspection)."""
    agreement = inspection_agreement(session, inspection)
    tests = prison_tests.for_findings(session, inspection)
    return {
        "agreement": {
            "second_readings": agreement.second_readings,
            "overall": agreement.overall.model_dump(),
            "low_agreement": [row.model_dump() for row in agreement.questions if row.low_agreement],
        },
        "healthy_prison_tests": None
        if tests is None
        else [test.model_dump(mode="json") for test in tests],
    }
