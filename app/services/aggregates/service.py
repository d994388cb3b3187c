"""Aggregates across inspections (SPEC 8): filters, groups, pooled figures, period comparison."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.errors import ValidationFailed, field_error
from app.models import Establishment, Framework, Inspection, Programme, Region, Trust
from app.models.framework import FrameworkDocument, Instrument, Subject
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
from app.rules.national_standards import FAIL, NS_CHECKS, PASS, UNKNOWN
from app.rules.question_figures import (
    NATIONAL_STANDARDS,
    NATIONAL_STANDARDS_TITLE,
    Tally,
    national_standards_row,
    question_fields,
    rollups,
)
from app.rules.statistics import (
    clustered_interval,
    difference_points,
    percent,
    round1,
    two_proportion_p_value,
)
from app.services.aggregates import national_standards as ns_sql
from app.services.aggregates.labels import labelled_keys
from app.services.aggregates.queries import (
    CASE_GROUPS,
    DEFAULT_STATUSES,
    MAX_DIMENSIONS,
    AggregateFilters,
    Dimensions,
    GroupBy,
    by_cases,
    counted_answers,
    counts_statement,
    group_keys,
    matching_inspections,
    subject_counts,
    subject_filters,
    tallied_counts,
    tally_facet,
)
from app.services.cases.tally import CHECK_PREFIX
from app.services.frameworks import service as frameworks
from app.services.scoring.counts import CASES, RESPONDENTS

__all__ = [
    "CASE_GROUPS",
    "DEFAULT_STATUSES",
    "AggregateFilters",
    "GroupBy",
    "Period",
    "aggregate",
]

SURVEY_LEFT_OUT = (
    "Survey instruments are left out: respondents are anonymous, so they have no home trust "
    "or scope to filter or group by."
)
CASE_GROUPS_LEAVE_SURVEY_OUT = (
    "Survey instruments are left out: respondents are anonymous, so they have no facts of a "
    "case to group by."
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
    # Per question: the inspections with a row of it (for a check: with cases in the group).
    present: dict[str, int] = field(default_factory=dict)
    # Per question: (mean of the inspections' percents, inspections with one, Σy², Σyn, Σn²).
    means: dict[str, tuple[float | None, int, float, float, float]] = field(default_factory=dict)


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


def parse_group_by(value: str | None) -> Dimensions:
    """One or two dimensions, comma-separated (`establishment_type,os_grade`)."""
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    allowed = [dimension.value for dimension in GroupBy]
    faults = [
        field_error(
            ["query", "group_by"],
            "unknown_dimension",
            f"{item!r} is not one of {', '.join(allowed)}",
        )
        for item in items
        if item not in allowed
    ]
    if len(items) > MAX_DIMENSIONS:
        faults.append(
            field_error(
                ["query", "group_by"], "too_many_dimensions", "group by at most two dimensions"
            )
        )
    if len(set(items)) < len(items):
        faults.append(
            field_error(["query", "group_by"], "repeated_dimension", "a dimension is repeated")
        )
    if faults:
        raise ValidationFailed("bad group_by", errors=faults)
    return tuple(GroupBy(item) for item in items)


def frameworks_to_pool(session: Session, code: str, versions: list[int] | None) -> list[Framework]:
    """The versions asked for, or every version of the framework; the latest first."""
    if versions:
        found = [frameworks.get(session, code, version) for version in dict.fromkeys(versions)]
    else:
        found = list(session.exec(select(Framework).where(Framework.code == code)).all()) or [
            frameworks.get(session, code)
        ]
    return sorted(found, key=lambda framework: -framework.version)


def pooled_instruments(versions: list[Framework]) -> list[Instrument]:
    """The instruments of every version, pooled by question code: the latest version's
    questions as it words them, then the questions only earlier versions ask."""
    merged: dict[str, Instrument] = {}
    for framework in versions:
        for instrument in frameworks.index_of(framework).document.instruments:
            if instrument.code not in merged:
                merged[instrument.code] = instrument
                continue
            known = {question.code for question in merged[instrument.code].questions}
            extra = [question for question in instrument.questions if question.code not in known]
            if extra:
                questions = [*merged[instrument.code].questions, *extra]
                merged[instrument.code] = merged[instrument.code].model_copy(
                    update={"questions": questions}
                )
    return list(merged.values())


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
    framework_ids: list[str],
    filters: AggregateFilters,
    dimensions: Dimensions,
    period: Period,
    *,
    with_survey: bool,
) -> dict[tuple[Any, ...], GroupFigures]:
    """Per group key: inspection, case and respondent counts, tallies and inspection means."""
    groups: dict[tuple[Any, ...], GroupFigures] = {}
    matching = matching_inspections(
        framework_ids, filters, dimensions, period.start_from, period.start_to
    )
    width = len(dimensions)
    dialect = session.get_bind().dialect.name
    case_grouped = by_cases(dimensions) or filters.case_level
    if not case_grouped:
        keyed = [matching.c[f"g{index}"] for index in range(width)]
        statement = select(*keyed, func.count()).select_from(matching).group_by(*keyed)  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
        for row in session.exec(statement).all():
            # One selected column comes back as a plain value, not a row.
            key, count = (tuple(row[:width]), row[width]) if keyed else ((), row)
            groups.setdefault(key, GroupFigures()).inspections = int(count)
    facet = tally_facet(dimensions, filters)
    if facet is not None:
        # The tally holds the checks beside the answers: one statement counts both, and
        # the cases are the outcomes of any one check.
        _add_counts(session, groups, tallied_counts(matching, dimensions, filters, facet), width)
        for figures in groups.values():
            _cases_from_checks(figures, case_grouped)
    else:
        for key, inspections, subjects in subject_counts(
            session, CASES, matching, dimensions, filters
        ):
            figures = groups.setdefault(key, GroupFigures())
            figures.cases = subjects
            if case_grouped:
                figures.inspections = inspections
        per = counted_answers(CASES, matching, dimensions, filters)
        _add_counts(session, groups, counts_statement(per, width, dialect), width)
        ns_per = ns_sql.outcomes_per_inspection(
            matching, group_keys(matching, dimensions), subject_filters(CASES, filters)
        )
        _add_counts(session, groups, counts_statement(ns_per, width, dialect), width, prefix=NS)
    if with_survey:
        for key, _, subjects in subject_counts(session, RESPONDENTS, matching, dimensions, filters):
            groups.setdefault(key, GroupFigures()).respondents = subjects
        per = counted_answers(RESPONDENTS, matching, dimensions, filters)
        _add_counts(session, groups, counts_statement(per, width, dialect), width)
    if not dimensions:
        groups.setdefault((), GroupFigures())
    return groups


# Every case has one outcome of each check: the first check's counts are the cases.
CASES_CHECK = CHECK_PREFIX + NS_CHECKS[0]


def _cases_from_checks(figures: GroupFigures, case_grouped: bool) -> None:
    tally = figures.tallies.get(CASES_CHECK)
    figures.cases = sum(tally.values.values()) if tally else 0
    if case_grouped:
        figures.inspections = figures.present.get(CASES_CHECK, 0)


NS_SHOWN = {PASS: "met", FAIL: "not_met", UNKNOWN: "unknown"}
# National Standards checks are keyed apart from the framework's questions.
NS = CHECK_PREFIX


def _add_counts(
    session: Session,
    groups: dict[tuple[Any, ...], GroupFigures],
    statement: Any,
    width: int,
    prefix: str = "",
) -> None:
    """Fold the counts statement's rows (counts_statement) into the groups' figures."""
    end = 1 + width
    for row in session.connection().execute(statement).all():
        key = tuple(row[1:end]) if width else ()
        figures = groups.get(key)
        if figures is None:
            figures = groups[key] = GroupFigures()
        code = prefix + row[end]
        if row[0] == 1:
            tally = figures.tallies.get(code)
            if tally is None:
                tally = figures.tallies[code] = Tally()
            tally.add(row[end + 1], int(row[end + 3]), int(row[end + 4]), int(row[end + 2]))
        else:
            mean, scored, syy, syn, snn = row[end + 5 : end + 10]
            figures.present[code] = int(row[end + 2])
            figures.means[code] = (
                None if mean is None else float(mean),
                int(scored),
                float(syy or 0),
                float(syn or 0),
                float(snn or 0),
            )


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


def _pooled(
    row: dict[str, Any],
    key: str,
    figures: GroupFigures,
    compared: GroupFigures | None,
) -> PooledQuestion:
    """A pooled question from a question's fields (question_fields) and its group's means."""
    mean, scored, syy, syn, snn = figures.means.get(key, (None, 0, 0.0, 0.0, 0.0))
    pooled = PooledQuestion(
        **row,
        mean_of_inspections=round1(mean),
        inspections_scored=scored,
        ci95_clustered=clustered_interval(row["yes"], row["relevant"], scored, syy, syn, snn),
    )
    if compared is not None:
        other = compared.tallies.get(key) or Tally()
        pooled.compare = _compared(pooled.yes, pooled.relevant, pooled.percent, other)
    return pooled


def _instrument(
    document: FrameworkDocument,
    instrument: Instrument,
    figures: GroupFigures,
    compared: GroupFigures | None,
    compare_on: bool,
) -> PooledInstrument:
    respondents = instrument.subject is Subject.respondent
    subjects = figures.respondents if respondents else figures.cases
    other = (compared or GroupFigures()) if compare_on else None
    # Each question is built once, as the pooled model (no intermediate scored row).
    questions = [
        _pooled(
            question_fields(question, figures.tallies.get(question.code), subjects),
            question.code,
            figures,
            other,
        )
        for question in instrument.questions
    ]
    rolled = rollups(document, questions)
    return PooledInstrument(
        code=instrument.code,
        title=instrument.title,
        subject=instrument.subject.value,
        questions=questions,
        sections=rolled.sections,
        themes=rolled.themes,
        criteria=rolled.criteria,
    )


def _national_standards(
    figures: GroupFigures, compared: GroupFigures | None, compare_on: bool
) -> PooledInstrument:
    other = (compared or GroupFigures()) if compare_on else None
    questions = [
        _pooled(
            dict(vars(national_standards_row(code, figures.tallies.get(NS + code), figures.cases))),
            NS + code,
            figures,
            other,
        )
        for code in NS_CHECKS
    ]
    for question in questions:
        # The outcomes of a check, as its distribution: met (pass), not met (fail), unknown.
        counted = (figures.tallies.get(NS + question.code) or Tally()).values
        question.distribution = {
            shown: counted.get(outcome, 0) for outcome, shown in NS_SHOWN.items()
        }
    return PooledInstrument(
        code=NATIONAL_STANDARDS,
        title=NATIONAL_STANDARDS_TITLE,
        subject=Subject.case.value,
        questions=questions,
    )


def aggregate(
    session: Session,
    framework: Framework | list[Framework],
    filters: AggregateFilters,
    group_by: GroupBy | Dimensions | None = None,
    compare: Period | None = None,
) -> Aggregates:
    """The aggregate table: one row per group (one row without group_by), every question
    pooled, over one or more versions of a framework (the latest first)."""
    versions = framework if isinstance(framework, list) else [framework]
    dimensions: Dimensions = (
        () if group_by is None else (group_by,) if isinstance(group_by, GroupBy) else group_by
    )
    check_filters(session, filters, compare)
    latest = versions[0]
    document = frameworks.index_of(latest).document
    pooled = pooled_instruments(versions)
    has_survey = any(item.subject is Subject.respondent for item in pooled)
    with_survey = has_survey and not by_cases(dimensions) and not filters.case_level
    instruments = [item for item in pooled if with_survey or item.subject is not Subject.respondent]
    ids = [item.id for item in versions]
    main = Period(filters.start_from, filters.start_to)
    groups = _gather(session, ids, filters, dimensions, main, with_survey=with_survey)
    earlier: dict[tuple[Any, ...], GroupFigures] = {}
    if compare is not None:
        earlier = _gather(session, ids, filters, dimensions, compare, with_survey=with_survey)
    rows = []
    for key, label in labelled_keys(session, dimensions, set(groups) | set(earlier)):
        figures = groups.get(key) or GroupFigures()
        other = earlier.get(key)
        row = AggregateRow(
            group={
                dimension.value: value for dimension, value in zip(dimensions, key, strict=True)
            },
            label=label,
            inspections=figures.inspections,
            cases=figures.cases,
            respondents=figures.respondents,
            instruments=[
                *(
                    _instrument(document, item, figures, other, compare is not None)
                    for item in instruments
                ),
                _national_standards(figures, other, compare is not None),
            ],
        )
        if compare is not None:
            other = other or GroupFigures()
            row.compare = SubjectCounts(
                inspections=other.inspections, cases=other.cases, respondents=other.respondents
            )
        rows.append(row)
    notes = []
    if has_survey and not with_survey:
        notes.append(
            CASE_GROUPS_LEAVE_SURVEY_OUT
            if by_cases(dimensions) and not filters.case_level
            else SURVEY_LEFT_OUT
        )
    return Aggregates(
        framework=FrameworkRef(code=latest.code, version=latest.version),
        versions=sorted(item.version for item in versions),
        filters=describe(filters),
        group_by=",".join(dimension.value for dimension in dimensions) or None,
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
