"""Section ratings with their source, and the overall rating summed from them (SPEC 15)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.rules.statistics import BandLike, rating_band


@dataclass(frozen=True)
class Overall:
    score: int
    max: int
    rating: str | None
    unrated: list[str]


def section_ratings(
    rows: Sequence[tuple[str, str | None]], points: Mapping[str, int]
) -> dict[str, str | None]:
    """One rating per section code from (section, rating) rows of every instrument.

    A section scored by several instruments takes its weakest rating (fewest points);
    an unrated row (no base) leaves the section unrated only if no row rates it.
    """
    chosen: dict[str, str | None] = {}
    for code, rating in rows:
        current = chosen.get(code)
        if (
            code not in chosen
            or current is None
            or (rating is not None and points.get(rating, 0) < points.get(current, 0))
        ):
            chosen[code] = rating
    return chosen


def overall_rating(
    ratings: Mapping[str, str | None], points: Mapping[str, int], bands: Sequence[BandLike]
) -> Overall:
    """The sections' points summed and banded; no rating while a section is unrated."""
    unrated = [code for code, rating in ratings.items() if rating is None]
    score = sum(points[rating] for rating in ratings.values() if rating is not None)
    top = max(points.values(), default=0)
    rating = rating_band(score, bands) if ratings and not unrated else None
    return Overall(score=score, max=top * len(ratings), rating=rating, unrated=unrated)
