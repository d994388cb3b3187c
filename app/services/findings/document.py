"""The joint provisional findings written out for the prison's senior managers (SPEC 19):
the figures by theme with their sources, strengths, areas for improvement, the healthy
prison tests and the criterion judgements, as one typed document for HTML and PDF."""

from __future__ import annotations

from datetime import UTC

from app.models.documents import Document, Section, Table
from app.models.scores import FindingsQuestion, Highlight, ProvisionalFindings
from app.rules.thresholds import LOW_BASE, is_low_base
from app.services.documents.charts import Bar, Row, bar_chart
from app.services.documents.wording import (
    AUTHOR,
    PARTNER,
    cases,
    fieldwork_period,
    format_date,
    format_percent,
    instrument_label,
    judgement_label,
    quoted,
)

LOW_BASE_MARK = " *"


def _percent(question: FindingsQuestion) -> str:
    low = question.low_base or is_low_base(question.relevant)
    return format_percent(question.percent) + (LOW_BASE_MARK if low else "")


def _source(instrument: str | None) -> str:
    return instrument_label(instrument) if instrument else ""


def _highlight(item: Highlight) -> str:
    source = f" ({_source(item.instrument)})" if item.instrument else ""
    return (
        f"{quoted(item.text)}{source}: {format_percent(item.percent)} of "
        f"{cases(item.relevant, 'relevant case')}."
    )


def _kappa(value: float | None) -> str:
    return "not defined" if value is None else f"{value:.2f}"


def findings_document(findings: ProvisionalFindings) -> Document:
    inspection = findings.inspection
    subject = findings.establishment or findings.trust or {}
    name = subject.get("name", "inspection")
    period = fieldwork_period(inspection.fieldwork_start, inspection.fieldwork_end)
    facts = [("Inspected", name), ("Programme", inspection.programme), ("Fieldwork", period)]
    facts.append(("Inspection status", str(inspection.status).replace("_", " ")))
    facts += [
        ("Cases inspected", str(findings.cases)),
        ("Cases approved", f"{findings.cases_approved} of {findings.cases}"),
        ("Prepared", format_date(findings.generated_at)),
    ]
    sections = [
        Section(
            heading="Headline figures by theme",
            table=Table(
                headings=["Theme", "Mean", "Lowest key question"],
                rows=[
                    [t.title, format_percent(t.mean), format_percent(t.key_min)]
                    for t in findings.themes
                ],
                widths=[60, 20, 20],
            ),
        )
    ]
    any_low = False
    for theme in findings.themes:
        if not theme.questions:
            continue
        any_low = any_low or any(q.low_base or is_low_base(q.relevant) for q in theme.questions)
        sections.append(
            Section(
                heading=theme.title,
                paragraphs=[
                    f"Across the {cases(len(theme.questions), 'question')} on "
                    f"{theme.title.lower()}, the mean was {format_percent(theme.mean)}."
                ],
                chart=bar_chart(
                    f"{theme.title}: percent yes, with 95% intervals",
                    [Row(q.text, (Bar("trust", q.yes, q.relevant),)) for q in theme.questions],
                    {"trust": "All cases"},
                ),
                table=Table(
                    headings=["Question", "Source", "Yes", "Relevant", "%"],
                    rows=[
                        [q.text, _source(q.instrument), str(q.yes), str(q.relevant), _percent(q)]
                        for q in theme.questions
                    ],
                    widths=[52, 18, 9, 11, 10],
                ),
            )
        )
    if any_low:
        sections[-1].notes.append(
            f"* Low base: fewer than {LOW_BASE} relevant cases, so the percentage should be "
            "read with caution."
        )
    for heading, items in (
        ("Strengths", findings.strengths),
        ("Areas for improvement", findings.improvements),
    ):
        if items:
            sections.append(Section(heading=heading, items=[_highlight(i) for i in items]))
    if findings.recommendations:
        sections.append(
            Section(heading="Recommendations", items=findings.recommendations, numbered=True)
        )
    if findings.good_practice:
        sections.append(Section(heading="Good practice", items=findings.good_practice))
    if findings.healthy_prison_tests:
        sections.append(
            Section(
                heading="Healthy prison tests",
                table=Table(
                    headings=["Test", "Score", "Rationale"],
                    rows=[
                        [
                            t.title,
                            f"{t.score}: {t.label}" if t.score else (t.label or "not yet scored"),
                            t.rationale or "",
                        ]
                        for t in findings.healthy_prison_tests
                    ],
                    widths=[28, 22, 50],
                ),
            )
        )
    agreement = findings.agreement
    if agreement.second_readings:
        overall = agreement.overall
        section = Section(
            heading="Consistency of case reading",
            paragraphs=[
                f"{agreement.second_readings} case(s) were read a second time: the readings "
                f"agreed on {format_percent(overall.percent_agreement)} of {overall.pairs} "
                f"paired answers (Cohen's kappa {_kappa(overall.kappa)})."
            ],
        )
        if agreement.low_agreement:
            section.paragraphs.append("Questions read least consistently (kappa below 0.40):")
            section.items = [
                f"{q.text} \u2013 {format_percent(q.percent_agreement)} agreement on {q.pairs} "
                f"pairs, kappa {_kappa(q.kappa)}"
                for q in agreement.low_agreement
            ]
        sections.append(section)
    if findings.judgements:
        sections.append(
            Section(
                heading="Judgements against the criteria",
                table=Table(
                    headings=["Criterion", "Judgement", "Narrative"],
                    rows=[
                        [
                            f"{j.criterion} {j.text}".strip(),
                            judgement_label(j.judgement),
                            j.narrative,
                        ]
                        for j in findings.judgements
                    ],
                    widths=[40, 15, 45],
                ),
            )
        )
    title = f"Joint provisional findings: {name}"
    created = findings.generated_at
    return Document(
        kind="findings",
        title=title,
        author=AUTHOR,
        partner=PARTNER,
        subject="",
        marker_line="PROVISIONAL \u2013 these findings may change before the inspection "
        "report is published",
        facts=facts,
        sections=sections,
        footer=title,
        created=created if created.tzinfo else created.replace(tzinfo=UTC),
    )
