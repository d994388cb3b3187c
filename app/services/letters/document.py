"""A findings letter written out as a letter (SPEC 19), from its frozen content.

Per theme a paragraph written from the figures and a chart of the trust beside the whole
sample; strengths and areas for improvement as sentences that quote their questions; each
figure's source named; choice questions as their distribution. When the trust's cases are
the whole sample (one probation area in the inspection), the letter says so and shows one
set of figures, never the trust beside itself.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time

from app.models.documents import (
    Chart,
    Document,
    LetterFigures,
    LetterQuestion,
    LetterRecord,
    NamedArea,
    Section,
    Table,
)
from app.rules.thresholds import LOW_BASE, is_low_base
from app.services.documents.charts import Bar, Row, bar_chart
from app.services.documents.wording import (
    AUTHOR,
    PARTNER,
    STATUS_MARKERS,
    cases,
    fieldwork_period,
    format_date,
    format_percent,
    instrument_label,
    judgement_label,
    parse_date,
    quoted,
)

LOW_BASE_MARK = " *"


def area_title(area: NamedArea) -> tuple[str, str]:
    """The letter's name for its area and whom it is addressed to, by the area's era (SPEC 12)."""
    if area.kind == "noms_area":
        return f"{area.name} Probation Area", "Chief Officer"
    if area.kind == "region":
        return f"Probation Service, {area.name} region", "Regional Probation Director"
    name = area.name
    title = name if name.lower().endswith("probation trust") else f"{name} Probation Trust"
    return title, "Chief Executive"


def covers_whole_sample(record: LetterRecord) -> bool:
    """True when the trust's cases are the inspection's whole sample: one area in it."""
    if record.sample_areas is not None:
        return record.sample_areas <= 1
    return record.sample_case_count is not None and record.case_count >= record.sample_case_count


def _count(figures: LetterFigures) -> str:
    return f"{figures.yes}/{figures.relevant}"


def _percent(figures: LetterFigures) -> str:
    shown = format_percent(figures.percent)
    low = figures.percent is not None and is_low_base(figures.relevant)
    return shown + (LOW_BASE_MARK if low else "")


def _source(question: LetterQuestion) -> str:
    return instrument_label(question.instrument)


def _distribution(question: LetterQuestion, side: str) -> str:
    shares = question.distribution
    counts = (shares.trust if side == "trust" else shares.sample) if shares else {}
    total = sum(counts.values())
    parts = []
    for choice in question.choices or []:
        count = counts.get(choice.value, 0)
        share = f" ({100 * count / total:.1f}%)" if total else ""
        parts.append(f"{choice.label} {count}{share}")
    return ", ".join(parts) if parts else "no answers"


def _distribution_sentence(question: LetterQuestion, whole: bool) -> str:
    own = _distribution(question, "trust")
    said = f"Asked {quoted(question.text)} ({_source(question)}), the answers were: {own}"
    if whole:
        return said + "."
    return f"{said}; across the whole sample: {_distribution(question, 'sample')}."


def _yes_in(figures: LetterFigures, whole: bool) -> str:
    whose = "" if whole else "the trust's "
    return (
        f"{figures.yes} of {whose}{cases(figures.relevant, 'relevant case')} "
        f"({format_percent(figures.percent)})"
    )


def highlight_sentence(question: LetterQuestion, whole: bool) -> str:
    """'“Question?” (case file) was answered yes in 10 of the trust's 11 relevant cases
    (90.9%), against 85.0% across the whole sample.'"""
    answer = "sufficient" if question.choices else "yes"
    sentence = (
        f"{quoted(question.text)} ({_source(question)}) was answered {answer} in "
        f"{_yes_in(question.trust, whole)}"
    )
    if whole:
        return sentence + "."
    return f"{sentence}, against {format_percent(question.sample.percent)} across the whole sample."


def theme_paragraph(
    title: str, questions: list[LetterQuestion], trust_mean: float | None,
    sample_mean: float | None, whole: bool,
) -> str:  # fmt: skip
    count = cases(len(questions), "question")
    if trust_mean is None:
        return f"None of the trust's cases was relevant to the {count} on {title.lower()}."
    whose = "the cases" if whole else "the trust's cases"
    across = (
        f"On the one question on {title.lower()}"
        if len(questions) == 1
        else (f"Across the {count} on {title.lower()}")
    )
    opening = f"{across}, {whose} averaged {format_percent(trust_mean)}"
    opening += "." if whole else f", against {format_percent(sample_mean)} for the whole sample."
    scored = [q for q in questions if q.trust.percent is not None]
    if len(scored) < 2:
        return opening
    best = max(scored, key=lambda q: q.trust.percent or 0.0)
    worst = min(scored, key=lambda q: q.trust.percent or 0.0)
    if best.trust.percent == worst.trust.percent:
        return opening
    return (
        f"{opening} The highest figure was for {quoted(best.text)} ({_source(best)}): "
        f"{_yes_in(best.trust, whole)}. The lowest was for {quoted(worst.text)} "
        f"({_source(worst)}): {_yes_in(worst.trust, whole)}."
    )


def theme_chart(title: str, questions: list[LetterQuestion], whole: bool) -> Chart:
    legend = {"trust": "These cases"} if whole else {"trust": "Trust", "sample": "Whole sample"}
    rows = []
    for question in questions:
        bars = [Bar("trust", question.trust.yes, question.trust.relevant)]
        if not whole:
            bars.append(Bar("sample", question.sample.yes, question.sample.relevant))
        rows.append(Row(question.text, tuple(bars)))
    heading = "percent yes" if whole else "the trust beside the whole sample, percent yes"
    return bar_chart(f"{title}: {heading}, with 95% intervals", rows, legend)


def theme_table(questions: list[LetterQuestion], whole: bool) -> Table:
    if whole:
        return Table(
            headings=["Question", "Source", "Yes/relevant", "%"],
            rows=[[q.text, _source(q), _count(q.trust), _percent(q.trust)] for q in questions],
            widths=[60, 20, 11, 9],
        )
    return Table(
        headings=["Question", "Source", "Trust yes/relevant", "Trust %", "Sample yes/relevant",
                  "Sample %"],
        rows=[
            [q.text, _source(q), _count(q.trust), _percent(q.trust), _count(q.sample),
             _percent(q.sample)]
            for q in questions
        ],
        widths=[44, 16, 11, 9, 11, 9],
    )  # fmt: skip


def _sources_sentence(questions: list[LetterQuestion]) -> str:
    named = list(Counter(_source(q) for q in questions))
    if not named:
        return "No question had figures for the trust's cases."
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return (
        f"The figures come from the {listed}; each question's source is named beside it. "
        f"A percent marked * rests on fewer than {LOW_BASE} relevant cases and should be read "
        "with caution."
    )


def letter_document(record: LetterRecord) -> Document:
    """The letter's words and figures, ready for the HTML page and the PDF."""
    whole = covers_whole_sample(record)
    trust, addressee = area_title(record.trust)
    place = record.establishment.name if record.establishment else trust
    dates = record.inspection_dates
    period = fieldwork_period(dates.fieldwork_start, dates.fieldwork_end)
    count, sample = record.case_count, record.sample_case_count
    if whole:
        coverage = (
            f"All {cases(count)} in the inspection sample were supervised by {trust}, so this "
            "letter covers the whole sample."
        )
    elif sample:
        coverage = (
            f"Of the {sample} cases in the inspection sample, {count} were supervised by "
            f"{trust}. This letter sets out the findings for those {count} cases beside the "
            "figures for the whole sample."
        )
    else:
        coverage = f"{count} cases were supervised by {trust}."
    introduction = [
        "HM Inspectorate of Probation and HM Inspectorate of Prisons jointly inspected offender "
        f"management at {place}, with fieldwork {period}.",
        coverage,
        _sources_sentence(record.questions),
    ]

    by_theme: dict[str, list[LetterQuestion]] = {}
    for question in record.questions:
        by_theme.setdefault(question.theme or "other", []).append(question)
    titles = {theme.code: theme.title or theme.code for theme in record.themes}
    means = {theme.code: (theme.trust.mean, theme.sample.mean) for theme in record.themes}
    summary = Section(
        heading="Summary by theme",
        table=Table(
            headings=["Theme", "Mean"] if whole else ["Theme", "Trust mean", "Sample mean"],
            rows=[
                [titles[t.code], format_percent(t.trust.mean)]
                + ([] if whole else [format_percent(t.sample.mean)])
                for t in record.themes
            ],
            widths=[70, 30] if whole else [60, 20, 20],
        ),
    )
    sections = [summary]
    for code, questions in by_theme.items():
        title = titles.get(code) or (
            "Other questions" if code == "other" else code.replace("-", " ").capitalize()
        )
        trust_mean, sample_mean = means.get(code, (None, None))
        paragraphs = [theme_paragraph(title, questions, trust_mean, sample_mean, whole)]
        paragraphs += [_distribution_sentence(q, whole) for q in questions if q.choices]
        sections.append(
            Section(
                heading=title,
                paragraphs=paragraphs,
                chart=theme_chart(title, questions, whole),
                table=theme_table(questions, whole),
            )
        )
    by_code = {question.code: question for question in record.questions}
    for heading, codes, lead in (
        ("Strengths", record.strengths, "at least 80%"),
        ("Areas for improvement", record.improvements, "fewer than 50%"),
    ):
        chosen = [by_code[code] for code in codes if code in by_code]
        if chosen:
            sections.append(
                Section(
                    heading=heading,
                    paragraphs=[
                        f"These questions were answered yes in {lead} of {LOW_BASE} or more "
                        "relevant cases:"
                    ],
                    items=[highlight_sentence(q, whole) for q in chosen],
                )
            )
    if record.recommendations:
        sections.append(
            Section(heading="Recommendations", items=list(record.recommendations), numbered=True)
        )
    if record.judgements:
        sections.append(
            Section(
                heading="Judgements against the criteria",
                table=Table(
                    headings=["Criterion", "Judgement", "Narrative"],
                    rows=[
                        [j.criterion, judgement_label(j.judgement), j.narrative or ""]
                        for j in record.judgements
                    ],
                    widths=[14, 18, 68],
                ),
            )
        )

    marker = STATUS_MARKERS.get(record.status)
    day = record.letter_date or parse_date(record.published_at) or parse_date(record.updated_at)
    signatory = [line for line in (record.signatory.name, record.signatory.title) if line]
    title = f"Findings letter: {trust}"
    return Document(
        kind="letter",
        title=title,
        author=AUTHOR,
        partner=PARTNER,
        subject=f"Joint inspection of offender management: {place}, fieldwork {period}",
        marker=marker,
        marker_line=f"{marker} \u2013 version {record.version} \u2013 not for publication"
        if marker
        else None,
        date=format_date(day),
        addressee=[f"The {addressee}", trust],
        salutation=f"Dear {addressee},",
        introduction=introduction,
        sections=sections,
        closing="Yours sincerely,",
        signatory=signatory,
        footer=f"{title}, version {record.version}",
        created=datetime.combine(day, time(9), tzinfo=UTC) if day else None,
    )
