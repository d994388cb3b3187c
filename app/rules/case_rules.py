"""Validates one case (attributes and answers) against the inspection's framework.

The same rules serve the cases endpoint, bulk imports and sampling, so a fault is
named the same way whichever door the data came in by. Faults are neutral
`Fault(field, code, message)`; callers locate them as JSON paths or CSV cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.models.case import CASE_ATTRIBUTES, CASE_DATE_FIELDS, OsGrade, Rosh, SentenceType, Sex
from app.models.framework import AnswerKind, AppliesIf, Question, Subject
from app.rules.areas import AreaBook
from app.rules.framework_index import FrameworkIndex
from app.rules.scope import scope_reasons

CASE_REF = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# One letter, four digits, two letters: the shape of a prison number, which we never hold.
PRISON_NUMBER = re.compile(r"^[A-Za-z][0-9]{4}[A-Za-z]{2}$")
YES_NO_NA = ("yes", "no", "na")
REQUIRED = (
    "case_ref",
    "home_trust",
    "sex",
    "age_at_sentence",
    "sentence_type",
    "rosh",
    "sentence_date",
)
# Attributes every case has: cleared (null, or an empty cell), they take their default
# (not MAPPA-managed, not a PPO) rather than reaching the database as a NULL it refuses.
CLEARED_DEFAULTS: dict[str, Any] = {"mappa_level": 0, "ppo": False}
TRUE_WORDS, FALSE_WORDS = {"true", "yes", "1", "y"}, {"false", "no", "0", "n"}


@dataclass(frozen=True)
class Fault:
    field: str
    code: str
    message: str
    is_answer: bool = False


@dataclass
class CheckedCase:
    attributes: dict[str, Any]
    answers: dict[str, tuple[str, bool | None]]  # question -> (value, sufficient)
    faults: list[Fault] = field(default_factory=list)

    @property
    def in_scope(self) -> bool:
        return bool(scope_of(self.attributes))


def scope_of(attributes: Mapping[str, Any]) -> list[str]:
    return scope_reasons(
        age_at_sentence=attributes.get("age_at_sentence"),
        sentence_type=str(attributes.get("sentence_type") or ""),
        sentence_months=attributes.get("sentence_months"),
        rosh=attributes.get("rosh"),
        ppo=attributes.get("ppo"),
    )


# ---- attributes -------------------------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value.strip()


def _enum(choices: type) -> Callable[[Any], str]:
    allowed = [item.value for item in choices]  # type: ignore[attr-defined]

    def parse(value: Any) -> str:
        text = _text(value).lower()
        if text not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return text

    return parse


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("must be a whole number")
        if isinstance(value, str):
            value = value.strip()
            if not re.fullmatch(r"-?\d+", value):
                raise ValueError("must be a whole number")
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("must be a whole number")
        try:
            number = int(value)
        except (TypeError, ValueError) as exc:
            raise ValueError("must be a whole number") from exc
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number

    return parse


def _months(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("must be a number of months")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError) as exc:
        raise ValueError("must be a number of months") from exc
    if not 0 < number <= 1200:
        raise ValueError("must be more than 0 and at most 1200 months")
    return round(number, 2)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError("must be true or false")


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    text = _text(value)
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("must be a real date as YYYY-MM-DD") from exc


def _case_ref(value: Any) -> str:
    text = _text(value)
    if not CASE_REF.match(text):
        raise ValueError("1 to 32 letters, digits, '-' or '_'")
    return text


PARSERS: dict[str, Callable[[Any], Any]] = {
    "case_ref": _case_ref,
    "home_trust": _text,
    "sex": _enum(Sex),
    "age_at_sentence": _integer(10, 120),
    "sentence_type": _enum(SentenceType),
    "sentence_months": _months,
    "rosh": _enum(Rosh),
    "mappa_level": _integer(0, 3),
    "ppo": _boolean,
    "os_grade": _enum(OsGrade),
    **dict.fromkeys(CASE_DATE_FIELDS, _date),
}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_attributes(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[Fault]]:
    """Typed values for the attributes present in raw (blank means absent)."""
    values: dict[str, Any] = {}
    faults: list[Fault] = []
    for name in CASE_ATTRIBUTES:
        if name not in raw:
            continue
        if _blank(raw[name]):
            values[name] = None
            continue
        try:
            values[name] = PARSERS[name](raw[name])
        except ValueError as exc:
            code = "invalid_date" if name in CASE_DATE_FIELDS else "invalid"
            faults.append(Fault(name, code, f"{name} {exc}"))
    return values, faults


def attribute_faults(
    attributes: Mapping[str, Any], trusts: AbstractSet[str] | AreaBook
) -> list[Fault]:
    """Rules across attributes, checked on the complete (merged) case."""
    faults = [
        Fault(name, "required", f"{name} is required")
        for name in REQUIRED
        if attributes.get(name) is None
    ]
    ref = attributes.get("case_ref")
    if isinstance(ref, str) and PRISON_NUMBER.match(ref):
        faults.append(
            Fault(
                "case_ref",
                "looks_like_prison_number",
                "case_ref must be pseudonymous; it looks like a prison number",
            )
        )
    trust = attributes.get("home_trust")
    if trust is not None and trust not in trusts:
        faults.append(Fault("home_trust", "unknown_trust", f"unknown trust {trust!r}"))
    elif isinstance(trust, str) and isinstance(trusts, AreaBook):
        problem = trusts.era_problem(trust)
        if problem is not None:
            faults.append(Fault("home_trust", "wrong_era", problem))
    if (
        attributes.get("sentence_type") == "determinate"
        and attributes.get("sentence_months") is None
    ):
        faults.append(
            Fault(
                "sentence_months",
                "required",
                "sentence_months is required for a determinate sentence",
            )
        )
    # Reception may precede sentence (remand); release cannot.
    sentenced, released = attributes.get("sentence_date"), attributes.get("release_date")
    if sentenced is not None and released is not None and released < sentenced:
        faults.append(
            Fault("release_date", "before_sentence", "release_date is before sentence_date")
        )
    return faults


# ---- answers ------------------------------------------------------------------------------


def condition_holds(
    condition: AppliesIf, facts: Mapping[str, Any], answers: Mapping[str, str]
) -> bool:
    actual = (
        answers.get(condition.question) if condition.question else facts.get(condition.field or "")
    )
    if actual is None:
        return False
    if condition.in_ is not None:
        return actual in condition.in_
    return bool(actual == condition.equals)


def allowed_values(question: Question) -> tuple[str, ...]:
    if question.answer is AnswerKind.choice:
        return tuple(choice.value for choice in question.choices or [])
    return YES_NO_NA


def outcome_of(question: Question, value: str) -> bool | None:
    """True counts yes, False no, None not applicable."""
    if question.answer is AnswerKind.choice:
        return next(c.sufficient for c in question.choices or [] if c.value == value)
    return {"yes": True, "no": False}.get(value)


def answer_table(index: FrameworkIndex, question: Question) -> dict[str, tuple[str, bool | None]]:
    """The question's allowed values by lower case, each with its outcome; built once per
    framework, as an import checks the same questions on every row."""
    table = index.answer_tables.get(question.code)
    if table is None:
        table = {
            value.lower(): (value, outcome_of(question, value))
            for value in allowed_values(question)
        }
        index.answer_tables[question.code] = table
    return table


def check_answers(
    raw: Mapping[str, Any],
    index: FrameworkIndex,
    subject: Subject,
    facts: Mapping[str, Any],
) -> tuple[dict[str, tuple[str, bool | None]], list[Fault]]:
    """Known questions, allowed values, and no yes/no where applies_if does not hold."""
    values: dict[str, str] = {}
    outcomes: dict[str, bool | None] = {}
    faults: list[Fault] = []
    for code, value in raw.items():
        question = index.questions.get(code)
        if question is None or index.instrument_of[code].subject is not subject:
            faults.append(
                Fault(
                    code,
                    "unknown_question",
                    f"{code!r} is not a {subject.value} question of this framework",
                    True,
                )
            )
            continue
        if _blank(value):
            continue
        table = answer_table(index, question)
        match = table.get(value.strip().lower()) if isinstance(value, str) else None
        if match is None:
            allowed = ", ".join(canonical for canonical, _ in table.values())
            faults.append(Fault(code, "invalid_answer", f"{code} must be one of {allowed}", True))
            continue
        values[code], outcomes[code] = match
    answers: dict[str, tuple[str, bool | None]] = {}
    for code, value in values.items():
        sufficient = outcomes[code]
        condition = index.questions[code].applies_if
        if sufficient is not None and condition and not condition_holds(condition, facts, values):
            faults.append(
                Fault(
                    code,
                    "not_applicable",
                    f"{code} does not apply to this case ({_describe(condition)}); answer na or leave it empty",
                    True,
                )
            )
            continue
        answers[code] = (value, sufficient)
    return answers, faults


def _describe(condition: AppliesIf) -> str:
    subject = condition.field or condition.question
    if condition.in_ is not None:
        return f"only when {subject} is one of {', '.join(map(str, condition.in_))}"
    return f"only when {subject} is {condition.equals}"


def check_case(
    raw: Mapping[str, Any],
    index: FrameworkIndex,
    trusts: AbstractSet[str] | AreaBook,
    existing: Mapping[str, Any] | None = None,
    existing_answers: Mapping[str, str] | None = None,
) -> CheckedCase:
    """Everything wrong with a case at once. `existing` makes raw a partial update."""
    parsed, faults = parse_attributes(raw)
    attributes = {**(existing or {}), **parsed}
    for name, default in CLEARED_DEFAULTS.items():
        if name in attributes and attributes[name] is None:
            attributes[name] = default
    faults += [
        f for f in attribute_faults(attributes, trusts) if f.field not in {x.field for x in faults}
    ]
    facts = {**attributes, "in_scope": bool(scope_of(attributes))}
    raw_answers = raw.get("answers")
    if raw_answers is not None and not isinstance(raw_answers, Mapping):
        faults.append(
            Fault("answers", "invalid", "answers must be an object of question code to value")
        )
        raw_answers = {}
    merged_answers = {**(existing_answers or {}), **(raw_answers or {})}
    answers, answer_faults = check_answers(merged_answers, index, Subject.case, facts)
    return CheckedCase(attributes, answers, faults + answer_faults)
