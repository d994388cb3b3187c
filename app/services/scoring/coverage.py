"""Which criteria an inspection has covered so far: judgements, case figures and evidence."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, select

from app.models import Case, CriterionJudgement, Inspection
from app.models.evidence import CriterionCoverage, InspectorateJudgement
from app.models.framework import Subject
from app.models.scores import CriteriaCoverage, InspectionScores, SampleScores
from app.rules.statistics import mean, percent
from app.services.cases.service import framework_index
from app.services.evidence.items import counts_by_criterion
from app.services.scoring import ratings
from app.services.scoring.counts import CASES, answer_counts
from app.services.scoring.service import score_inspection


def question_percents(session: Session, inspection: Inspection) -> dict[str, float | None]:
    """Each answered question's percent over all the inspection's cases, counted by the database."""
    statement = answer_counts(CASES, where=[Case.inspection_id == inspection.id], by_value=False)
    return {
        code: percent(int(yes or 0), int(yes or 0) + int(no or 0))
        for code, _, yes, no in session.exec(statement).all()
    }


def percents_from_scores(scores: SampleScores) -> dict[str, float | None]:
    """The question percents of a scores document, so coverage follows the same case filters."""
    return {
        question.code: question.percent
        for instrument in scores.instruments
        for question in instrument.questions
    }


def criteria_coverage(
    session: Session,
    inspection: Inspection,
    percents: Mapping[str, float | None] | None = None,
) -> CriteriaCoverage:
    """Per criterion: its judgement, how much evidence bears on it, and its case questions' mean.

    A criterion is covered once it has a judgement, a case question with a percent, or any
    evidence; the rest are listed in `not_covered` so gaps show before fieldwork ends.
    """
    index = framework_index(session, inspection)
    if percents is None:
        percents = question_percents(session, inspection)
    cited: dict[str, list[str]] = {}
    for instrument in index.instruments_for(Subject.case):
        for question in instrument.questions:
            for code in question.criteria:
                cited.setdefault(code, []).append(question.code)
    # Each inspectorate of a joint inspection may judge a criterion: the row shows the
    # first inspectorate's (in the framework's order) and lists them all.
    order = {name: at for at, name in enumerate(index.document.inspectorates)}
    judged: dict[str, list[CriterionJudgement]] = {}
    for row in sorted(
        session.exec(
            select(CriterionJudgement).where(CriterionJudgement.inspection_id == inspection.id)
        ).all(),
        key=lambda row: (order.get(row.inspectorate, len(order)), row.inspectorate),
    ):
        judged.setdefault(row.criterion_code, []).append(row)
    evidence = counts_by_criterion(session, inspection)
    rows = []
    for criterion in sorted(index.criteria.values(), key=lambda item: item.code):
        questions = cited.get(criterion.code, [])
        by_inspectorate = judged.get(criterion.code, [])
        judgement = by_inspectorate[0] if by_inspectorate else None
        question_mean = mean(percents.get(code) for code in questions)
        count = evidence.get(criterion.code, 0)
        rows.append(
            CriterionCoverage(
                criterion=criterion.code,
                text=criterion.text,
                theme=criterion.theme,
                judgement=judgement.judgement if judgement else None,
                narrative=judgement.narrative if judgement else None,
                judgements=[
                    InspectorateJudgement(inspectorate=row.inspectorate, judgement=row.judgement)
                    for row in by_inspectorate
                ],
                evidence_count=count,
                questions=questions,
                question_mean=question_mean,
                covered=judgement is not None or question_mean is not None or count > 0,
            )
        )
    return CriteriaCoverage(
        criteria_coverage=rows, not_covered=[row.criterion for row in rows if not row.covered]
    )


def scores_document(
    session: Session, inspection: Inspection, *, trust: str | None, in_scope: bool | None
) -> InspectionScores:
    """What GET .../scores answers: the inspection's scores with its criteria coverage."""
    scores = score_inspection(session, inspection, trust=trust, in_scope=in_scope)
    filtered = trust is not None or in_scope is not None
    overrides = {} if filtered else ratings.overrides_of(session, inspection.id)
    document = framework_index(session, inspection).document
    overall = ratings.apply(document, scores.instruments, overrides)
    coverage = criteria_coverage(session, inspection, percents_from_scores(scores))
    return InspectionScores(**vars(scores), **vars(coverage), overall=overall)
