"""Generated cases for the benchmarks: valid rows, every case_file question answered.

Generation speed matters at 100,000 cases (5.8 million answers), so the questions are
planned once per framework and each case draws all its yes/no/na values in one call.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from app.models.case import CASE_ATTRIBUTES
from app.models.framework import AnswerKind, AppliesIf, Subject
from app.rules.case_rules import condition_holds, outcome_of, scope_of
from app.rules.framework_index import FrameworkIndex

TRUSTS = (
    "durham-tees-valley",
    "northumbria",
    "cumbria",
    "lancashire",
    "west-yorkshire",
    "humberside",
)
YES_NO_NA = ("yes", "no", "na")
# Six yes to three no to one na.
YES_NO_NA_WEIGHTS = (6, 9, 10)
FIRST_DAY = date(2008, 1, 1)


@dataclass(frozen=True)
class QuestionPlan:
    code: str
    choices: tuple[str, ...] | None  # a choice question's values; None for yes/no/na
    applies_if: AppliesIf | None
    outcomes: dict[str, bool | None]  # value -> sufficient


@dataclass(frozen=True)
class GeneratedCase:
    attributes: dict[str, Any]
    in_scope: bool
    values: list[str]  # one per planned question, in plan order
    outcomes: list[bool | None]


def case_file_plan(index: FrameworkIndex) -> list[QuestionPlan]:
    instrument = next(
        item for item in index.instruments_for(Subject.case) if item.code == "case_file"
    )
    plan = []
    for question in instrument.questions:
        choice = question.answer is AnswerKind.choice
        values = tuple(c.value for c in question.choices or []) if choice else YES_NO_NA
        plan.append(
            QuestionPlan(
                code=question.code,
                choices=values if choice else None,
                applies_if=question.applies_if,
                outcomes={value: outcome_of(question, value) for value in values},
            )
        )
    return plan


def case_attributes(number: int, rng: random.Random) -> dict[str, Any]:
    sentence_type = rng.choices(("determinate", "ipp", "life"), (8, 1, 1))[0]
    sentenced = FIRST_DAY + timedelta(days=rng.randrange(1200))
    received = sentenced + timedelta(days=rng.randrange(0, 20))

    def after(low: int, high: int) -> date:
        return sentenced + timedelta(days=low + int(rng.random() * (high - low)))

    return {
        "case_ref": f"B{number:07d}",
        "home_trust": rng.choice(TRUSTS),
        "sex": rng.choice(("male", "female")),
        "age_at_sentence": rng.randrange(18, 70),
        "sentence_type": sentence_type,
        "sentence_months": rng.randrange(6, 240) if sentence_type == "determinate" else None,
        "rosh": rng.choice(("low", "medium", "high", "very_high")),
        "mappa_level": rng.randrange(0, 4),
        "ppo": rng.random() < 0.15,
        "os_grade": rng.choice(
            ("prison_officer", "probation_officer", "probation_services_officer")
        ),
        "sentence_date": sentenced,
        "reception_date": received,
        "release_date": after(400, 3000),
        "os_allocated_date": received + timedelta(days=int(rng.random() * 6)),
        "first_contact_date": after(0, 20),
        "om_allocated_date": after(10, 150),
        "sentence_plan_date": after(20, 150),
        "last_roh_review_date": after(100, 400),
    }


def generate_case(number: int, plan: list[QuestionPlan], rng: random.Random) -> GeneratedCase:
    """One valid case: yes/no only where the question applies, na where it does not."""
    attributes = case_attributes(number, rng)
    in_scope = bool(scope_of(attributes))
    facts = {**attributes, "in_scope": in_scope}
    draws = rng.choices(YES_NO_NA, cum_weights=YES_NO_NA_WEIGHTS, k=len(plan))
    answers: dict[str, str] = {}
    values, outcomes = [], []
    for question, drawn in zip(plan, draws, strict=True):
        if question.choices is not None:
            value = rng.choice(question.choices)
        elif question.applies_if and not condition_holds(question.applies_if, facts, answers):
            value = "na"
        else:
            value = drawn
        answers[question.code] = value
        values.append(value)
        outcomes.append(question.outcomes[value])
    return GeneratedCase(attributes, in_scope, values, outcomes)


def generate_cases(
    count: int, index: FrameworkIndex, seed: int = 2011, first: int = 1
) -> Iterator[GeneratedCase]:
    rng = random.Random(seed)
    plan = case_file_plan(index)
    for number in range(first, first + count):
        yield generate_case(number, plan, rng)


def write_cases_csv(path: Path, rows: int, index: FrameworkIndex, seed: int = 2011) -> list[str]:
    """Write `rows` cases to path; returns the header (attributes, then case_file questions)."""
    header = [*CASE_ATTRIBUTES, *(question.code for question in case_file_plan(index))]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        for case in generate_cases(rows, index, seed):
            writer.writerow(
                [_cell(case.attributes[name]) for name in CASE_ATTRIBUTES] + case.values
            )
    return header


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
