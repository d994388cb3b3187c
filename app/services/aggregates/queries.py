"""The SQL of aggregates: pooled counts and means of inspections, grouped by the database.

The database does the counting: one statement pools the rows of answers per group,
question and value and, per group and question, averages the per-inspection percents
(both groupings from one pass on PostgreSQL). Python only shapes the few grouped rows that
come back. Case answers and the National Standards checks are summed from answer_tally,
which holds them per inspection, scope, question and value, or, for a group by one fact of
the case (grade, risk, sex, sentence type, age band), from facet_tally, which splits the
same counts by that fact. Only a trust filter or group, or two facts of the case at once,
count the answers from their own table and derive the checks from the cases' dates
(app/services/aggregates/national_standards.py), as survey answers are always counted.
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
    tuple_,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.models import (
    AnswerTally,
    Case,
    Establishment,
    FacetTally,
    Inspection,
    QuestionTally,
    Trust,
)
from app.models.inspection import InspectionStatus
from app.services.cases.facets import FACETS, NOT_RECORDED, age_band
from app.services.cases.tally import ALL_CASES, IN_SCOPE, NO_FACET, OUT_OF_SCOPE
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


MAX_DIMENSIONS = 2

Dimensions = tuple[GroupBy, ...]


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


def counts_statement(per_source: Select[Any] | CompoundSelect, width: int, dialect: str) -> Any:
    """Rows (kind, g0.., question, value, n, yes, no, mean, k, syy, syn, snn).

    `per_source` gives rows (g0.., insp, q, v, n, y, f), not necessarily one per key.
    kind 1: pooled counts per group, question and value; kind 2: per group and question,
    in `n` the inspections with a row, the unweighted mean of the inspections' percents, how
    many had one, and over those inspections the sums of yes², yes * relevant and relevant²
    that the clustered interval needs.

    On PostgreSQL one pass over the rows makes both groupings (GROUPING SETS, hashed); SQLite
    has no grouping sets, so there the rows are grouped twice.
    """
    source = per_source.subquery("src")
    group = [source.c[f"g{index}"] for index in range(width)]
    sums = [
        func.sum(source.c.n).label("n"),
        func.sum(source.c.y).label("y"),
        func.sum(source.c.f).label("f"),
    ]
    if dialect == "postgresql":
        per = (
            select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
                *group,
                source.c.insp,
                source.c.q,
                source.c.v,
                *sums,
                func.grouping(source.c.insp).label("pooled"),
            )
            .group_by(
                func.grouping_sets(
                    tuple_(*group, source.c.q, source.c.v),
                    tuple_(*group, source.c.insp, source.c.q),
                )
            )
            .cte("per")
        )
        pooled_rows = select(per).where(per.c.pooled == 1).subquery("pooled_rows")
        inspection_rows = select(per).where(per.c.pooled == 0).subquery("by_inspection")
        pooled_columns = [pooled_rows.c[name] for name in ("q", "v", "n", "y", "f")]
        pooled_group = [pooled_rows.c[f"g{index}"] for index in range(width)]
        pooled: Any = select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
            literal_column("1").label("kind"), *pooled_group, *pooled_columns, *_no_means()
        )
    else:
        pooled = select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
            literal_column("1").label("kind"),
            *group,
            source.c.q,
            source.c.v,
            *sums,
            *_no_means(),
        ).group_by(*group, source.c.q, source.c.v)
        inspection_rows = (
            select(*group, source.c.insp, source.c.q, *sums)  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
            .group_by(*group, source.c.insp, source.c.q)
            .subquery("by_inspection")
        )
    inner_group = [inspection_rows.c[f"g{index}"] for index in range(width)]
    means = select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
        literal_column("2").label("kind"),
        *inner_group,
        inspection_rows.c.q,
        *_means(inspection_rows.c.y, inspection_rows.c.f),
    ).group_by(*inner_group, inspection_rows.c.q)
    return union_all(pooled, means)


def _means(yes_count: Any, no_count: Any) -> list[Any]:
    """A means row's columns after its group and question, over one row per inspection:
    the mean of the inspections' percents, how many had one, and the sums the clustered
    interval needs (yes², yes·relevant, relevant²)."""
    yes = cast(yes_count, Float)
    relevant = cast(yes_count + no_count, Float)
    scored = relevant > 0
    share = case((scored, yes * 100.0 / relevant))
    return [
        cast(null(), String).label("v"),
        func.count().label("n"),
        cast(null(), Integer).label("y"),
        cast(null(), Integer).label("f"),
        cast(func.avg(share), Float).label("mean"),
        func.count(share).label("k"),
        func.sum(case((scored, yes * yes))).label("syy"),
        func.sum(case((scored, yes * relevant))).label("syn"),
        func.sum(case((scored, relevant * relevant))).label("snn"),
    ]


def _no_means() -> list[Any]:
    return [
        cast(null(), Float).label("mean"),
        cast(null(), Integer).label("k"),
        cast(null(), Float).label("syy"),
        cast(null(), Float).label("syn"),
        cast(null(), Float).label("snn"),
    ]


def tally_facet(dimensions: Dimensions, filters: AggregateFilters) -> str | None:
    """Which tally holds the case answers asked for: "" for answer_tally (no case fact but
    scope), a facet's name for facet_tally (one such fact), None for neither (a trust
    filter or group, or two facts of the case at once): then the answers are counted."""
    if filters.trust is not None:
        return None
    facts = [d for d in dimensions if d in CASE_GROUPS and d is not GroupBy.in_scope]
    if not facts:
        return ""
    if len(facts) == 1 and facts[0].value in FACETS:
        return facts[0].value
    return None


def tallied_counts(
    matching: Subquery, dimensions: Dimensions, filters: AggregateFilters, facet: str
) -> Any:
    """The counts statement's rows (see counts_statement) for case answers and National
    Standards checks, summed from the tallies: pooled per group, question and value from
    answer_tally (or facet_tally, for a fact of the case), and the per-inspection figures
    per group and question from question_tally, which holds each inspection's (and facet
    value's) yes and no per question already: no statement groups by inspection."""
    tally: Any = FacetTally if facet else AnswerTally
    questions: Any = QuestionTally
    keys: list[Any] = []
    inspection_keys: list[Any] = []
    for index, dimension in enumerate(dimensions):
        key: Any
        if dimension is GroupBy.in_scope:
            key, inspection_key = col(tally.in_scope), questions.scope == IN_SCOPE
        elif dimension in CASE_GROUPS:
            key = func.nullif(tally.facet_value, NOT_RECORDED)
            inspection_key = func.nullif(questions.facet_value, NOT_RECORDED)
        else:
            key = inspection_key = matching.c[f"g{index}"]
        keys.append(key.label(f"g{index}"))
        inspection_keys.append(inspection_key.label(f"g{index}"))
    where: list[Any] = []
    if facet:
        where.append(tally.facet == facet)
    if filters.in_scope is not None:
        where.append(col(tally.in_scope).is_(filters.in_scope))
    pooled = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
            literal_column("1").label("kind"),
            *keys,
            col(tally.question_code).label("q"),
            col(tally.value).label("v"),
            func.sum(tally.answer_count).label("n"),
            func.sum(tally.yes_count).label("y"),
            func.sum(tally.no_count).label("f"),
            *_no_means(),
        )
        .select_from(tally)
        .join(matching, matching.c.id == tally.inspection_id)
        .where(*where)
        .group_by(*keys, tally.question_code, tally.value)
    )
    if GroupBy.in_scope in dimensions:
        scopes = [IN_SCOPE, OUT_OF_SCOPE]
    else:
        scopes = [{None: ALL_CASES, True: IN_SCOPE, False: OUT_OF_SCOPE}[filters.in_scope]]
    means = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
            literal_column("2").label("kind"),
            *inspection_keys,
            col(questions.question_code).label("q"),
            *_means(questions.yes_count, questions.no_count),
        )
        .select_from(questions)
        .join(matching, matching.c.id == questions.inspection_id)
        .where(questions.facet == (facet or NO_FACET), col(questions.scope).in_(scopes))
        .group_by(*inspection_keys, questions.question_code)
    )
    return union_all(pooled, means)


def counted_answers(
    source: Source, matching: Subquery, dimensions: Dimensions, filters: AggregateFilters
) -> Select[Any]:
    """Rows (g0.., insp, q, v, n, y, f) counted from an answer table."""
    subject = source.subject
    keys = group_keys(matching, dimensions)
    return answer_counts(
        source, [*keys, subject.inspection_id.label("insp")], subject_filters(source, filters)
    ).join(matching, matching.c.id == subject.inspection_id)
