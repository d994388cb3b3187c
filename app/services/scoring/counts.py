"""The one counting query: yes, no and all answers per question (and value), in the database.

Scores, the answer tally, aggregates and coverage all count answers this way; they differ
only in the keys they group by and the subjects they keep.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func
from sqlmodel.sql.expression import Select

from app.models import Answer, Case, SurveyAnswer, SurveyResponse


@dataclass(frozen=True)
class Source:
    """An answer table and the table of the subjects it describes (cases or respondents)."""

    answer: Any
    owner: Any
    subject: Any


CASES = Source(Answer, Answer.case_id, Case)
RESPONDENTS = Source(SurveyAnswer, SurveyAnswer.response_id, SurveyResponse)


def answer_counts(
    source: Source,
    keys: Iterable[Any] = (),
    where: Iterable[Any] = (),
    *,
    by_value: bool = True,
    fixed: Iterable[Any] = (),
) -> Select[*tuple[Any, ...]]:
    """Rows (*fixed, *keys, q, [v,] n, y, f): per question (and value) the answers, the yes
    and the no.

    Answers are those of the subjects matching `where`; `keys` (columns of the answer or
    subject tables, labelled as the caller needs them) are grouped by as well; `fixed` are
    constants selected in front, not grouped by.
    """
    answer, subject = source.answer, source.subject
    sufficient = answer.sufficient
    group = [*keys, answer.question_code.label("q")]
    if by_value:
        group.append(answer.value.label("v"))
    return (
        Select(
            *fixed,
            *group,
            func.count().label("n"),
            func.sum(case((sufficient.is_(True), 1), else_=0)).label("y"),
            func.sum(case((sufficient.is_(False), 1), else_=0)).label("f"),
        )
        .select_from(answer)
        .join(subject, subject.id == source.owner)
        .where(*where)
        .group_by(*group)
    )
