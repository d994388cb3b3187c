"""Dates, percents and labels as the documents print them."""

from __future__ import annotations

from datetime import date, datetime

NOT_APPLICABLE = "n/a"
AUTHOR = "HM Inspectorate of Probation"
PARTNER = "with HM Inspectorate of Prisons"
STATUS_MARKERS = {"draft": "DRAFT", "superseded": "SUPERSEDED"}

# What each instrument is called in a sentence: the source of a figure (SPEC 19).
INSTRUMENT_LABELS = {
    "case_file": "case file",
    "os_interview": "offender supervisor interview",
    "om_interview": "offender manager interview",
    "prisoner_interview": "prisoner interview",
    "prisoner_survey": "survey",
    "survey": "survey",
}


def instrument_label(code: str, subject: str | None = None) -> str:
    if code in INSTRUMENT_LABELS:
        return INSTRUMENT_LABELS[code]
    if subject == "respondent":
        return "survey"
    return code.replace("_", " ")


def format_percent(value: float | None) -> str:
    return NOT_APPLICABLE if value is None else f"{value:.1f}%"


def parse_date(value: str | date | None) -> date | None:
    """A date from a date, a datetime or an ISO 8601 string (a trailing Z is allowed)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00")).date()


def format_date(value: str | date | None) -> str:
    day = parse_date(value)
    return "" if day is None else f"{day.day} {day:%B %Y}"


def fieldwork_period(start: str | date | None, end: str | date | None) -> str:
    """'from 12 to 16 September 2011', 'beginning 12 September 2011', ..."""
    first, last = parse_date(start), parse_date(end)
    if first is None:
        return "on dates to be confirmed"
    if last is None:
        return f"beginning {format_date(first)}"
    if last == first:
        return f"on {format_date(first)}"
    if (first.year, first.month) == (last.year, last.month):
        return f"from {first.day} to {format_date(last)}"
    if first.year == last.year:
        return f"from {first.day} {first:%B} to {format_date(last)}"
    return f"from {format_date(first)} to {format_date(last)}"


def judgement_label(value: str | None) -> str:
    return value.replace("_", " ").capitalize() if value else "Not judged"


def cases(count: int, noun: str = "case") -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def quoted(text: str) -> str:
    return f"\u201c{' '.join(text.split())}\u201d"
