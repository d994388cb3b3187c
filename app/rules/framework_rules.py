"""Checks a framework document and reports every fault at once, each located."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import ValidationError

from app.errors import field_error
from app.models.case import CONDITION_FIELDS
from app.models.framework import FrameworkDocument

RESERVED_INSTRUMENTS = {"national_standards"}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _duplicates(items: list[Any], loc: list[str | int], what: str) -> list[dict[str, Any]]:
    codes = [_dict(item).get("code") for item in items]
    counts = Counter(code for code in codes if isinstance(code, str))
    return [
        field_error([*loc, index, "code"], "duplicate_code", f"duplicate {what} code {code!r}")
        for index, code in enumerate(codes)
        if isinstance(code, str) and counts[code] > 1
    ]


def structural_faults(raw: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        FrameworkDocument.model_validate(raw)
    except ValidationError as exc:
        return [
            field_error(list(error["loc"]), error["type"], error["msg"])
            for error in exc.errors(include_url=False)
        ]
    return []


def reference_faults(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """Duplicate codes, and references to sections, themes, criteria or questions not defined."""
    faults: list[dict[str, Any]] = []
    sections = _list(raw.get("sections"))
    themes = _list(raw.get("themes"))
    criteria = _list(raw.get("criteria"))
    instruments = _list(raw.get("instruments"))
    faults += _duplicates(sections, ["sections"], "section")
    faults += _duplicates(themes, ["themes"], "theme")
    faults += _duplicates(criteria, ["criteria"], "criterion")
    faults += _duplicates(instruments, ["instruments"], "instrument")

    section_codes = {_dict(item).get("code") for item in sections}
    theme_codes = {_dict(item).get("code") for item in themes}
    criterion_codes = {_dict(item).get("code") for item in criteria}

    for index, criterion in enumerate(criteria):
        theme = _dict(criterion).get("theme")
        if theme is not None and theme not in theme_codes:
            faults.append(
                field_error(
                    ["criteria", index, "theme"], "unknown_theme", f"unknown theme {theme!r}"
                )
            )

    question_seen: Counter[Any] = Counter(
        code
        for instrument in instruments
        for question in _list(_dict(instrument).get("questions"))
        if isinstance(code := _dict(question).get("code"), str)
    )
    for i, instrument in enumerate(instruments):
        instrument = _dict(instrument)
        if instrument.get("code") in RESERVED_INSTRUMENTS:
            faults.append(
                field_error(
                    ["instruments", i, "code"],
                    "reserved_code",
                    f"{instrument['code']!r} is computed by the service and cannot be defined",
                )
            )
        questions = _list(instrument.get("questions"))
        own_codes = {_dict(question).get("code") for question in questions}
        for q, question in enumerate(questions):
            loc: list[str | int] = ["instruments", i, "questions", q]
            faults += _question_faults(
                _dict(question),
                loc,
                subject=instrument.get("subject", "case"),
                own_codes=own_codes,
                section_codes=section_codes,
                theme_codes=theme_codes,
                criterion_codes=criterion_codes,
                duplicate=question_seen[_dict(question).get("code")] > 1,
            )
    return faults


def _question_faults(
    question: dict[str, Any],
    loc: list[str | int],
    *,
    subject: str,
    own_codes: set[Any],
    section_codes: set[Any],
    theme_codes: set[Any],
    criterion_codes: set[Any],
    duplicate: bool,
) -> list[dict[str, Any]]:
    faults = []
    code = question.get("code")
    if duplicate:
        faults.append(
            field_error([*loc, "code"], "duplicate_code", f"duplicate question code {code!r}")
        )
    section, theme = question.get("section"), question.get("theme")
    if section is not None and section not in section_codes:
        faults.append(
            field_error([*loc, "section"], "unknown_section", f"unknown section {section!r}")
        )
    if theme is not None and theme not in theme_codes:
        faults.append(field_error([*loc, "theme"], "unknown_theme", f"unknown theme {theme!r}"))
    for c, criterion in enumerate(_list(question.get("criteria"))):
        if criterion not in criterion_codes:
            faults.append(
                field_error(
                    [*loc, "criteria", c], "unknown_criterion", f"unknown criterion {criterion!r}"
                )
            )
    faults += _choice_faults(question, loc)
    if isinstance(question.get("applies_if"), dict):
        faults += _condition_faults(
            question["applies_if"], [*loc, "applies_if"], subject, own_codes, code
        )
    return faults


def _choice_faults(question: dict[str, Any], loc: list[str | int]) -> list[dict[str, Any]]:
    faults = []
    choices = question.get("choices")
    if question.get("answer") == "choice":
        if not choices:
            faults.append(
                field_error([*loc, "choices"], "required", "a choice question needs choices")
            )
        values = [_dict(choice).get("value") for choice in _list(choices)]
        counts: Counter[Any] = Counter(value for value in values if isinstance(value, str))
        for c, choice in enumerate(_list(choices)):
            if "sufficient" not in _dict(choice):
                faults.append(
                    field_error(
                        [*loc, "choices", c, "sufficient"],
                        "missing_sufficient",
                        "say whether the choice counts as sufficient (true, false or null)",
                    )
                )
            if counts.get(values[c], 0) > 1:
                faults.append(
                    field_error(
                        [*loc, "choices", c, "value"], "duplicate_value", "duplicate choice"
                    )
                )
    elif choices:
        faults.append(
            field_error([*loc, "choices"], "not_allowed", "only choice questions have choices")
        )
    return faults


def _condition_faults(
    condition: dict[str, Any], loc: list[str | int], subject: str, own_codes: set[Any], code: Any
) -> list[dict[str, Any]]:
    faults = []
    field, question = condition.get("field"), condition.get("question")
    if (field is None) == (question is None):
        faults.append(
            field_error(loc, "invalid_condition", "name exactly one of field or question")
        )
    if ("in" in condition) == ("equals" in condition):
        faults.append(field_error(loc, "invalid_condition", "give exactly one of in or equals"))
    if field is not None:
        if subject != "case":
            faults.append(
                field_error([*loc, "field"], "unknown_field", "respondents have no case fields")
            )
        elif field not in CONDITION_FIELDS:
            faults.append(field_error([*loc, "field"], "unknown_field", f"unknown field {field!r}"))
    if question is not None and (question not in own_codes or question == code):
        faults.append(
            field_error(
                [*loc, "question"],
                "unknown_question",
                f"unknown question {question!r}: name another question of this instrument",
            )
        )
    return faults


def overall_faults(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """An overall rating sums the section ratings' points: it needs the rating, and points
    for exactly the rating's band labels."""
    overall = raw.get("overall")
    if not isinstance(overall, dict):
        return []
    rating = _dict(raw.get("rating"))
    if not rating:
        return [field_error(["overall"], "needs_rating", "an overall rating needs a rating")]
    labels = {_dict(band).get("label") for band in _list(rating.get("bands"))}
    points = _dict(overall.get("points"))
    faults = [
        field_error(["overall", "points", label], "unknown_label", f"{label!r} is not a band")
        for label in points
        if label not in labels
    ]
    faults += [
        field_error(["overall", "points"], "missing_points", f"no points for {label!r}")
        for label in sorted(label for label in labels if isinstance(label, str))
        if label not in points
    ]
    return faults


def document_faults(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, dict):
        return [field_error([], "invalid_document", "a framework document is a mapping")]
    return structural_faults(raw) + reference_faults(raw) + overall_faults(raw)
