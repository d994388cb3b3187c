"""Aggregates across inspections (SPEC 8): filters, groups, pooled figures, period comparison."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.errors import ValidationFailed, field_error
from app.models import Establishment, Framework, Inspection, Programme, Region, Trust
from app.models.framework import Instrument, Question, Subject
from app.models.inspection import InspectionStatus
from app.models.scores import (
    AggregateFiltersRead,
    AggregateRow,
    Aggregates,
    ComparePeriod,
    Comparison,
    FrameworkRef,
    PooledInstrument,
    PooledQuestion,
    SubjectCounts,
)
from app.rules.question_figures import Tally, question_row
from app.rules.statistics import difference_points, percent, round1, two_proportion_p_value
from app.services.aggregates.labels import labelled_keys
from app.services.aggregates.queries import (
    DEFAULT_STATUSES,
    AggregateFilters,
    GroupBy,
    matching_inspections,
    run_counts,
    subject_counts,
)
from app.services.frameworks import service as frameworks
from app.services.scoring.counts import CASES, RESPONDENTS, Source

__all__ = ["DEFAULT_STATUSES", "AggregateFilters", "GroupBy", "Period", "aggregate"]

SURVEY_LEFT_OUT = (
    "Survey instruments are left out: respondents are anonymous, so they have no home trust "
    "or scope to filter or group by."
)
NATIONAL_STANDARDS_LEFT_OUT = (
    "National Standards checks are scored per inspection (GET /inspections/{id}/scores) only."
)


@dataclass(frozen=True)
class Period:
    start_from: date | None = None
    start_to: date | None = None


@dataclass
class GroupFigures:
    inspections: int = 0
    cases: int = 0
    respondents: int = 0
    tallies: dict[str, Tally] = field(default_factory=dict)
    means: dict[str, tuple[float | None, int]] = field(default_factory=dict)


def parse_statuses(values: list[str] | None) -> tuple[InspectionStatus, ...]:
    """Statuses from repeated parameters or comma lists; all but planned when none are given."""
    items = [item.strip() for value in values or [] for item in value.split(",") if item.strip()]
    if not items:
        return DEFAULT_STATUSES
    allowed = [status.value for status in InspectionStatus]
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise ValidationFailed(
            "unknown inspection status",
            errors=[
                field_error(
                    ["query", "status"],
                    "unknown_status",
                    f"{item!r} is not one of {', '.join(allowed)}",
                )
                for item in unknown
            ],
        )
    return tuple(dict.fromkeys(InspectionStatus(item) for item in items))


def _range_fault(name: str, period: Period) -> list[dict[str, Any]]:
    if period.start_from and period.start_to and period.start_from > period.start_to:
        return [field_error(["query", name], "bad_range", f"{name} is after its end date")]
    return []


def check_filters(session: Session, filters: AggregateFilters, compare: Period | None) -> None:
    """Every fault of the query at once: unknown codes and periods that end before they start."""
    faults: list[dict[str, Any]] = []
    references: list[tuple[str, Any, str | None]] = [
        ("programme", Programme, filters.programme),
        ("establishment", Establishment, filters.establishment),
        ("region", Region, filters.region),
        ("trust", Trust, filters.trust),
    ]
    for name, model, value in references:
        if value is not None and session.get(model, value) is None:
            faults.append(field_error(["query", name], f"unknown_{name}", f"no {name} {value!r}"))
    if filters.inspections:
        found = set(
            session.exec(
                select(Inspection.id).where(col(Inspection.id).in_(filters.inspections))
            ).all()
        )
        faults += [
            field_error(["query", "inspection"], "unknown_inspection", f"no inspection {item!r}")
            for item in filters.inspections
            if item not in found
        ]
    faults += _range_fault("from", Period(filters.start_from, filters.start_to))
    if compare is not None:
        faults += _range_fault("compare_from", compare)
    if faults:
        raise ValidationFailed(f"{len(faults)} fault(s) in the query", errors=faults)


def _gather(
    session: Session,
    framework: Framework,
    filters: AggregateFilters,
    group_by: GroupBy | None,
    period: Period,
    *,
    with_survey: bool,
    with_mean: bool,
) -> dict[Any, GroupFigures]:
    """Per group key: inspection, case and respondent counts, tallies and inspection means."""
    groups: dict[Any, GroupFigures] = {}
    matching = matching_inspections(
        framework, filters, group_by, period.start_from, period.start_to
    )
    if group_by is not GroupBy.trust and not filters.case_level:
        keyed = [matching.c.g] if group_by is not None else []
        statement = select(*keyed, func.count()).select_from(matching).group_by(*keyed)  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
        for row in session.exec(statement).all():
            # One selected column comes back as a plain value, not a row.
            key, count = (row[0], row[1]) if keyed else (None, row)
            groups.setdefault(key, GroupFigures()).inspections = int(count)
    sources: list[Source] = [CASES, RESPONDENTS] if with_survey else [CASES]
    for source in sources:
        for key, inspections, subjects in subject_counts(
            session, source, matching, group_by, filters
        ):
            figures = groups.setdefault(key, GroupFigures())
            if source is CASES:
                figures.cases = subjects
                if group_by is GroupBy.trust or filters.case_level:
                    figures.inspections = inspections
            else:
                figures.respondents = subjects
        for kind, key, code, value, n, yes, no, mean, scored in run_counts(
            session, source, matching, group_by, filters, with_mean=with_mean
        ):
            figures = groups.setdefault(key, GroupFigures())
            if kind == 1:
                figures.tallies.setdefault(code, Tally()).add(value, int(yes), int(no), int(n))
            else:
                figures.means[code] = (None if mean is None else float(mean), int(scored))
    if group_by is None:
        groups.setdefault(None, GroupFigures())
    return groups


def _compared(yes: int, relevant: int, percent_now: float | None, other: Tally) -> Comparison:
    base = other.yes + other.no
    then = percent(other.yes, base)
    return Comparison(
        yes=other.yes,
        relevant=base,
        percent=then,
        difference=difference_points(percent_now, then),
        p_value=two_proportion_p_value(yes, relevant, other.yes, base),
    )


def _question(
    question: Question,
    figures: GroupFigures,
    subjects: int,
    compared: GroupFigures | None,
) -> PooledQuestion:
    mean, scored = figures.means.get(question.code, (None, 0))
    pooled = PooledQuestion(
        **question_row(question, figures.tallies.get(question.code), subjects),
        mean_of_inspections=round1(mean),
        inspections_scored=scored,
    )
    if compared is not None:
        other = compared.tallies.get(question.code) or Tally()
        pooled.compare = _compared(pooled.yes, pooled.relevant, pooled.percent, other)
    return pooled


def _instrument(
    instrument: Instrument, figures: GroupFigures, compared: GroupFigures | None, compare_on: bool
) -> PooledInstrument:
    respondents = instrument.subject is Subject.respondent
    subjects = figures.respondents if respondents else figures.cases
    other = (compared or GroupFigures()) if compare_on else None
    return PooledInstrument(
        code=instrument.code,
        title=instrument.title,
        subject=instrument.subject.value,
        questions=[_question(q, figures, subjects, other) for q in instrument.questions],
    )


def aggregate(
    session: Session,
    framework: Framework,
    filters: AggregateFilters,
    group_by: GroupBy | None = None,
    compare: Period | None = None,
) -> Aggregates:
    """The aggregate table: one row per group (one row without group_by), every question pooled."""
    check_filters(session, filters, compare)
    document = frameworks.index_of(framework).document
    has_survey = any(item.subject is Subject.respondent for item in document.instruments)
    with_survey = has_survey and group_by is not GroupBy.trust and not filters.case_level
    instruments = [
        item
        for item in document.instruments
        if with_survey or item.subject is not Subject.respondent
    ]
    main = Period(filters.start_from, filters.start_to)
    groups = _gather(
        session, framework, filters, group_by, main, with_survey=with_survey, with_mean=True
    )
    earlier: dict[Any, GroupFigures] = {}
    if compare is not None:
        earlier = _gather(
            session, framework, filters, group_by, compare, with_survey=with_survey, with_mean=False
        )
    rows = []
    for key, label in labelled_keys(session, group_by, set(groups) | set(earlier)):
        figures = groups.get(key) or GroupFigures()
        other = earlier.get(key)
        row = AggregateRow(
            group={} if group_by is None else {group_by.value: key},
            label=label,
            inspections=figures.inspections,
            cases=figures.cases,
            respondents=figures.respondents,
            instruments=[
                _instrument(item, figures, other, compare is not None) for item in instruments
            ],
        )
        if compare is not None:
            other = other or GroupFigures()
            row.compare = SubjectCounts(
                inspections=other.inspections, cases=other.cases, respondents=other.respondents
            )
        rows.append(row)
    notes = [NATIONAL_STANDARDS_LEFT_OUT]
    if has_survey and not with_survey:
        notes.insert(0, SURVEY_LEFT_OUT)
    return Aggregates(
        framework=FrameworkRef(code=framework.code, version=framework.version),
        filters=describe(filters),
        group_by=group_by.value if group_by else None,
        compare=None
        if compare is None
        else ComparePeriod(start_from=compare.start_from, start_to=compare.start_to),
        notes=notes,
        rows=rows,
    )


def describe(filters: AggregateFilters) -> AggregateFiltersRead:
    return AggregateFiltersRead(
        programme=filters.programme,
        inspection=list(filters.inspections),
        establishment=filters.establishment,
        establishment_type=filters.establishment_type,
        region=filters.region,
        trust=filters.trust,
        start_from=filters.start_from,
        start_to=filters.start_to,
        status=[status.value for status in filters.statuses],
        in_scope=filters.in_scope,
    )
