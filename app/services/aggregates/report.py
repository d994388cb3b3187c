"""The draft aggregate report (SPEC 19), in the shape of the Second Aggregate Report: the
inspections and cases covered, a chapter per theme with the pooled figures and the figures by
establishment type, significant changes against a comparison period, charts and low-base
notes.

Every figure is the aggregates' own (`service.aggregate` with the same filters), so the report
cannot disagree with them. Changes are tested question by question with the two-proportion
z-test and the p-values adjusted with Holm's step-down method over every question tested.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import Establishment, Framework
from app.models.aggregate_report import (
    AggregateReport,
    CoveredEstablishment,
    EstablishmentTypeCount,
    LowBaseNote,
    ReportChange,
    ReportChanges,
    ReportChapter,
    ReportCoverage,
    ReportQuestion,
    TypeFigures,
)
from app.models.documents import Document, Section, Table
from app.models.scores import AggregateRow, Aggregates, PooledInstrument, PooledQuestion
from app.rules.question_figures import NATIONAL_STANDARDS, NATIONAL_STANDARDS_TITLE
from app.rules.statistics import HOLM, holm_adjusted, mean
from app.rules.thresholds import LOW_BASE
from app.services.aggregates.queries import AggregateFilters, GroupBy, matching_inspections
from app.services.aggregates.service import Period, aggregate
from app.services.documents.charts import Bar, Row, bar_chart
from app.services.documents.wording import (
    AUTHOR,
    PARTNER,
    cases,
    format_date,
    format_percent,
    instrument_label,
    quoted,
)
from app.services.frameworks import service as frameworks

ALPHA = 0.05
METHOD = (
    f"Two-proportion z-test per question, two-sided; p-values adjusted for multiple "
    f"comparisons by {HOLM}'s step-down method over every question tested in both periods "
    f"(family-wise error rate {ALPHA:.2f}); a change is significant when its adjusted "
    f"p-value is below {ALPHA:.2f}."
)
LOW_BASE_MARK = " *"
UNKNOWN_TYPE = "unknown"
NO_ESTABLISHMENT = "No establishment (community inspections)"
TYPE_LABELS = {
    "local": "Local prisons",
    "training": "Training prisons",
    "open": "Open prisons",
    "yoi": "Young offender institutions",
    "women": "Women's prisons",
    UNKNOWN_TYPE: "Type not recorded",
}


def _questions(row: AggregateRow) -> list[tuple[PooledInstrument, PooledQuestion]]:
    return [(instrument, q) for instrument in row.instruments for q in instrument.questions]


def _key(instrument: str, code: str) -> str:
    return f"{instrument}.{code}"


def _fieldwork(
    session: Session, versions: list[Framework], filters: AggregateFilters
) -> tuple[date | None, date | None]:
    matching = matching_inspections(
        [item.id for item in versions], filters, (), filters.start_from, filters.start_to
    )
    first, last = session.exec(select(func.min(matching.c.fs), func.max(matching.c.fs))).one()
    return first, last


def _coverage(
    session: Session,
    versions: list[Framework],
    filters: AggregateFilters,
    pooled: AggregateRow,
    by_establishment: Aggregates,
) -> ReportCoverage:
    codes = [
        None if row.group.get("establishment") is None else str(row.group["establishment"])
        for row in by_establishment.rows
    ]
    types = {
        item.code: (str(item.type) if item.type else None)
        for item in session.exec(
            select(Establishment).where(col(Establishment.code).in_([c for c in codes if c]))
        ).all()
    }
    first, last = _fieldwork(session, versions, filters)
    return ReportCoverage(
        inspections=pooled.inspections,
        cases=pooled.cases,
        fieldwork_from=first,
        fieldwork_to=last,
        establishments=[
            CoveredEstablishment(
                code=code,
                name=row.label or code or NO_ESTABLISHMENT,
                establishment_type=types.get(code) if code else None,
                inspections=row.inspections,
                cases=row.cases,
            )
            for code, row in zip(codes, by_establishment.rows, strict=True)
            if row.cases or row.inspections
        ],
    )


def _type_code(row: AggregateRow) -> str:
    value = row.group.get("establishment_type")
    return UNKNOWN_TYPE if value is None else str(value)


def _chapters(latest: Framework, pooled: AggregateRow, by_type: Aggregates) -> list[ReportChapter]:
    typed = {
        _type_code(row): {_key(i.code, q.code): q for i, q in _questions(row)}
        for row in by_type.rows
    }
    document = frameworks.index_of(latest).document
    titles = {theme.code: theme.title for theme in document.themes}
    grouped: dict[str, list[ReportQuestion]] = {}
    for instrument, question in _questions(pooled):
        theme = question.theme or (
            NATIONAL_STANDARDS if instrument.code == NATIONAL_STANDARDS else None
        )
        if theme is None:
            continue
        key = _key(instrument.code, question.code)
        grouped.setdefault(theme, []).append(
            ReportQuestion(
                code=question.code,
                instrument=instrument.code,
                text=question.text,
                key=question.key,
                yes=question.yes,
                relevant=question.relevant,
                percent=question.percent,
                ci95=question.ci95,
                ci95_clustered=question.ci95_clustered,
                low_base=question.low_base,
                compare=question.compare,
                by_establishment_type=[
                    TypeFigures(
                        establishment_type=code,
                        yes=figures[key].yes,
                        relevant=figures[key].relevant,
                        percent=figures[key].percent,
                        low_base=figures[key].low_base,
                    )
                    for code, figures in typed.items()
                    if key in figures
                ],
            )
        )
    order = [theme.code for theme in document.themes] + [NATIONAL_STANDARDS]
    order += [theme for theme in grouped if theme not in order]
    titles[NATIONAL_STANDARDS] = NATIONAL_STANDARDS_TITLE
    return [
        ReportChapter(
            theme=theme,
            title=titles.get(theme, theme),
            mean=mean(q.percent for q in grouped[theme]),
            questions=grouped[theme],
        )
        for theme in order
        if grouped.get(theme)
    ]


def _changes(table: Aggregates, pooled: AggregateRow) -> ReportChanges | None:
    if table.compare is None:
        return None
    questions = [(i, q) for i, q in _questions(pooled) if q.compare is not None]
    p_values = [q.compare.p_value if q.compare else None for _, q in questions]
    adjusted = holm_adjusted(p_values)
    changes = []
    for (instrument, question), p_adjusted in zip(questions, adjusted, strict=True):
        compared = question.compare
        if compared is None or p_adjusted is None or p_adjusted >= ALPHA:
            continue
        changes.append(
            ReportChange(
                code=question.code,
                instrument=instrument.code,
                theme=question.theme,
                text=question.text,
                percent=question.percent,
                compare_percent=compared.percent,
                difference=compared.difference,
                p_value=compared.p_value,
                adjusted_p_value=p_adjusted,
                significant=True,
            )
        )
    changes.sort(key=lambda change: -abs(change.difference or 0.0))
    other = pooled.compare
    return ReportChanges(
        compare=table.compare,
        inspections=other.inspections if other else 0,
        cases=other.cases if other else 0,
        method=METHOD,
        alpha=ALPHA,
        tested=sum(p is not None for p in p_values),
        changes=changes,
    )


def _low_base(chapters: list[ReportChapter]) -> list[LowBaseNote]:
    notes = []
    for chapter in chapters:
        for question in chapter.questions:
            if question.relevant and question.low_base:
                notes.append(
                    LowBaseNote(
                        code=question.code,
                        instrument=question.instrument,
                        text=question.text,
                        relevant=question.relevant,
                    )
                )
            for figures in question.by_establishment_type:
                if figures.relevant and figures.low_base:
                    notes.append(
                        LowBaseNote(
                            code=question.code,
                            instrument=question.instrument,
                            text=question.text,
                            relevant=figures.relevant,
                            establishment_type=figures.establishment_type,
                        )
                    )
    return notes


def aggregate_report(
    session: Session,
    versions: list[Framework],
    filters: AggregateFilters,
    compare: Period | None = None,
) -> AggregateReport:
    """The draft aggregate report over the matching inspections (the latest version first)."""
    table = aggregate(session, versions, filters, None, compare)
    [pooled] = table.rows
    by_establishment = aggregate(session, versions, filters, (GroupBy.establishment,))
    by_type = aggregate(session, versions, filters, (GroupBy.establishment_type,))
    chapters = _chapters(versions[0], pooled, by_type)
    latest = frameworks.index_of(versions[0]).document
    return AggregateReport(
        title=f"Draft aggregate report: {latest.title}",
        framework=table.framework,
        versions=table.versions,
        filters=table.filters,
        compare=table.compare,
        coverage=_coverage(session, versions, filters, pooled, by_establishment),
        establishment_types=[
            EstablishmentTypeCount(
                establishment_type=_type_code(row),
                label=TYPE_LABELS.get(_type_code(row), row.label or _type_code(row)),
                inspections=row.inspections,
                cases=row.cases,
            )
            for row in by_type.rows
        ],
        chapters=chapters,
        significant_changes=_changes(table, pooled),
        low_base=_low_base(chapters),
        notes=table.notes,
    )


# ---------------------------------------------------------------------------------------
# The printed report.


def _percent(value: float | None, low: bool) -> str:
    return format_percent(value) + (LOW_BASE_MARK if low else "")


def _interval(values: list[float] | None) -> str:
    return "" if values is None else f"{values[0]:.1f}\u2013{values[1]:.1f}"


def _names(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _coverage_section(report: AggregateReport) -> Section:
    coverage = report.coverage
    names = [item.name for item in coverage.establishments]
    each = {item.cases for item in coverage.establishments}
    spread = f", {next(iter(each))} at each establishment" if len(each) == 1 and names else ""
    period = ""
    if coverage.fieldwork_from is not None:
        period = (
            f" with fieldwork starting between {format_date(coverage.fieldwork_from)} and "
            f"{format_date(coverage.fieldwork_to)}"
        )
    paragraphs = [
        f"This report covers {cases(coverage.inspections, 'inspection')}{period}"
        + (f": {_names(names)}." if names else "."),
        f"During the course of these inspections we assessed {cases(coverage.cases)}{spread}.",
    ]
    return Section(
        heading="Inspections and cases covered",
        paragraphs=paragraphs,
        table=Table(
            headings=["Establishment", "Type", "Inspections", "Cases"],
            rows=[
                [
                    item.name,
                    TYPE_LABELS.get(item.establishment_type or UNKNOWN_TYPE, ""),
                    str(item.inspections),
                    str(item.cases),
                ]
                for item in coverage.establishments
            ],
            widths=[40, 30, 15, 15],
        ),
    )


def _chapter_sections(report: AggregateReport, chapter: ReportChapter) -> list[Section]:
    compared = report.compare is not None
    legend = {"trust": "This period" if compared else "All cases"}
    if compared:
        legend["sample"] = "Comparison period"
    rows = []
    for number, q in enumerate(chapter.questions, 1):
        bars = [Bar("trust", q.yes, q.relevant)]
        if compared:
            other = q.compare
            bars.append(Bar("sample", other.yes if other else 0, other.relevant if other else 0))
        rows.append(Row(f"{number}. {q.text}", tuple(bars)))
    pooled = Section(
        heading=chapter.title,
        paragraphs=[
            f"Across the {cases(len(chapter.questions), 'question')} of this chapter, pooled "
            f"over {cases(report.coverage.cases)}, the mean was {format_percent(chapter.mean)}.",
            *strongest_and_weakest(chapter),
        ],
        chart=bar_chart(f"{chapter.title}: percent yes, with 95% intervals", rows, legend),
        table=Table(
            headings=["No.", "Question", "Source", "Yes", "Relevant", "%", "95% interval"],
            rows=[
                [
                    str(number),
                    q.text,
                    instrument_label(q.instrument),
                    str(q.yes),
                    str(q.relevant),
                    _percent(q.percent, q.low_base),
                    _interval(q.ci95),
                ]
                for number, q in enumerate(chapter.questions, 1)
            ],
            widths=[5, 41, 13, 8, 10, 10, 13],
        ),
    )
    types = report.establishment_types
    sections = [pooled]
    if types:
        by_type = Section(
            heading=f"{chapter.title}: by establishment type",
            table=Table(
                headings=["No.", "Question", *(f"{t.label} (%)" for t in types)],
                rows=[
                    [
                        str(number),
                        q.text,
                        *(
                            _percent(f.percent, f.low_base)
                            if (f := _of_type(q, t.establishment_type))
                            else format_percent(None)
                            for t in types
                        ),
                    ]
                    for number, q in enumerate(chapter.questions, 1)
                ],
                widths=[5, 35, *([max(1, 60 // len(types))] * len(types))],
            ),
        )
        sections.append(by_type)
    if any(
        q.low_base or any(f.low_base and f.relevant for f in q.by_establishment_type)
        for q in chapter.questions
    ):
        sections[-1].notes.append(
            f"* Low base: fewer than {LOW_BASE} relevant cases, so the percentage should be "
            "read with caution."
        )
    return sections


def strongest_and_weakest(chapter: ReportChapter) -> list[str]:
    """The chapter's strongest and weakest figures, as the report's key findings quote them
    (figures on a low base are left out)."""
    scored = [q for q in chapter.questions if q.percent is not None and not q.low_base]
    if len(scored) < 2:
        return []
    best = max(scored, key=lambda q: q.percent or 0.0)
    worst = min(scored, key=lambda q: q.percent or 0.0)
    if best.percent == worst.percent:
        return []
    return [
        f"The strongest figure: {quoted(best.text)} {format_percent(best.percent)} of "
        f"{cases(best.relevant, 'relevant case')}. The weakest: {quoted(worst.text)} "
        f"{format_percent(worst.percent)} of {cases(worst.relevant, 'relevant case')}."
    ]


def _of_type(question: ReportQuestion, code: str) -> TypeFigures | None:
    return next((f for f in question.by_establishment_type if f.establishment_type == code), None)


def _changes_section(changes: ReportChanges) -> Section:
    period = changes.compare
    first, last = format_date(period.start_from), format_date(period.start_to)
    if first and last:
        span = f"fieldwork starting between {first} and {last}"
    elif first:
        span = f"fieldwork starting on or after {first}"
    else:
        span = f"fieldwork starting on or before {last}"
    words = (
        f"The comparison period is the {cases(changes.inspections, 'inspection')} with "
        f"{span} ({cases(changes.cases)}). {changes.method} "
        f"{cases(changes.tested, 'question')} could be compared; "
    )
    words += (
        f"{cases(len(changes.changes), 'change')} {'is' if len(changes.changes) == 1 else 'are'} "
        "significant."
        if changes.changes
        else "no change is significant."
    )
    section = Section(
        heading="Significant changes against the comparison period", paragraphs=[words]
    )
    if changes.changes:
        section.table = Table(
            headings=["Question", "Now %", "Then %", "Change (points)", "p", "Holm p"],
            rows=[
                [
                    c.text,
                    format_percent(c.percent),
                    format_percent(c.compare_percent),
                    "" if c.difference is None else f"{c.difference:+.1f}",
                    "" if c.p_value is None else f"{c.p_value:.4g}",
                    "" if c.adjusted_p_value is None else f"{c.adjusted_p_value:.4g}",
                ]
                for c in changes.changes
            ],
            widths=[40, 11, 11, 14, 12, 12],
        )
    return section


def _low_base_section(report: AggregateReport) -> Section:
    types = {t.establishment_type: t.label for t in report.establishment_types}
    items = [
        f"{note.text} ({instrument_label(note.instrument)}"
        + (
            f", {types.get(note.establishment_type, note.establishment_type)}"
            if note.establishment_type
            else ""
        )
        + f"): {cases(note.relevant, 'relevant case')}."
        for note in report.low_base
    ]
    return Section(
        heading="Low-base notes",
        paragraphs=[
            f"These figures rest on fewer than {LOW_BASE} relevant cases and should be read "
            "with caution."
            if items
            else f"No figure in this report rests on fewer than {LOW_BASE} relevant cases."
        ],
        items=items,
    )


def report_document(report: AggregateReport, created: datetime | None = None) -> Document:
    """The report worded for print: one typed document for the HTML page and the PDF."""
    sections = [_coverage_section(report)]
    for chapter in report.chapters:
        sections += _chapter_sections(report, chapter)
    if report.significant_changes is not None:
        sections.append(_changes_section(report.significant_changes))
    sections.append(_low_base_section(report))
    sections.append(
        Section(
            heading="About the figures",
            paragraphs=[
                "Percentages are the share answering yes among the relevant cases (yes or no), "
                "pooled over every case covered, to one decimal; intervals are 95% Wilson "
                "score intervals.",
                *report.notes,
            ],
        )
    )
    filters = report.filters
    facts = [
        ("Framework", f"{report.framework.code} (version {', '.join(map(str, report.versions))})"),
        ("Inspections", str(report.coverage.inspections)),
        ("Cases", str(report.coverage.cases)),
    ]
    if filters.programme:
        facts.append(("Programme", filters.programme))
    return Document(
        kind="aggregate_report",
        title=report.title,
        author=AUTHOR,
        partner=PARTNER,
        subject="",
        marker="DRAFT",
        marker_line="DRAFT \u2013 for discussion; not for publication",
        facts=facts,
        sections=sections,
        footer=report.title,
        created=created or datetime(2000, 1, 1, tzinfo=UTC),
    )
