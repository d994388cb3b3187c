"""Question figures and roll-ups: pure functions over counts, no database."""

from __future__ import annotations

from typing import Any

import pytest

from app.models.framework import FrameworkDocument
from app.models.scores import QuestionScore, Rollup, SectionScore
from app.rules.question_figures import figures, rollup, rollups


def q(code: str, percent: float | None, *, key: bool = False, **where: Any) -> QuestionScore:
    return QuestionScore(
        code=code,
        text=code,
        percent=percent,
        key=key,
        section=where.get("section", "1"),
        theme=where.get("theme", "t"),
        criteria=where.get("criteria", []),
        yes=0,
        no=0,
        na=0,
        unanswered=0,
        relevant=0,
        ci95=None,
        low_base=False,
    )


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        ([q("a", 55.0), q("b", 60.0, key=True), q("c", 47.5)], {"mean": 54.2, "key_min": 60.0}),
        ([q("a", 90.0, key=True), q("b", 40.0, key=True)], {"mean": 65.0, "key_min": 40.0}),
        # A question with no relevant cases counts neither for the mean nor the key minimum.
        ([q("a", None, key=True), q("b", 70.0)], {"mean": 70.0, "key_min": None}),
        ([q("a", None), q("b", None)], {"mean": None, "key_min": None}),
        ([q("a", 0.0, key=True), q("b", 100.0)], {"mean": 50.0, "key_min": 0.0}),
    ],
)
def test_rollup(questions: list[QuestionScore], expected: dict[str, float | None]) -> None:
    assert rollup(questions) == expected


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (
            (11, 9, 0, 20),
            {"relevant": 20, "percent": 55.0, "ci95": [34.2, 74.2], "unanswered": 0},
        ),
        ((3, 1, 1, 6), {"relevant": 4, "percent": 75.0, "low_base": True, "unanswered": 1}),
        ((0, 0, 4, 4), {"relevant": 0, "percent": None, "ci95": None, "low_base": True}),
        ((4, 1, 0, 5), {"relevant": 5, "percent": 80.0, "low_base": False}),
    ],
)
def test_figures(counts: tuple[int, int, int, int], expected: dict[str, Any]) -> None:
    result = figures(*counts)
    assert {key: getattr(result, key) for key in expected} == expected


def document(basis: str | None) -> FrameworkDocument:
    rating = (
        {"basis": basis, "bands": [{"min": 70, "label": "good"}, {"min": 0, "label": "poor"}]}
        if basis
        else None
    )
    question = {"section": "s1", "theme": "t1", "text": "?"}
    return FrameworkDocument.model_validate(
        {
            "code": "tiny",
            "title": "Tiny",
            "rating": rating,
            "sections": [{"code": "s1", "title": "One"}, {"code": "s2", "title": "Two"}],
            "themes": [{"code": "t1", "title": "T"}],
            "criteria": [{"code": "c1", "theme": "t1", "text": "C1"}],
            "instruments": [{"code": "i", "title": "I", "questions": [{"code": "q", **question}]}],
        }
    )


QUESTIONS = [
    q("a", 90.0, key=True, section="s1", theme="t1", criteria=["c1"]),
    q("b", 70.0, section="s1", theme="t1", criteria=["c1", "c9"]),
    q("c", 50.0, key=True, section="s1", theme="t1"),
]


@pytest.mark.parametrize(
    ("basis", "rating"),
    [
        ("key_min", "poor"),  # lowest key question: 50.0
        ("mean", "good"),  # mean of the section: 70.0
        (None, None),
    ],
)
def test_section_rating_basis(basis: str | None, rating: str | None) -> None:
    result = rollups(document(basis), QUESTIONS)
    assert result.sections == [
        SectionScore(code="s1", title="One", mean=70.0, key_min=50.0, rating=rating)
    ]  # a section without questions in the instrument is left out


def test_criteria_and_themes() -> None:
    result = rollups(document(None), QUESTIONS)
    assert result.themes == [Rollup(code="t1", title="T", mean=70.0, key_min=50.0)]
    # A question may serve several criteria; criteria the document lists come first.
    assert result.criteria == [
        Rollup(code="c1", mean=80.0, key_min=90.0),
        Rollup(code="c9", mean=70.0, key_min=None),
    ]
