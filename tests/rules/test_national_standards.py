"""National Standards checks derived from a case's dates: every boundary, table-driven."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from app.rules.national_standards import (
    NS_CHECKS,
    NS_TITLES,
    add_years,
    national_standards,
    om_allocation_days,
    subtract_months,
)

SENTENCED = date(2010, 6, 1)
RECEIVED = date(2010, 6, 2)
FIELDWORK = date(2011, 9, 12)


def checks(**dates: Any) -> dict[str, str]:
    values: dict[str, Any] = {
        "sentence_type": "determinate",
        "sentence_date": SENTENCED,
        "reception_date": None,
        "release_date": None,
        "os_allocated_date": None,
        "first_contact_date": None,
        "om_allocated_date": None,
        "sentence_plan_date": None,
        "last_roh_review_date": None,
        "fieldwork_start": FIELDWORK,
        **dates,
    }
    return national_standards(**values)


def after(base: date, days: int) -> date:
    return base + timedelta(days=days)


def test_the_checks_and_their_titles() -> None:
    assert NS_CHECKS == (
        "os_allocated_2_days",
        "first_contact_10_days",
        "om_allocated_in_time",
        "sentence_plan_16_weeks",
        "roh_reviewed_4_months",
    )
    assert list(NS_TITLES) == list(NS_CHECKS)
    assert NS_TITLES["os_allocated_2_days"] == (
        "Offender supervisor allocated within 2 days of reception"
    )
    assert all(title.strip() for title in NS_TITLES.values())


def test_every_check_is_unknown_when_its_dates_are_missing() -> None:
    result = checks()
    assert result == dict.fromkeys(NS_CHECKS, "unknown")
    assert list(result) == list(NS_CHECKS)


def test_every_check_passes_on_a_case_handled_in_time() -> None:
    result = checks(
        reception_date=RECEIVED,
        release_date=date(2013, 6, 1),
        os_allocated_date=RECEIVED,
        first_contact_date=SENTENCED,
        om_allocated_date=SENTENCED,
        sentence_plan_date=SENTENCED,
        last_roh_review_date=FIELDWORK,
    )
    assert result == dict.fromkeys(NS_CHECKS, "pass")


@pytest.mark.parametrize(
    ("reception", "allocated", "expected"),
    [
        (RECEIVED, after(RECEIVED, -1), "pass"),  # allocated before reception: in time
        (RECEIVED, RECEIVED, "pass"),
        (RECEIVED, after(RECEIVED, 1), "pass"),
        (RECEIVED, after(RECEIVED, 2), "pass"),
        (RECEIVED, after(RECEIVED, 3), "fail"),
        (RECEIVED, after(RECEIVED, 30), "fail"),
        (date(2012, 2, 28), date(2012, 3, 1), "pass"),  # 2 days across 29 February
        (date(2011, 2, 28), date(2011, 3, 3), "fail"),  # 3 days in a common year
        (RECEIVED, None, "unknown"),
        (None, RECEIVED, "unknown"),
    ],
)
def test_offender_supervisor_within_2_days_of_reception(
    reception: date | None, allocated: date | None, expected: str
) -> None:
    result = checks(reception_date=reception, os_allocated_date=allocated)
    assert result["os_allocated_2_days"] == expected


def test_offender_supervisor_is_measured_from_reception_not_sentence() -> None:
    result = checks(reception_date=after(SENTENCED, 20), os_allocated_date=after(SENTENCED, 21))
    assert result["os_allocated_2_days"] == "pass"


@pytest.mark.parametrize(
    ("days", "expected"),
    [(-1, "pass"), (0, "pass"), (10, "pass"), (11, "fail"), (None, "unknown")],
)
def test_first_contact_within_10_days_of_sentence(days: int | None, expected: str) -> None:
    contact = None if days is None else after(SENTENCED, days)
    assert checks(first_contact_date=contact)["first_contact_10_days"] == expected


@pytest.mark.parametrize(
    "check", ["first_contact_10_days", "om_allocated_in_time", "sentence_plan_16_weeks"]
)
def test_checks_from_sentence_are_unknown_without_a_sentence_date(check: str) -> None:
    result = checks(
        sentence_type="life",
        sentence_date=None,
        release_date=date(2030, 1, 1),
        first_contact_date=SENTENCED,
        om_allocated_date=SENTENCED,
        sentence_plan_date=SENTENCED,
    )
    assert result[check] == "unknown"


@pytest.mark.parametrize(
    ("sentenced", "release", "days", "expected"),
    [
        # Under 2 years to release: 8 weeks.
        (SENTENCED, date(2011, 6, 1), -1, "pass"),
        (SENTENCED, date(2011, 6, 1), 0, "pass"),
        (SENTENCED, date(2011, 6, 1), 56, "pass"),
        (SENTENCED, date(2011, 6, 1), 57, "fail"),
        (SENTENCED, date(2012, 5, 31), 56, "pass"),  # the day before 2 years
        (SENTENCED, date(2012, 5, 31), 57, "fail"),
        # Released before sentence (a data error) is under 2 years.
        (SENTENCED, date(2010, 5, 1), 57, "fail"),
        # Exactly 2 years or more: 16 weeks.
        (SENTENCED, date(2012, 6, 1), 57, "pass"),
        (SENTENCED, date(2012, 6, 1), 112, "pass"),
        (SENTENCED, date(2012, 6, 1), 113, "fail"),
        (SENTENCED, date(2012, 6, 2), 112, "pass"),
        (SENTENCED, date(2012, 6, 2), 113, "fail"),
        (SENTENCED, date(2020, 1, 1), 112, "pass"),
        (SENTENCED, date(2020, 1, 1), 113, "fail"),
        # Sentenced on 29 February: 2 years on is 28 February.
        (date(2012, 2, 29), date(2014, 2, 28), 112, "pass"),
        (date(2012, 2, 29), date(2014, 2, 28), 113, "fail"),
        (date(2012, 2, 29), date(2014, 2, 27), 56, "pass"),
        (date(2012, 2, 29), date(2014, 2, 27), 57, "fail"),
        # A calendar 2 years spanning 29 February is 731 days, not 730.
        (date(2011, 6, 1), date(2013, 5, 31), 57, "fail"),
        (date(2011, 6, 1), date(2013, 6, 1), 57, "pass"),
    ],
)
def test_offender_manager_within_8_or_16_weeks(
    sentenced: date, release: date, days: int, expected: str
) -> None:
    result = checks(
        sentence_date=sentenced, release_date=release, om_allocated_date=after(sentenced, days)
    )
    assert result["om_allocated_in_time"] == expected


@pytest.mark.parametrize(
    ("sentence_type", "days", "expected"),
    [
        ("ipp", 112, "pass"),
        ("ipp", 113, "fail"),
        ("life", 57, "pass"),
        ("life", 112, "pass"),
        ("life", 113, "fail"),
        # A determinate sentence without a release date: the deadline is not known, but an
        # allocation within the stricter one (8 weeks) meets either deadline.
        ("determinate", 0, "pass"),
        ("determinate", 56, "pass"),
        ("determinate", 57, "unknown"),
        ("determinate", 200, "unknown"),
    ],
)
def test_offender_manager_without_a_release_date(
    sentence_type: str, days: int, expected: str
) -> None:
    result = checks(sentence_type=sentence_type, om_allocated_date=after(SENTENCED, days))
    assert result["om_allocated_in_time"] == expected


def test_a_release_date_decides_even_for_an_indeterminate_sentence() -> None:
    result = checks(
        sentence_type="ipp", release_date=date(2011, 6, 1), om_allocated_date=after(SENTENCED, 57)
    )
    assert result["om_allocated_in_time"] == "fail"


def test_offender_manager_is_unknown_without_an_allocation_date() -> None:
    assert checks(release_date=date(2011, 1, 1))["om_allocated_in_time"] == "unknown"
    assert checks(sentence_type="life")["om_allocated_in_time"] == "unknown"


@pytest.mark.parametrize(
    ("sentence_type", "sentenced", "release", "expected"),
    [
        ("determinate", SENTENCED, date(2012, 5, 31), 56),
        ("determinate", SENTENCED, date(2012, 6, 1), 112),
        ("determinate", SENTENCED, None, None),
        ("ipp", SENTENCED, None, 112),
        ("life", SENTENCED, None, 112),
        ("life", SENTENCED, date(2011, 1, 1), 56),
        ("determinate", None, date(2012, 6, 1), None),
    ],
)
def test_om_allocation_days(
    sentence_type: str, sentenced: date | None, release: date | None, expected: int | None
) -> None:
    assert om_allocation_days(sentence_type, sentenced, release) == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [(-1, "pass"), (0, "pass"), (112, "pass"), (113, "fail"), (None, "unknown")],
)
def test_sentence_plan_within_16_weeks_of_sentence(days: int | None, expected: str) -> None:
    plan = None if days is None else after(SENTENCED, days)
    # A short sentence does not shorten the plan's 16 weeks.
    result = checks(release_date=date(2010, 12, 1), sentence_plan_date=plan)
    assert result["sentence_plan_16_weeks"] == expected


@pytest.mark.parametrize(
    ("fieldwork", "review", "expected"),
    [
        (date(2011, 9, 12), date(2011, 5, 12), "pass"),  # exactly 4 months before
        (date(2011, 9, 12), date(2011, 5, 11), "fail"),  # the day before that
        (date(2011, 9, 12), date(2011, 9, 1), "pass"),
        (date(2011, 9, 12), date(2011, 9, 12), "pass"),
        (date(2011, 9, 12), date(2011, 9, 20), "pass"),  # during fieldwork
        (date(2011, 9, 12), date(2010, 9, 12), "fail"),
        # Month ends: 4 months before 30 June is 28 February (29th in a leap year).
        (date(2011, 6, 30), date(2011, 2, 28), "pass"),
        (date(2011, 6, 30), date(2011, 2, 27), "fail"),
        (date(2012, 6, 30), date(2012, 2, 29), "pass"),
        (date(2012, 6, 30), date(2012, 2, 28), "fail"),
        (date(2011, 7, 31), date(2011, 3, 31), "pass"),
        (date(2011, 7, 31), date(2011, 3, 30), "fail"),
        (date(2011, 10, 31), date(2011, 6, 30), "pass"),  # 31 October -> 30 June
        (date(2011, 10, 31), date(2011, 6, 29), "fail"),
        # Across a year end.
        (date(2012, 2, 15), date(2011, 10, 15), "pass"),
        (date(2012, 2, 15), date(2011, 10, 14), "fail"),
        (date(2011, 9, 12), None, "unknown"),
    ],
)
def test_risk_of_harm_reviewed_in_the_4_months_before_fieldwork(
    fieldwork: date, review: date | None, expected: str
) -> None:
    result = checks(fieldwork_start=fieldwork, last_roh_review_date=review)
    assert result["roh_reviewed_4_months"] == expected


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2010, 6, 1), 2, date(2012, 6, 1)),
        (date(2010, 12, 31), 2, date(2012, 12, 31)),
        (date(2012, 2, 29), 2, date(2014, 2, 28)),
        (date(2012, 2, 29), 1, date(2013, 2, 28)),
        (date(2012, 2, 29), 4, date(2016, 2, 29)),
    ],
)
def test_add_years(day: date, years: int, expected: date) -> None:
    assert add_years(day, years) == expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2011, 9, 12), 4, date(2011, 5, 12)),
        (date(2011, 6, 30), 4, date(2011, 2, 28)),
        (date(2012, 6, 30), 4, date(2012, 2, 29)),
        (date(2011, 7, 31), 4, date(2011, 3, 31)),
        (date(2011, 3, 31), 1, date(2011, 2, 28)),
        (date(2011, 1, 31), 4, date(2010, 9, 30)),
        (date(2011, 4, 30), 4, date(2010, 12, 30)),
        (date(2011, 1, 15), 13, date(2009, 12, 15)),
        (date(2011, 1, 15), 0, date(2011, 1, 15)),
    ],
)
def test_subtract_months(day: date, months: int, expected: date) -> None:
    assert subtract_months(day, months) == expected
