"""Turning answer counts into the published question fields, and questions into roll-ups."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.models.framework import AnswerKind, FrameworkDocument, Question
from app.models.scores import Figures, QuestionScore, Rollup, Rollups, SectionScore
from app.rules.national_standards import NS_CHECKS, NS_TITLES
from app.rules.statistics import lowest, mean, percent, rating_band, wilson_interval
from app.rules.thresholds import is_low_base

NATIONAL_STANDARDS = "national_standards"
NATIONAL_STANDARDS_TITLE = "National Standards"
# How a check's outcome is counted: a pass is a yes, a fail a no, an unknown not applicable.
NS_OUTCOME_SUFFICIENT: dict[str, bool | None] = {"pass": True, "fail": False, "unknown": None}


@dataclass
class Tally:
    """Answers to one question over a set of cases (or respondents)."""

    yes: int = 0
    no: int = 0
    na: int = 0
    values: dict[str, int] = field(default_factory=dict)

    def add(self, value: str, yes: int, no: int, total: int) -> None:
        self.yes += yes
        self.no += no
        self.na += total - yes - no
        self.values[value] = self.values.get(value, 0) + total


def figure_fields(yes: int, no: int, na: int, subjects: int) -> dict[str, Any]:
    """The counted fields of SPEC 7 for one question over `subjects` cases, by name."""
    relevant = yes + no
    return {
        "yes": yes,
        "no": no,
        "na": na,
        "unanswered": max(subjects - yes - no - na, 0),
        "relevant": relevant,
        "percent": percent(yes, relevant),
        "ci95": wilson_interval(yes, relevant),
        "low_base": is_low_base(relevant),
    }


def figures(yes: int, no: int, na: int, subjects: int) -> Figures:
    """The counted fields of SPEC 7 for one question over `subjects` cases."""
    return Figures(**figure_fields(yes, no, na, subjects))


def question_fields(question: Question, tally: Tally | None, subjects: int) -> dict[str, Any]:
    """question_row's fields by name, for a caller that builds a model of its own."""
    tally = tally or Tally()
    distribution = None
    if question.answer is AnswerKind.choice:
        distribution = {
            choice.value: tally.values.get(choice.value, 0) for choice in question.choices or []
        }
    return {
        "code": question.code,
        "text": question.text,
        "key": question.key,
        "section": question.section,
        "theme": question.theme,
        "criteria": list(question.criteria),
        "distribution": distribution,
        **figure_fields(tally.yes, tally.no, tally.na, subjects),
    }


def question_row(question: Question, tally: Tally | None, subjects: int) -> QuestionScore:
    """A framework question with its figures (and its choices' counts for a choice question)."""
    return QuestionScore(**question_fields(question, tally, subjects))


def national_standards_row(code: str, tally: Tally | None, subjects: int) -> QuestionScore:
    """A National Standards check scored like a question: pass, fail, unknown."""
    tally = tally or Tally()
    return QuestionScore(
        code=code,
        text=NS_TITLES[code],
        key=False,
        section=None,
        theme=None,
        criteria=[],
        **vars(figures(tally.yes, tally.no, tally.na, subjects)),
    )


def national_standards_rows(tallies: Mapping[str, Tally], subjects: int) -> list[QuestionScore]:
    return [national_standards_row(code, tallies.get(code), subjects) for code in NS_CHECKS]


class Scored(Protocol):
    """What roll-ups read of a question: a scored row or a pooled one."""

    @property
    def percent(self) -> float | None: ...

    @property
    def key(self) -> bool: ...

    @property
    def section(self) -> str | None: ...

    @property
    def theme(self) -> str | None: ...

    @property
    def criteria(self) -> list[str]: ...


def rollup(questions: Sequence[Scored]) -> dict[str, float | None]:
    """The unweighted mean of the questions' percents and the lowest key question's percent."""
    return {
        "mean": mean(q.percent for q in questions),
        "key_min": lowest(q.percent for q in questions if q.key),
    }


def _grouped(
    questions: Iterable[Scored], keys_of: Callable[[Scored], Iterable[str]]
) -> dict[str, list[Scored]]:
    groups: dict[str, list[Scored]] = {}
    for question in questions:
        for key in keys_of(question):
            groups.setdefault(key, []).append(question)
    return groups


def rollups(document: FrameworkDocument, questions: Sequence[Scored]) -> Rollups:
    """Sections (with their rating), themes and criteria over an instrument's questions."""
    by_section = _grouped(questions, lambda q: [q.section] if q.section else [])
    by_theme = _grouped(questions, lambda q: [q.theme] if q.theme else [])
    by_criterion = _grouped(questions, lambda q: q.criteria)
    sections = []
    for section in document.sections:
        if section.code in by_section:
            figures_ = rollup(by_section[section.code])
            rating = None
            if document.rating is not None:
                rating = rating_band(figures_[document.rating.basis], document.rating.bands)
            sections.append(
                SectionScore(code=section.code, title=section.title, **figures_, rating=rating)
            )
    themes = [
        Rollup(code=theme.code, title=theme.title, **rollup(by_theme[theme.code]))
        for theme in document.themes
        if theme.code in by_theme
    ]
    known = {criterion.code for criterion in document.criteria}
    order = [c.code for c in document.criteria] + sorted(set(by_criterion) - known)
    criteria = [
        Rollup(code=code, **rollup(by_criterion[code])) for code in order if code in by_criterion
    ]
    return Rollups(sections=sections, themes=themes, criteria=criteria)
