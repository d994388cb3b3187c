"""Dates and date-times as ISO 8601 strings only.

pydantic, in its lax mode, reads a number as a Unix time: `{"fieldwork_start": 0}` became
1970-01-01 and `?updated_since=0.5` a moment in 1970. Clients of this API send dates as
ISO 8601 text (SPEC 4), so anything else is a validation fault (422), not a guess.
Values built in Python (services, the CLI, tests) pass as they are.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"([Tt ]\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?"
)


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        if not ISO_DATE.fullmatch(value):
            raise ValueError("a date is an ISO 8601 string, YYYY-MM-DD")
        return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise ValueError("a date is an ISO 8601 string, YYYY-MM-DD")


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, str):
        if not ISO_DATETIME.fullmatch(value):
            raise ValueError("a date-time is an ISO 8601 string, e.g. 2026-12-01T09:30:00Z")
        return value
    if isinstance(value, datetime):
        return value
    raise ValueError("a date-time is an ISO 8601 string, e.g. 2026-12-01T09:30:00Z")


def _in_utc(value: datetime) -> datetime:
    """The moment in UTC (a time without an offset is taken as UTC, as stored).

    9999-12-31T23:59:59-12:00 is a valid ISO 8601 string whose UTC moment is past the last
    date Python holds: converting it later, in a query, was a 500; here it is a 422."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the date-time is outside the range this service holds") from exc


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime), AfterValidator(_in_utc)]
