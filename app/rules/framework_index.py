"""A parsed framework document with lookups by code, built once per framework version."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.models.framework import Criterion, FrameworkDocument, Instrument, Question, Subject


@dataclass(frozen=True)
class FrameworkIndex:
    """A parsed framework with lookups by code."""

    document: FrameworkDocument
    questions: dict[str, Question] = field(default_factory=dict)
    instrument_of: dict[str, Instrument] = field(default_factory=dict)
    criteria: dict[str, Criterion] = field(default_factory=dict)
    # Per question: its allowed values by lower case, with the outcome each counts as;
    # filled as questions are first answered (case_rules.answer_table).
    answer_tables: dict[str, dict[str, tuple[str, bool | None]]] = field(default_factory=dict)

    @classmethod
    def build(cls, document: FrameworkDocument) -> FrameworkIndex:
        index = cls(document)
        for instrument in document.instruments:
            for question in instrument.questions:
                index.questions[question.code] = question
                index.instrument_of[question.code] = instrument
        index.criteria.update({criterion.code: criterion for criterion in document.criteria})
        return index

    def instruments_for(self, subject: Subject) -> list[Instrument]:
        return [item for item in self.document.instruments if item.subject is subject]

    def question_codes(self, subject: Subject) -> list[str]:
        return [q.code for item in self.instruments_for(subject) for q in item.questions]
