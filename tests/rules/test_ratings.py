"""The overall rating: section ratings' points summed and banded, at every band edge."""

from __future__ import annotations

import pytest

from app.models.framework import OverallBand
from app.rules.ratings import overall_rating, section_ratings

# probation-case-assessment-2019's overall rating (docs/ratings.md).
POINTS = {"outstanding": 3, "good": 2, "requires improvement": 1, "inadequate": 0}
BANDS = [
    OverallBand(min=11, label="outstanding"),
    OverallBand(min=7, label="good"),
    OverallBand(min=3, label="requires improvement"),
    OverallBand(min=0, label="inadequate"),
]
OUT, GOOD, RI, INAD = "outstanding", "good", "requires improvement", "inadequate"


@pytest.mark.parametrize(
    ("ratings", "score", "rating"),
    [
        ((INAD, INAD, INAD, INAD), 0, INAD),
        ((RI, RI, INAD, INAD), 2, INAD),  # the top of inadequate
        ((RI, RI, RI, INAD), 3, RI),  # the foot of requires improvement
        ((GOOD, GOOD, RI, RI), 6, RI),  # its top
        ((GOOD, GOOD, GOOD, RI), 7, GOOD),  # the foot of good
        ((OUT, OUT, GOOD, GOOD), 10, GOOD),  # its top
        ((OUT, OUT, OUT, GOOD), 11, OUT),  # the foot of outstanding
        ((OUT, OUT, OUT, OUT), 12, OUT),
    ],
)
def test_overall_rating_at_each_band_edge(ratings, score, rating):
    sections = dict(zip(("2.1", "2.2", "2.3", "2.4"), ratings, strict=True))
    result = overall_rating(sections, POINTS, BANDS)
    assert (result.score, result.max, result.rating, result.unrated) == (score, 12, rating, [])


def test_no_overall_rating_while_a_section_is_unrated():
    result = overall_rating({"2.1": OUT, "2.2": None, "2.3": GOOD, "2.4": None}, POINTS, BANDS)
    assert (result.score, result.max, result.rating, result.unrated) == (
        5,
        12,
        None,
        ["2.2", "2.4"],
    )
    assert overall_rating({}, POINTS, BANDS).rating is None


def test_a_section_scored_by_several_instruments_takes_its_weakest_rating():
    rows = [("2.1", GOOD), ("2.2", None), ("2.1", RI), ("2.2", OUT), ("2.3", None)]
    assert section_ratings(rows, POINTS) == {"2.1": RI, "2.2": OUT, "2.3": None}
