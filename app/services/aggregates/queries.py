"""The SQL of aggregates: pooled counts and means of inspections, grouped by the database.

The database does the counting: one statement groups the answers by group, inspection,
question and value, then pools them per question and averages the per-inspection percents
(the grouped answers are a CTE referenced twice, materialised once). Python only shapes
the few grouped rows that come back. Case answers are summed from answer_tally, which
already holds them grouped by inspection, scope, question and value, unless the cases'
home trust matters (a trust filter or group); then they are counted from their own table,
as survey answers always are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    Subquery,
    case,
    cast,
    distinct,
    extract,
    func,
    literal_column,
    null,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.models import (
    AnswerTally,
    Case,
    Establishment,
    Framework,
    Inspection,
    Trust,
)
from app.models.inspection import InspectionStatus
from app.services.scoring.counts import CASES, Source, answer_counts

DEFAULT_STATUSES = (
    InspectionStatus.fieldwork,
    InspectionStatus.reporting,
    InspectionStatus.published,
)


class GroupBy(StrEnum):
    establishment = "establishment"
    establishment_type = "establishment_type"
    region = "region"
    trust = "trust"
    inspection = "inspection"
    year = "year"


@dataclass(frozen=True)
class AggregateFilters:
    programme: str | None = None
    inspections: tuple[str, ...] = ()
    establishment: str | None = None
    establishment_type: str | None = None
    region: str | None = None
    trust: str | None = None
    start_from: date | None = None
    start_to: date | None = None
    statuses: tuple[InspectionStatus, ...] = DEFAULT_STATUSES
    in_scope: bool | None = None

    @property
    def case_level(self) -> bool:
        """Whether a filter picks cases within inspections (survey respondents have no such facts)."""
        return self.trust is not None or self.in_scope is not None


# An inspection's own trust (community programmes), apart from the cases' home trusts.
InspectedTrust = aliased(Trust)


def region_of_inspection() -> ColumnElement[Any]:
    """A prison's region, or for a community inspection the region of the inspected trust."""
    return func.coalesce(Establishment.region_code, InspectedTrust.region_code)


INSPECTION_GROUPS: dict[GroupBy, Any] = {
    GroupBy.establishment: lambda: Inspection.establishment_code,
    GroupBy.establishment_type: lambda: Establishment.type,
    GroupBy.region: region_of_inspection,
    GroupBy.inspection: lambda: Inspection.id,
    GroupBy.year: lambda: cast(extract("year", col(Inspection.fieldwork_start)), Integer),
}


def matching_inspections(
    framework: Framework,
    filters: AggregateFilters,
    group_by: GroupBy | None,
    start_from: date | None,
    start_to: date | None,
) -> Subquery:
    """The inspections that pass the inspection-level filters, with their group key `g`."""
    where: list[Any] = [
        Inspection.framework_id == framework.id,
        Inspection.status.in_(filters.statuses),  # type: ignore[attr-defined]
    ]
    if filters.programme:
        where.append(Inspection.programme_code == filters.programme)
    if filters.inspections:
        where.append(Inspection.id.in_(filters.inspections))  # type: ignore[attr-defined]
    if filters.establishment:
        where.append(Inspection.establishment_code == filters.establishment)
    if filters.establishment_type:
        where.append(Establishment.type == filters.establishment_type)
    if filters.region:
        where.append(region_of_inspection() == filters.region)
    if start_from:
        where.append(Inspection.fieldwork_start >= start_from)
    if start_to:
        where.append(Inspection.fieldwork_start <= start_to)
    columns: list[Any] = [Inspection.id.label("id")]  # type: ignore[attr-defined]
    if group_by in INSPECTION_GROUPS:
        columns.append(INSPECTION_GROUPS[group_by]().label("g"))
    statement = (
        select(*columns)
        .select_from(Inspection)
        .outerjoin(Establishment, Establishment.code == Inspection.establishment_code)  # type: ignore[arg-type]
        .outerjoin(InspectedTrust, InspectedTrust.code == Inspection.trust_code)  # type: ignore[arg-type]
        .where(*where)
    )
    return statement.subquery("matching")


def _group_key(matching: Subquery, group_by: GroupBy | None) -> list[Any]:
    if group_by is None:
        return []
    if group_by is GroupBy.trust:
        return [Case.home_trust]
    return [matching.c.g]


def _subject_filters(source: Source, filters: AggregateFilters) -> list[Any]:
    if source is not CASES:
        return []
    where: list[Any] = []
    if filters.trust is not None:
        where.append(Case.home_trust == filters.trust)
    if filters.in_scope is not None:
        where.append(Case.in_scope.is_(filters.in_scope))  # type: ignore[attr-defined]
    return where


def subject_counts(
    session: Session,
    source: Source,
    matching: Subquery,
    group_by: GroupBy | None,
    filters: AggregateFilters,
) -> list[tuple[Any, int, int]]:
    """(group key, inspections, subjects) per group."""
    keys = _group_key(matching, group_by)
    subject = source.subject
    statement = (
        select(*keys, func.count(distinct(subject.inspection_id)), func.count())  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
        .select_from(subject)
        .join(matching, matching.c.id == subject.inspection_id)
        .where(*_subject_filters(source, filters))
        .group_by(*keys)
    )
    return [
        (row[0] if keys else None, int(row[-2]), int(row[-1]))
        for row in session.exec(statement).all()
    ]


def counts_statement(
    source: Source,
    matching: Subquery,
    group_by: GroupBy | None,
    filters: AggregateFilters,
    *,
    with_mean: bool,
) -> Select[Any]:
    """Rows (kind, [g], question, value, n, yes, no, mean, inspections_scored).

    kind 1: pooled counts per group, question and value; kind 2 (with_mean): per group and
    question, the unweighted mean of the inspections' percents and how many had one.
    """
    tallied = source is CASES and group_by is not GroupBy.trust and filters.trust is None
    per = (
        _tallied_case_answers(matching, group_by, filters)
        if tallied
        else _counted_answers(source, matching, group_by, filters)
    ).cte("per")
    group = [per.c.g] if group_by is not None else []
    pooled = select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
        literal_column("1").label("kind"),
        *group,
        per.c.q,
        per.c.v,
        func.sum(per.c.n).label("n"),
        func.sum(per.c.y).label("y"),
        func.sum(per.c.f).label("f"),
        cast(null(), Float).label("mean"),
        cast(null(), Integer).label("k"),
    ).group_by(*group, per.c.q, per.c.v)
    if not with_mean:
        return pooled
    by_inspection = (
        select(*group, per.c.q, func.sum(per.c.y).label("y"), func.sum(per.c.f).label("f"))  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
        .group_by(*group, per.c.insp, per.c.q)
        .subquery("by_inspection")
    )
    relevant = by_inspection.c.y + by_inspection.c.f
    share = case((relevant > 0, cast(by_inspection.c.y, Float) * 100.0 / relevant))
    inner_group = [by_inspection.c.g] if group_by is not None else []
    means = select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
        literal_column("2").label("kind"),
        *inner_group,
        by_inspection.c.q,
        cast(null(), String).label("v"),
        cast(null(), Integer).label("n"),
        cast(null(), Integer).label("y"),
        cast(null(), Integer).label("f"),
        cast(func.avg(share), Float).label("mean"),
        func.count(share).label("k"),
    ).group_by(*inner_group, by_inspection.c.q)
    return union_all(pooled, means)  # type: ignore[return-value]


def _tallied_case_answers(
    matching: Subquery, group_by: GroupBy | None, filters: AggregateFilters
) -> Select[Any]:
    """Rows (g, insp, q, v, n, y, f) of case answers, summed from answer_tally."""
    tally = AnswerTally
    keys = _group_key(matching, group_by)
    where: list[Any] = []
    if filters.in_scope is not None:
        where.append(col(tally.in_scope).is_(filters.in_scope))
    return (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
            *[key.label("g") for key in keys],
            col(tally.inspection_id).label("insp"),
            col(tally.question_code).label("q"),
            col(tally.value).label("v"),
            func.sum(tally.answer_count).label("n"),
            func.sum(tally.yes_count).label("y"),
            func.sum(tally.no_count).label("f"),
        )
        .select_from(tally)
        .join(matching, matching.c.id == tally.inspection_id)
        .where(*where)
        .group_by(*keys, tally.inspection_id, tally.question_code, tally.value)
    )


def _counted_answers(
    source: Source, matching: Subquery, group_by: GroupBy | None, filters: AggregateFilters
) -> Select[Any]:
    """Rows (g, insp, q, v, n, y, f) counted from an answer table."""
    subject = source.subject
    keys = [key.label("g") for key in _group_key(matching, group_by)]
    return answer_counts(
        source, [*keys, subject.inspection_id.label("insp")], _subject_filters(source, filters)
    ).join(matching, matching.c.id == subject.inspection_id)


def run_counts(
    session: Session,
    source: Source,
    matching: Subquery,
    group_by: GroupBy | None,
    filters: AggregateFilters,
    *,
    with_mean: bool,
) -> list[tuple[Any, ...]]:
    """The counts statement's rows, each normalised to (kind, g, q, v, n, y, f, mean, k)."""
    statement = counts_statement(source, matching, group_by, filters, with_mean=with_mean)
    rows = []
    for row in session.exec(statement).all():  # type: ignore[call-overload]
        values = tuple(row)
        if group_by is None:
            values = (values[0], None, *values[1:])
        rows.append(values)
    return rows
