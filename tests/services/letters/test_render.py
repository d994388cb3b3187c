"""Findings letters render to HTML and PDF with the same figures as the letter dict."""

from __future__ import annotations

import copy
import io
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from pypdf import PdfReader

from app.services.letters.render import (
    fieldwork_period,
    render_letter_html,
    render_letter_pdf,
    to_latin1,
)


def make_letter(**changes: Any) -> dict[str, Any]:
    letter = {
        "id": "c0ffee",
        "inspection": "inspection-1",
        "inspection_dates": {"fieldwork_start": "2011-09-12", "fieldwork_end": "2011-09-16"},
        "programme": "pomi",
        "trust": {"code": "durham-tees-valley", "name": "Durham Tees Valley"},
        "establishment": {"code": "durham", "name": "HMP Durham"},
        "status": "published",
        "version": 1,
        "case_count": 11,
        "sample_case_count": 20,
        "published_at": "2011-10-01T09:00:00Z",
        "updated_at": "2011-10-01T09:00:00Z",
        "letter_date": "2011-10-01",
        "questions": [
            {
                "code": "rmp_sufficient",
                "instrument": "case_file",
                "theme": "public-protection",
                "text": "Was there a sufficient risk management plan?",
                "trust": {"yes": 6, "relevant": 11, "percent": 54.5},
                "sample": {"yes": 11, "relevant": 20, "percent": 55.0},
            },
            {
                "code": "sentence_plan_completed",
                "instrument": "case_file",
                "theme": "sentence-planning",
                "text": "Was a sentence plan completed within the required timescale?",
                "trust": {"yes": 10, "relevant": 11, "percent": 90.9},
                "sample": {"yes": 17, "relevant": 20, "percent": 85.0},
            },
            {
                "code": "mappa_referral",
                "instrument": "case_file",
                "theme": "public-protection",
                "text": "Was the case referred to MAPPA where needed?",
                "trust": {"yes": 0, "relevant": 0, "percent": None},
                "sample": {"yes": 2, "relevant": 3, "percent": 66.7},
            },
        ],
        "themes": [
            {"code": "public-protection", "title": "Public Protection",
             "trust": {"mean": 58.1}, "sample": {"mean": 61.0}},
            {"code": "sentence-planning", "title": "Sentence Planning",
             "trust": {"mean": 90.9}, "sample": {"mean": 85.0}},
        ],
        "strengths": ["sentence_plan_completed"],
        "improvements": ["rmp_sufficient"],
        "recommendations": ["Risk management plans should be reviewed after every significant event."],
        "judgements": [{"criterion": "4.6d", "judgement": "partly_met", "narrative": "Some plans were late."}],
        "signatory": {"name": "Liz Calderbank", "title": "HM Chief Inspector of Probation"},
    }  # fmt: skip
    letter.update(changes)
    return letter


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip = tag in ("style", "title")

    def handle_endtag(self, tag: str) -> None:
        self._skip = False

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def squash(text: str) -> str:
    return " ".join(text.split())


def html_text(page: str) -> str:
    parser = _TextOf()
    parser.feed(page)
    return squash(" ".join(parser.chunks))


def pdf_reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def pdf_text(pdf: bytes) -> str:
    return squash(" ".join(page.extract_text() for page in pdf_reader(pdf).pages))


def expected_figures(letter: dict[str, Any]) -> list[str]:
    """Every figure and phrase a rendering must carry, in plain text."""
    figures = [letter["trust"]["name"], f"{letter['case_count']} were supervised"]
    for question in letter["questions"]:
        figures.append(question["text"])
        for side in ("trust", "sample"):
            numbers = question[side]
            figures.append(f"{numbers['yes']}/{numbers['relevant']}")
            if numbers["percent"] is not None:
                figures.append(f"{numbers['percent']:.1f}%")
    for theme in letter["themes"]:
        figures += [
            theme["title"],
            f"{theme['trust']['mean']:.1f}%",
            f"{theme['sample']['mean']:.1f}%",
        ]
    by_code = {question["code"]: question for question in letter["questions"]}
    for code in letter["strengths"] + letter["improvements"]:
        question = by_code[code]
        figures.append(f"{question['text']} - {question['trust']['percent']:.1f}%")
    figures += letter["recommendations"]
    figures += [judgement["narrative"] for judgement in letter["judgements"]]
    figures += [letter["signatory"]["name"], letter["signatory"]["title"]]
    return [squash(figure) for figure in figures]


@pytest.mark.parametrize("render", ["html", "pdf"])
def test_every_figure_appears(render: str) -> None:
    letter = make_letter()
    if render == "html":
        text = html_text(render_letter_html(letter)).replace("\u2013", "-")
    else:
        text = pdf_text(render_letter_pdf(letter))
    missing = [figure for figure in expected_figures(letter) if figure not in text]
    assert missing == []
    assert "Durham Tees Valley Probation Trust" in text
    assert "HMP Durham" in text
    assert "12 to 16 September 2011" in text
    assert "1 October 2011" in text
    assert "Partly met" in text
    assert "n/a" in text  # the MAPPA question had no relevant trust cases


def test_html_is_standalone_and_printable() -> None:
    page = render_letter_html(make_letter())
    assert page.startswith("<!DOCTYPE html>")
    assert "@media print" in page
    assert "HM Inspectorate of Probation" in page
    assert "with HM Inspectorate of Prisons" in page
    assert "src=" not in page
    assert "<link" not in page


def test_html_escapes_hostile_text() -> None:
    hostile = '<script>alert("x")</script>'
    letter = make_letter(recommendations=[hostile], trust={"code": "t", "name": "A & B <i>"})
    page = render_letter_html(letter)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "<i>" not in page
    assert "A &amp; B &lt;i&gt;" in page
    assert hostile in html_text(page)


def test_pdf_draws_any_unicode() -> None:
    recommendation = "Plans should be reviewed \u2013 \u201cpromptly\u201d\u2026 \u2018now\u2019 \U0001f680 \u2011 \u0141\u00f3d\u017a"
    pdf = render_letter_pdf(make_letter(recommendations=[recommendation]))
    assert "Plans should be reviewed - \"promptly\"... 'now' ? - L\u00f3dz" in pdf_text(pdf)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain ascii", "plain ascii"),
        ("caf\u00e9 \u00a35", "caf\u00e9 \u00a35"),
        ("\u201cquoted\u201d \u2018single\u2019", "\"quoted\" 'single'"),
        ("2011\u20132012 \u2014 dash", "2011-2012 - dash"),
        ("wait\u2026", "wait..."),
        ("non\u2011breaking", "non-breaking"),
        ("\u2022 bullet", "\xb7 bullet"),
        ("\u0141\u00f3d\u017a \u0153uvre", "L\u00f3dz oeuvre"),
        ("rocket \U0001f680", "rocket ?"),
        ("\u20ac10", "EUR10"),
    ],
)
def test_to_latin1(text: str, expected: str) -> None:
    assert to_latin1(text) == expected
    to_latin1(text).encode("latin-1")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2011-09-12", "2011-09-16", "from 12 to 16 September 2011"),
        ("2011-09-28", "2011-10-02", "from 28 September to 2 October 2011"),
        ("2011-12-30", "2012-01-03", "from 30 December 2011 to 3 January 2012"),
        ("2011-09-12", "2011-09-12", "on 12 September 2011"),
        ("2011-09-12", None, "beginning 12 September 2011"),
        (None, None, "on dates to be confirmed"),
    ],
)
def test_fieldwork_period(start: str | None, end: str | None, expected: str) -> None:
    assert fieldwork_period(start, end) == expected


def test_none_percents_and_missing_sections_render() -> None:
    letter = make_letter(establishment=None, judgements=[], strengths=[], improvements=[])
    for question in letter["questions"]:
        question["trust"] = {"yes": 0, "relevant": 0, "percent": None}
    letter["themes"][0]["trust"]["mean"] = None
    page = html_text(render_letter_html(letter))
    text = pdf_text(render_letter_pdf(letter))
    for rendered in (page, text):
        assert "n/a" in rendered
        assert "0/0" in rendered
        assert "Judgements against the criteria" not in rendered
        assert "Strengths" not in rendered
        assert "Durham Tees Valley Probation Trust, with fieldwork" in rendered


@pytest.mark.parametrize(("status", "marker"), [("draft", "DRAFT"), ("superseded", "SUPERSEDED")])
def test_status_marker_shown_until_published(status: str, marker: str) -> None:
    letter = make_letter(status=status, published_at=None)
    published = make_letter()
    assert marker in html_text(render_letter_html(letter))
    assert marker in pdf_text(render_letter_pdf(letter))
    for rendered in (render_letter_html(published), pdf_text(render_letter_pdf(published))):
        assert "DRAFT" not in rendered
        assert "SUPERSEDED" not in rendered


def test_pdf_is_a_deterministic_a4_pdf_with_metadata() -> None:
    pdf = render_letter_pdf(make_letter())
    assert pdf.startswith(b"%PDF-")
    assert render_letter_pdf(make_letter()) == pdf
    reader = pdf_reader(pdf)
    assert reader.metadata.title == "Findings letter: Durham Tees Valley Probation Trust"
    assert reader.metadata.author == "HM Inspectorate of Probation"
    assert reader.metadata.creation_date.replace(tzinfo=UTC) == datetime(2011, 10, 1, 9, tzinfo=UTC)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_long_letter_paginates_with_numbered_pages() -> None:
    letter = make_letter()
    template = letter["questions"][0]
    letter["questions"] = [
        copy.deepcopy(template)
        | {"code": f"q{n}", "text": f"Question {n}: was the work of sufficient quality?"}
        for n in range(60)
    ]
    letter["strengths"], letter["improvements"] = [], ["q59"]
    pdf = render_letter_pdf(letter)
    pages = pdf_reader(pdf).pages
    assert len(pages) > 1
    assert f"page {len(pages)} of {len(pages)}" in pages[-1].extract_text()
    text = pdf_text(pdf)
    assert all(f"Question {n}: was the work" in text for n in range(60))
