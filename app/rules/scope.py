"""Whether a case is in scope of the Offender Management Model, and why (SPEC 2.1)."""

from __future__ import annotations

# SPEC 2.1 counts a month as 30.44 days when comparing a sentence with four weeks.
DAYS_PER_MONTH = 30.44
FOUR_WEEKS_DAYS = 28
SCOPE_REASONS: tuple[str, ...] = ("high_risk_adult", "ppo", "ipp", "young_adult")
INDETERMINATE: tuple[str, ...] = ("ipp", "life")
HIGH_ROSH: tuple[str, ...] = ("high", "very_high")


def scope_reasons(
    *,
    age_at_sentence: int | None,
    sentence_type: str,
    sentence_months: float | None,
    rosh: str | None,
    ppo: bool | None,
) -> list[str]:
    """The reasons a case is in scope, in SCOPE_REASONS order; an empty list means out of scope."""
    indeterminate = sentence_type in INDETERMINATE
    # Months sent with an indeterminate sentence do not describe its length.
    months = sentence_months if sentence_type == "determinate" else None
    reasons: list[str] = []
    adult = age_at_sentence is not None and age_at_sentence >= 21
    twelve_months_or_more = indeterminate or (months is not None and months >= 12)
    if adult and twelve_months_or_more and rosh in HIGH_ROSH:
        reasons.append("high_risk_adult")
    if ppo is True:
        reasons.append("ppo")
    if sentence_type == "ipp":
        reasons.append("ipp")
    young_adult = age_at_sentence is not None and 18 <= age_at_sentence <= 20
    if young_adult and (indeterminate or (months is not None and _days(months) > FOUR_WEEKS_DAYS)):
        reasons.append("young_adult")
    return reasons


def _days(months: float) -> int:
    # Sentences are whole days but months are stored to two decimals: 28 days is stored as
    # 0.92 months, which is 28.005 days and would cross "more than four weeks". Comparing on
    # the nearest whole day keeps 28 days out and 29 days in.
    return round(months * DAYS_PER_MONTH)
