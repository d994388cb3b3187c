"""Anonymous prisoner survey responses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.permissions import Principal
from app.errors import NotFound, ValidationFailed, field_error
from app.models import Inspection, SurveyAnswer, SurveyResponse
from app.models.framework import Subject
from app.models.page import Page
from app.models.survey import SurveyResponseRead
from app.rules.case_rules import check_answers
from app.services.audit import service as audit
from app.services.cases.service import framework_index
from app.services.inspections.service import ensure_writable


def get(session: Session, response_id: str) -> SurveyResponse:
    response = session.get(SurveyResponse, response_id)
    if response is None:
        raise NotFound("no such survey response")
    return response


def answers_of(session: Session, response_ids: Sequence[str]) -> dict[str, dict[str, str]]:
    by_response: dict[str, dict[str, str]] = defaultdict(dict)
    if response_ids:
        rows = session.exec(
            select(SurveyAnswer).where(col(SurveyAnswer.response_id).in_(response_ids))
        ).all()
        for row in rows:
            by_response[row.response_id][row.question_code] = row.value
    return by_response


def to_read(response: SurveyResponse, answers: Mapping[str, str]) -> SurveyResponseRead:
    return SurveyResponseRead(
        id=response.id,
        inspection=response.inspection_id,
        answers=dict(sorted(answers.items())),
        created_at=response.created_at,
    )


def add(
    session: Session, principal: Principal, inspection: Inspection, raw: Mapping[str, Any]
) -> SurveyResponseRead:
    ensure_writable(inspection)
    raw_answers = raw.get("answers")
    unknown = sorted(set(raw) - {"answers"})
    faults = [
        field_error(["body", name], "unknown_field", "a survey response holds only answers")
        for name in unknown
    ]
    if not isinstance(raw_answers, Mapping) or not raw_answers:
        faults.append(
            field_error(["body", "answers"], "required", "answers must be a non-empty object")
        )
        raise ValidationFailed("the survey response is not valid", errors=faults)
    answers, answer_faults = check_answers(
        raw_answers, framework_index(session, inspection), Subject.respondent, {}
    )
    faults += [field_error(["body", "answers", f.field], f.code, f.message) for f in answer_faults]
    if not answers and not faults:
        faults.append(
            field_error(["body", "answers"], "required", "at least one question must be answered")
        )
    if faults:
        raise ValidationFailed(f"{len(faults)} fault(s) in the survey response", errors=faults)
    response = SurveyResponse(inspection_id=inspection.id)
    session.add(response)
    session.flush()
    for code, (value, sufficient) in answers.items():
        session.add(
            SurveyAnswer(
                response_id=response.id, question_code=code, value=value, sufficient=sufficient
            )
        )
    session.flush()
    read = to_read(response, {code: value for code, (value, _) in answers.items()})
    audit.record(
        session,
        principal,
        "survey_response.created",
        "survey_response",
        response.id,
        None,
        read.model_dump(),
    )
    return read


def remove(
    session: Session, principal: Principal, response: SurveyResponse, inspection: Inspection
) -> None:
    ensure_writable(inspection)
    before = to_read(response, answers_of(session, [response.id])[response.id])
    session.delete(response)
    session.flush()
    audit.record(
        session,
        principal,
        "survey_response.deleted",
        "survey_response",
        response.id,
        before.model_dump(),
        None,
    )


def listing(
    session: Session, inspection: Inspection, *, limit: int, offset: int
) -> Page[SurveyResponseRead]:
    where = SurveyResponse.inspection_id == inspection.id
    total = session.exec(select(func.count()).select_from(SurveyResponse).where(where)).one()
    rows = session.exec(
        select(SurveyResponse)
        .where(where)
        .order_by(col(SurveyResponse.created_at), col(SurveyResponse.id))
        .limit(limit)
        .offset(offset)
    ).all()
    answers = answers_of(session, [row.id for row in rows])
    return Page(
        items=[to_read(row, answers[row.id]) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
