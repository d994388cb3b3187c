"""Dates and date-times as ISO 8601 strings only.

pydantic, in its lax mode, reads a number as a Unix time: `{"fieldwork_start": 0}` became
1970-01-01 and `?updated_since=0.5` a moment in 1970. Clients of this API send dates as
ISO 8601 text (SPEC 4), so anything else is a validation fault (422), not a guess.
Values built in Python (services, the CLI, tests) pass as they are.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

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


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]
