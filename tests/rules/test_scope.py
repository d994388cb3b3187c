"""Scope of the Offender Management Model: every boundary of SPEC 2.1, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from app.rules.case_rules import _months
from app.rules.scope import DAYS_PER_MONTH, SCOPE_REASONS, scope_reasons


def reasons(
    age: int | None = 30,
    sentence: str = "determinate",
    months: float | None = 48.0,
    rosh: str | None = "medium",
    ppo: bool | None = False,
) -> list[str]:
    return scope_reasons(
        age_at_sentence=age, sentence_type=sentence, sentence_months=months, rosh=rosh, ppo=ppo
    )


def test_the_reason_codes() -> None:
    assert SCOPE_REASONS == ("high_risk_adult", "ppo", "ipp", "young_adult")
    assert DAYS_PER_MONTH == 30.44


def test_an_ordinary_case_is_out_of_scope() -> None:
    assert reasons() == []


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # Age: 21 is an adult, 20 is not.
        ({"age": 21, "months": 12, "rosh": "high"}, ["high_risk_adult"]),
        ({"age": 20, "months": 12, "rosh": "high"}, ["young_adult"]),
        ({"age": 60, "months": 120, "rosh": "very_high"}, ["high_risk_adult"]),
        ({"age": None, "months": 48, "rosh": "high"}, []),
        # Length: 12 months or more.
        ({"age": 21, "months": 11.99, "rosh": "high"}, []),
        ({"age": 21, "months": 12.0, "rosh": "very_high"}, ["high_risk_adult"]),
        # A determinate sentence without a length is not known to be 12 months.
        ({"age": 30, "months": None, "rosh": "high"}, []),
        # Indeterminate sentences count whatever their (absent) length.
        ({"age": 21, "sentence": "life", "months": None, "rosh": "high"}, ["high_risk_adult"]),
        ({"age": 21, "sentence": "life", "months": 3, "rosh": "very_high"}, ["high_risk_adult"]),
        # Risk: High or Very High only.
        ({"age": 21, "months": 12, "rosh": "medium"}, []),
        ({"age": 21, "months": 12, "rosh": "low"}, []),
        ({"age": 21, "months": 12, "rosh": None}, []),
        ({"age": 21, "sentence": "life", "months": None, "rosh": "medium"}, []),
        # An unknown sentence type is neither determinate nor indeterminate.
        ({"age": 30, "sentence": "", "months": 48, "rosh": "high"}, []),
    ],
)
def test_high_risk_adult(case: dict[str, Any], expected: list[str]) -> None:
    assert reasons(**case) == expected


@pytest.mark.parametrize(("ppo", "expected"), [(True, ["ppo"]), (False, []), (None, [])])
def test_prolific_and_priority_offender_whatever_else(
    ppo: bool | None, expected: list[str]
) -> None:
    assert reasons(age=17, months=1, rosh="low", ppo=ppo) == expected


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"age": 30, "sentence": "ipp", "months": None, "rosh": "low"}, ["ipp"]),
        ({"age": 17, "sentence": "ipp", "months": None, "rosh": None}, ["ipp"]),
        ({"age": None, "sentence": "ipp", "months": None, "rosh": None}, ["ipp"]),
        ({"age": 30, "sentence": "life", "months": None, "rosh": "low"}, []),
    ],
)
def test_ipp(case: dict[str, Any], expected: list[str]) -> None:
    assert reasons(**case) == expected


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # Age: 18 to 20 inclusive.
        ({"age": 17, "months": 48}, []),
        ({"age": 18, "months": 1}, ["young_adult"]),
        ({"age": 20, "months": 1}, ["young_adult"]),
        ({"age": 21, "months": 1}, []),
        ({"age": None, "months": 1}, []),
        # Length: more than 28 days; exactly 28 days is not more than four weeks.
        ({"age": 19, "months": 27 / DAYS_PER_MONTH}, []),
        ({"age": 19, "months": 28 / DAYS_PER_MONTH}, []),
        ({"age": 19, "months": 0.92}, []),  # 28 days as stored, 28.005 days
        ({"age": 19, "months": 29 / DAYS_PER_MONTH}, ["young_adult"]),
        ({"age": 19, "months": 0.95}, ["young_adult"]),  # 29 days as stored, 28.918 days
        ({"age": 19, "months": 0.5}, []),
        ({"age": 19, "months": None}, []),
        # Indeterminate sentences are more than four weeks, whatever months say.
        ({"age": 19, "sentence": "life", "months": None}, ["young_adult"]),
        ({"age": 19, "sentence": "life", "months": 0.5}, ["young_adult"]),
        ({"age": 18, "sentence": "ipp", "months": None}, ["ipp", "young_adult"]),
        # Risk does not matter for a young adult.
        ({"age": 19, "months": 12, "rosh": "very_high"}, ["young_adult"]),
    ],
)
def test_young_adult(case: dict[str, Any], expected: list[str]) -> None:
    assert reasons(**{"rosh": "low", **case}) == expected


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            {"age": 25, "sentence": "ipp", "months": None, "rosh": "very_high", "ppo": True},
            ["high_risk_adult", "ppo", "ipp"],
        ),
        (
            {"age": 19, "sentence": "ipp", "months": None, "rosh": "high", "ppo": True},
            ["ppo", "ipp", "young_adult"],
        ),
        ({"age": 40, "months": 24, "rosh": "high", "ppo": True}, ["high_risk_adult", "ppo"]),
        ({"age": 20, "months": 2, "rosh": "low", "ppo": True}, ["ppo", "young_adult"]),
    ],
)
def test_every_reason_that_holds_is_listed_once_in_order(
    case: dict[str, Any], expected: list[str]
) -> None:
    assert reasons(**case) == expected


@pytest.mark.parametrize(("days", "in_scope"), [(27, False), (28, False), (29, True), (31, True)])
def test_28_days_stays_out_of_scope_once_stored_as_months(days: int, in_scope: bool) -> None:
    """Months are stored to two decimals; a sentence of exactly 28 days must not cross the line."""
    stored = _months(days / DAYS_PER_MONTH)
    assert (reasons(age=19, months=stored, rosh="low") == ["young_adult"]) is in_scope


def test_every_whole_day_sentence_is_judged_on_its_days_once_stored() -> None:
    for days in range(1, 3 * 366):
        expected = ["young_adult"] if days > 28 else []
        assert reasons(age=19, months=_months(days / DAYS_PER_MONTH), rosh="low") == expected, days
