"""Probation areas of every era (SPEC 12): which areas are valid on a date.

A case's home area, and a community inspection's area, must be valid at the inspection's
fieldwork start: the 42 NOMS areas until 31 March 2010, the 35 trust areas from 1 April
2010 to 25 June 2021, the 12 probation regions from 26 June 2021.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from app.models.reference import AreaKind

KIND_NAMES = {
    AreaKind.noms_area: "a NOMS probation area",
    AreaKind.trust: "a probation trust area",
    AreaKind.region: "a probation region",
}


@dataclass(frozen=True)
class AreaSpan:
    kind: AreaKind
    valid_from: date | None
    valid_to: date | None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class AreaBook:
    """Every known area's validity, judged on one date (None: no era check)."""

    def __init__(self, spans: Mapping[str, AreaSpan], on: date | None) -> None:
        self.spans = dict(spans)
        self.on = on

    def __contains__(self, code: object) -> bool:
        return code in self.spans

    def valid_kinds(self) -> list[AreaKind]:
        if self.on is None:
            return sorted({span.kind for span in self.spans.values()})
        day = self.on
        return sorted({span.kind for span in self.spans.values() if span.valid_on(day)})

    def era_problem(self, code: str) -> str | None:
        """Why a known area may not be used on the book's date, or None when it may."""
        span = self.spans.get(code)
        if span is None or self.on is None or span.valid_on(self.on):
            return None
        kinds = self.valid_kinds()
        wanted = " or ".join(KIND_NAMES[kind] for kind in kinds) or "no area"
        valid = " or ".join(kind.value for kind in kinds) or "none"
        return (
            f"{code!r} is {KIND_NAMES[span.kind]} ({span_text(span)}), not valid on "
            f"{self.on.isoformat()}; fieldwork then needs {wanted} (kind {valid})"
        )


def span_text(span: AreaSpan) -> str:
    start = span.valid_from.isoformat() if span.valid_from else "always"
    end = span.valid_to.isoformat() if span.valid_to else "today"
    return f"{start} to {end}"
