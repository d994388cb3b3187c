"""National Standards checks derived from a case's dates (SPEC 2.1)."""

from __future__ import annotations

import calendar
from datetime import date

from app.rules.scope import INDETERMINATE

NS_CHECKS: tuple[str, ...] = (
    "os_allocated_2_days",
    "first_contact_10_days",
    "om_allocated_in_time",
    "sentence_plan_16_weeks",
    "roh_reviewed_4_months",
)
NS_TITLES: dict[str, str] = {
    "os_allocated_2_days": "Offender supervisor allocated within 2 days of reception",
    "first_contact_10_days": "First contact within 10 days of sentence",
    "om_allocated_in_time": "Offender manager allocated within 8 weeks (16 weeks if 2+ years to release)",
    "sentence_plan_16_weeks": "Sentence plan within 16 weeks of sentence",
    "roh_reviewed_4_months": "Risk of Harm reviewed within the 4 months before fieldwork",
}
PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
EIGHT_WEEKS_DAYS = 56
SIXTEEN_WEEKS_DAYS = 112


def add_years(day: date, years: int) -> date:
    """The same calendar day some years on; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def subtract_months(day: date, months: int) -> date:
    """The same day number some months earlier, clamped to the end of a shorter month."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _within(event: date | None, base: date | None, days: int | None) -> str:
    if event is None or base is None or days is None:
        return UNKNOWN
    # An event dated before its base (allocated before reception) happened in time.
    return PASS if (event - base).days <= days else FAIL


def om_allocation_days(
    sentence_type: str, sentence_date: date | None, release_date: date | None
) -> int | None:
    """Days allowed to allocate an offender manager; None when the deadline is not known."""
    if sentence_date is not None and release_date is not None:
        under_two_years = release_date < add_years(sentence_date, 2)
        return EIGHT_WEEKS_DAYS if under_two_years else SIXTEEN_WEEKS_DAYS
    # Without a release date only an indeterminate sentence is known to be 2+ years long.
    return SIXTEEN_WEEKS_DAYS if sentence_type in INDETERMINATE else None


def _om_allocated(allocated: date | None, sentence_date: date | None, days: int | None) -> str:
    if days is None and allocated is not None and sentence_date is not None:
        # The deadline is unknown (no release date), but an allocation within the stricter
        # one (8 weeks) meets either; later than that it stays unknown, never a fail.
        return PASS if (allocated - sentence_date).days <= EIGHT_WEEKS_DAYS else UNKNOWN
    return _within(allocated, sentence_date, days)


def _roh_reviewed(review: date | None, fieldwork_start: date) -> str:
    if review is None:
        return UNKNOWN
    # A review during or after fieldwork is as recent as it gets, so it passes too.
    return PASS if review >= subtract_months(fieldwork_start, 4) else FAIL


def national_standards(
    *,
    sentence_type: str,
    sentence_date: date | None,
    reception_date: date | None,
    release_date: date | None,
    os_allocated_date: date | None,
    first_contact_date: date | None,
    om_allocated_date: date | None,
    sentence_plan_date: date | None,
    last_roh_review_date: date | None,
    fieldwork_start: date,
) -> dict[str, str]:
    """Each check in NS_CHECKS order mapped to pass, fail or unknown (a missing date never fails)."""
    om_days = om_allocation_days(sentence_type, sentence_date, release_date)
    return {
        "os_allocated_2_days": _within(os_allocated_date, reception_date, 2),
        "first_contact_10_days": _within(first_contact_date, sentence_date, 10),
        "om_allocated_in_time": _om_allocated(om_allocated_date, sentence_date, om_days),
        "sentence_plan_16_weeks": _within(sentence_plan_date, sentence_date, SIXTEEN_WEEKS_DAYS),
        "roh_reviewed_4_months": _roh_reviewed(last_roh_review_date, fieldwork_start),
    }
