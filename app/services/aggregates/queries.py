"""The SQL of aggregates: pooled counts and means of inspections, grouped by the database.

The database does the counting: one statement groups the answers by group, inspection,
question and value, then pools them per question and averages the per-inspection percents
(the grouped answers are a CTE referenced twice, materialised once). Python only shapes
the few grouped rows that come back. Case answers are summed from answer_tally, which
already holds them grouped by inspection, scope, question and value, unless a fact of the
cases other than their scope matters (a trust filter, or a group by trust, grade, risk,
sex, sentence or age); then they are counted from their own table, as survey answers
always are. The National Standards checks are derived from the cases' dates by the same
statement shape (app/services/aggregates/national_standards.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
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
    os_grade = "os_grade"
    rosh = "rosh"
    sex = "sex"
    sentence_type = "sentence_type"
    in_scope = "in_scope"
    age_band = "age_band"


# The age bands of SPEC 18, by age at sentence (the case's only age): (label, lowest age).
AGE_BANDS: tuple[tuple[str, int], ...] = (("18-20", 18), ("21-24", 21), ("25-49", 25), ("50+", 50))
MAX_DIMENSIONS = 2

Dimensions = tuple[GroupBy, ...]


def age_band() -> ColumnElement[Any]:
    """The case's age band at sentence; null under 18 or when the age is not recorded."""
    age = col(Case.age_at_sentence)
    return case(*[(age >= low, label) for label, low in reversed(AGE_BANDS)], else_=null())


# Facts of the case (not of its inspection) a group may be keyed by.
CASE_GROUPS: dict[GroupBy, Any] = {
    GroupBy.trust: lambda: col(Case.home_trust),
    GroupBy.os_grade: lambda: col(Case.os_grade),
    GroupBy.rosh: lambda: col(Case.rosh),
    GroupBy.sex: lambda: col(Case.sex),
    GroupBy.sentence_type: lambda: col(Case.sentence_type),
    GroupBy.in_scope: lambda: col(Case.in_scope),
    GroupBy.age_band: age_band,
}


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


def by_cases(dimensions: Dimensions) -> bool:
    """Whether a group is keyed by a fact of the cases, so that only cases can be grouped."""
    return any(dimension in CASE_GROUPS for dimension in dimensions)


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
    framework_ids: Sequence[str],
    filters: AggregateFilters,
    dimensions: Dimensions,
    start_from: date | None,
    start_to: date | None,
) -> Subquery:
    """The inspections that pass the inspection-level filters, with their fieldwork start
    `fs` and a column `g<i>` per inspection-level dimension."""
    where: list[Any] = [
        col(Inspection.framework_id).in_(framework_ids),
        col(Inspection.status).in_(filters.statuses),
    ]
    if filters.programme:
        where.append(Inspection.programme_code == filters.programme)
    if filters.inspections:
        where.append(col(Inspection.id).in_(filters.inspections))
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
    columns: list[Any] = [
        col(Inspection.id).label("id"),
        col(Inspection.fieldwork_start).label("fs"),
    ]
    for index, dimension in enumerate(dimensions):
        if dimension in INSPECTION_GROUPS:
            columns.append(INSPECTION_GROUPS[dimension]().label(f"g{index}"))
    statement = (
        select(*columns)
        .select_from(Inspection)
        .outerjoin(Establishment, col(Establishment.code) == Inspection.establishment_code)
        .outerjoin(InspectedTrust, col(InspectedTrust.code) == Inspection.trust_code)
        .where(*where)
    )
    return statement.subquery("matching")


def group_keys(matching: Subquery, dimensions: Dimensions) -> list[Any]:
    """One column per dimension, labelled g0, g1: of the case or of its inspection."""
    keys = []
    for index, dimension in enumerate(dimensions):
        if dimension in CASE_GROUPS:
            keys.append(CASE_GROUPS[dimension]().label(f"g{index}"))
        else:
            keys.append(matching.c[f"g{index}"].label(f"g{index}"))
    return keys


def subject_filters(source: Source, filters: AggregateFilters) -> list[Any]:
    if source is not CASES:
        return []
    where: list[Any] = []
    if filters.trust is not None:
        where.append(Case.home_trust == filters.trust)
    if filters.in_scope is not None:
        where.append(col(Case.in_scope).is_(filters.in_scope))
    return where


def subject_counts(
    session: Session,
    source: Source,
    matching: Subquery,
    dimensions: Dimensions,
    filters: AggregateFilters,
) -> list[tuple[tuple[Any, ...], int, int]]:
    """(group key, inspections, subjects) per group."""
    keys = group_keys(matching, dimensions)
    subject = source.subject
    statement = (
        select(*keys, func.count(distinct(subject.inspection_id)), func.count())  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
        .select_from(subject)
        .join(matching, matching.c.id == subject.inspection_id)
        .where(*subject_filters(source, filters))
        .group_by(*keys)
    )
    width = len(keys)
    return [
        (tuple(row[:width]), int(row[-2]), int(row[-1])) for row in session.exec(statement).all()
    ]


def counts_statement(
    per_source: Select[Any] | CompoundSelect, width: int, *, with_mean: bool
) -> Select[Any]:
    """Rows (kind, g0.., question, value, n, yes, no, mean, k, syy, syn, snn).

    `per_source` gives rows (g0.., insp, q, v, n, y, f). kind 1: pooled counts per group,
    question and value; kind 2 (with_mean): per group and question, the unweighted mean of
    the inspections' percents, how many had one, and over those inspections the sums of
    yes², yes * relevant and relevant² that the clustered interval needs.
    """
    per = per_source.cte("per")
    group = [per.c[f"g{index}"] for index in range(width)]
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
        cast(null(), Float).label("syy"),
        cast(null(), Float).label("syn"),
        cast(null(), Float).label("snn"),
    ).group_by(*group, per.c.q, per.c.v)
    if not with_mean:
        return pooled
    by_inspection = (
        select(*group, per.c.q, func.sum(per.c.y).label("y"), func.sum(per.c.f).label("f"))  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
        .group_by(*group, per.c.insp, per.c.q)
        .subquery("by_inspection")
    )
    yes = cast(by_inspection.c.y, Float)
    relevant = cast(by_inspection.c.y + by_inspection.c.f, Float)
    scored = relevant > 0
    share = case((scored, yes * 100.0 / relevant))
    inner_group = [by_inspection.c[f"g{index}"] for index in range(width)]
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
        func.sum(case((scored, yes * yes))).label("syy"),
        func.sum(case((scored, yes * relevant))).label("syn"),
        func.sum(case((scored, relevant * relevant))).label("snn"),
    ).group_by(*inner_group, by_inspection.c.q)
    return union_all(pooled, means)  # type: ignore[return-value]


def tallied_case_answers(
    matching: Subquery, dimensions: Dimensions, filters: AggregateFilters
) -> Select[Any]:
    """Rows (g0.., insp, q, v, n, y, f) of case answers, summed from answer_tally (grouped by
    inspection-level dimensions or by scope only)."""
    tally = AnswerTally
    keys = [
        col(tally.in_scope).label(f"g{index}")
        if dimension is GroupBy.in_scope
        else matching.c[f"g{index}"].label(f"g{index}")
        for index, dimension in enumerate(dimensions)
    ]
    where: list[Any] = []
    if filters.in_scope is not None:
        where.append(col(tally.in_scope).is_(filters.in_scope))
    return (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
            *keys,
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


def counted_answers(
    source: Source, matching: Subquery, dimensions: Dimensions, filters: AggregateFilters
) -> Select[Any]:
    """Rows (g0.., insp, q, v, n, y, f) counted from an answer table."""
    subject = source.subject
    keys = group_keys(matching, dimensions)
    return answer_counts(
        source, [*keys, subject.inspection_id.label("insp")], subject_filters(source, filters)
    ).join(matching, matching.c.id == subject.inspection_id)


def answers_per_inspection(
    source: Source, matching: Subquery, dimensions: Dimensions, filters: AggregateFilters
) -> Select[Any]:
    """The answers grouped by group, inspection, question and value: from the tally when
    it holds what is asked (no case fact but scope), else from the answers."""
    tallied = (
        source is CASES
        and filters.trust is None
        and all(d not in CASE_GROUPS or d is GroupBy.in_scope for d in dimensions)
    )
    if tallied:
        return tallied_case_answers(matching, dimensions, filters)
    return counted_answers(source, matching, dimensions, filters)


def run_counts(session: Session, statement: Select[Any], width: int) -> list[tuple[Any, ...]]:
    """The counts statement's rows, each normalised to
    (kind, key, q, v, n, y, f, mean, k, syy, syn, snn) with the group key as a tuple."""
    rows = []
    for row in session.exec(statement).all():  # type: ignore[call-overload]
        values = tuple(row)
        rows.append((values[0], tuple(values[1 : 1 + width]), *values[1 + width :]))
    return rows
