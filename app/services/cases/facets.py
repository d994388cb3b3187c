"""Facts of a case that aggregates group by, as SQL over the case table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, case, null
from sqlmodel import col

from app.models import Case

# The age bands of SPEC 18, by age at sentence (the case's only age): (label, lowest age).
AGE_BANDS: tuple[tuple[str, int], ...] = (("18-20", 18), ("21-24", 21), ("25-49", 25), ("50+", 50))


def age_band() -> ColumnElement[Any]:
    """The case's age band at sentence; null under 18 or when the age is not recorded."""
    age = col(Case.age_at_sentence)
    return case(*[(age >= low, label) for label, low in reversed(AGE_BANDS)], else_=null())


# The facts facet_tally keeps counts by (one at a time), each as a SQL expression.
FACETS: dict[str, Callable[[], Any]] = {
    "os_grade": lambda: col(Case.os_grade),
    "rosh": lambda: col(Case.rosh),
    "sex": lambda: col(Case.sex),
    "sentence_type": lambda: col(Case.sentence_type),
    "age_band": age_band,
}
# facet_tally's stand-in for a fact not recorded (a key column cannot be null).
NOT_RECORDED = ""
