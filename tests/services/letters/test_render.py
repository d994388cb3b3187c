"""Findings letters read as letters, and their HTML and PDF carry the same words (SPEC 19)."""

from __future__ import annotations

import copy
import io
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from pypdf import PdfReader

from app.models.documents import LetterRecord
from app.services.documents.engine import printable
from app.services.documents.wording import fieldwork_period
from app.services.letters.document import letter_document
from app.services.letters.render import render_html, render_pdf


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
            {
                "code": "osi_supervision_frequency",
                "instrument": "os_interview",
                "theme": "om-model",
                "text": "How often do you receive formal supervision from your line manager?",
                "trust": {"yes": 8, "relevant": 10, "percent": 80.0},
                "sample": {"yes": 15, "relevant": 18, "percent": 83.3},
                "choices": [
                    {"value": "monthly", "label": "At least monthly"},
                    {"value": "quarterly", "label": "Every two to five months"},
                    {"value": "six_monthly_or_less", "label": "Every six months or less often"},
                    {"value": "na", "label": "Not applicable"},
                ],
                "distribution": {
                    "trust": {"monthly": 5, "quarterly": 3, "six_monthly_or_less": 2, "na": 1},
                    "sample": {"monthly": 9, "quarterly": 6, "six_monthly_or_less": 3, "na": 2},
                },
            },
        ],
        "themes": [
            {"code": "public-protection", "title": "Public Protection",
             "trust": {"mean": 58.1}, "sample": {"mean": 61.0}},
            {"code": "sentence-planning", "title": "Sentence Planning",
             "trust": {"mean": 90.9}, "sample": {"mean": 85.0}},
            {"code": "om-model", "title": "Offender Management Model",
             "trust": {"mean": 80.0}, "sample": {"mean": 83.3}},
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


def record(**changes: Any) -> LetterRecord:
    return LetterRecord.model_validate(make_letter(**changes))


def html_of(**changes: Any) -> str:
    return render_html(letter_document(record(**changes)))


def pdf_of(**changes: Any) -> bytes:
    return render_pdf(letter_document(record(**changes)))


def test_the_letter_reads_as_a_letter() -> None:
    document = letter_document(record())
    text = html_text(render_html(document))
    for sentence in (
        "Of the 20 cases in the inspection sample, 11 were supervised by Durham Tees Valley "
        "Probation Trust. This letter sets out the findings for those 11 cases beside the "
        "figures for the whole sample.",
        "The figures come from the case file and offender supervisor interview; each "
        "question's source is named beside it.",
        "Across the 2 questions on public protection, the trust's cases averaged 58.1%, "
        "against 61.0% for the whole sample.",
        # Strengths and areas for improvement quote their question, source and figures.
        "\u201cWas a sentence plan completed within the required timescale?\u201d (case file) "
        "was answered yes in 10 of the trust's 11 relevant cases (90.9%), against 85.0% "
        "across the whole sample.",
        "\u201cWas there a sufficient risk management plan?\u201d (case file) was answered yes "
        "in 6 of the trust's 11 relevant cases (54.5%), against 55.0% across the whole sample.",
        # A choice question shows its distribution, not a yes-percentage alone.
        "Asked \u201cHow often do you receive formal supervision from your line manager?\u201d "
        "(offender supervisor interview), the answers were: At least monthly 5 (45.5%), Every "
        "two to five months 3 (27.3%), Every six months or less often 2 (18.2%), Not "
        "applicable 1 (9.1%); across the whole sample: At least monthly 9 (45.0%)",
        "Yours sincerely, Liz Calderbank HM Chief Inspector of Probation",
    ):
        assert squash(sentence) in text
    public_protection = next(s for s in document.sections if s.heading == "Public Protection")
    assert public_protection.table is not None
    assert public_protection.table.headings[:2] == ["Question", "Source"]
    assert public_protection.table.rows[0] == [
        "Was there a sufficient risk management plan?", "case file", "6/11", "54.5%", "11/20",
        "55.0%",
    ]  # fmt: skip
    assert public_protection.table.rows[1][3:] == ["n/a", "2/3", "66.7% *"]
    interview = next(s for s in document.sections if s.heading == "Offender Management Model")
    assert interview.table is not None
    assert interview.table.rows[0][1] == "offender supervisor interview"


def test_each_theme_has_a_chart_of_trust_beside_sample_with_intervals() -> None:
    document = letter_document(record())
    charts = [s.chart for s in document.sections if s.chart is not None]
    assert len(charts) == 3
    chart = charts[0]
    assert chart.svg.startswith("<svg") and chart.svg.count("<path") == 3  # three intervals
    assert "Trust 54.5% (95% interval 28.0 to 78.7)" in chart.description
    assert "Whole sample 55.0% (95% interval 34.2 to 74.2)" in chart.description
    assert "Trust no relevant cases" in chart.description
    assert {"Trust", "Whole sample", "54.5%", "55.0%"} <= set(chart.labels)


def test_a_trust_that_is_the_whole_sample_is_never_beside_itself() -> None:
    document = letter_document(record(sample_areas=1, case_count=20))
    text = html_text(render_html(document))
    assert (
        "All 20 cases in the inspection sample were supervised by Durham Tees Valley "
        "Probation Trust, so this letter covers the whole sample." in text
    )
    assert "whole sample." in text
    assert "beside the figures for the whole sample" not in text
    assert "Sample mean" not in text and "Sample %" not in text
    assert ", against" not in text
    assert all(s.chart is None or "Whole sample" not in s.chart.labels for s in document.sections)


def _words(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_html_and_pdf_carry_the_same_text() -> None:
    """The PDF's text is the HTML's text, plus only the charts' labels and page footers."""
    document = letter_document(record(status="draft", published_at=None))
    page = _words(html_text(render_html(document)))
    pdf = pdf_reader(render_pdf(document))
    rest = _words(" ".join(p.extract_text() for p in pdf.pages))
    footer = re.escape(_words(document.footer)) + rf"\u2013page\d+of{len(pdf.pages)}"
    rest = re.sub(footer, "", rest)
    # List markers are drawn in the PDF and left to the browser in HTML.
    rest = rest.replace("\u2022", "")
    cursor = 0
    for section in document.sections:
        for number, item in enumerate(section.items if section.numbered else [], start=1):
            rest = rest.replace(f"{number}.{_words(item)}", _words(item), 1)
        # A chart follows its section's heading and paragraphs; its labels come in order.
        lead = _words(section.heading + "".join(section.paragraphs))
        cursor = rest.index(lead, cursor) + len(lead)
        for label in section.chart.labels if section.chart else []:
            at = rest.index(_words(label), cursor)
            rest, cursor = rest[:at] + rest[at + len(_words(label)) :], at
    assert rest == page


def test_pdf_is_tagged_pdf_ua_with_embedded_fonts() -> None:
    pdf = pdf_reader(pdf_of())
    root = pdf.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en-GB"
    assert b"<pdfuaid:part>1</pdfuaid:part>" in root["/Metadata"].get_data()
    fonts = {}
    for page in pdf.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[font["/BaseFont"]] = descriptor
    assert fonts
    for name, descriptor in fonts.items():
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), name


@pytest.mark.parametrize(("status", "marker"), [("draft", "DRAFT"), ("superseded", "SUPERSEDED")])
def test_status_marker_shown_until_published(status: str, marker: str) -> None:
    line = f"{marker} \u2013 version 1 \u2013 not for publication"
    assert line in html_text(html_of(status=status, published_at=None))
    assert pdf_text(pdf_of(status=status, published_at=None)).count(marker) == 1
    for rendered in (html_text(html_of()), pdf_text(pdf_of())):
        assert "DRAFT" not in rendered
        assert "SUPERSEDED" not in rendered


def test_html_is_standalone_and_printable() -> None:
    page = html_of()
    assert page.startswith("<!DOCTYPE html>")
    assert "@media print" in page
    assert '<html lang="en-GB">' in page
    assert "<link" not in page
    assert all(src.startswith("data:image/svg+xml") for src in re.findall(r'src="([^"]*)"', page))
    assert all(alt for alt in re.findall(r'alt="([^"]*)"', page))


def test_html_escapes_hostile_text() -> None:
    hostile = '<script>alert("x")</script>'
    page = html_of(recommendations=[hostile], trust={"code": "t", "name": "A & B <i>"})
    assert "<script>" not in page
    assert "<i>" not in page
    assert "A &amp; B &lt;i>" in page
    assert hostile in html_text(page)


def test_typst_markup_in_text_is_printed_not_run() -> None:
    typed = '#panic("no") *bold* = heading $x$ <label> @ref // comment'
    assert typed in html_text(html_of(recommendations=[typed]))
    assert typed in pdf_text(pdf_of(recommendations=[typed]))


def test_any_unicode_prints_the_same_in_html_and_pdf() -> None:
    recommendation = "Plans \u2013 \u201cpromptly\u201d\u2026 \u0141\u00f3d\u017a \U0001f680 \u4e2d"
    assert (
        printable(recommendation)
        == "Plans \u2013 \u201cpromptly\u201d\u2026 \u0141\u00f3d\u017a ? ?"
    )
    expected = "Plans \u2013 \u201cpromptly\u201d\u2026 \u0141\u00f3d\u017a ? ?"
    assert expected in html_text(html_of(recommendations=[recommendation]))
    assert expected in pdf_text(pdf_of(recommendations=[recommendation]))


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
    document = letter_document(LetterRecord.model_validate(letter))
    for rendered in (html_text(render_html(document)), pdf_text(render_pdf(document))):
        assert "n/a" in rendered
        assert "0/0" in rendered
        assert "Judgements against the criteria" not in rendered
        assert "Strengths" not in rendered
        assert "Durham Tees Valley Probation Trust, with fieldwork" in rendered
        assert "None of the trust's cases was relevant" in rendered


def test_pdf_is_a_deterministic_a4_pdf_with_metadata() -> None:
    pdf = pdf_of()
    assert pdf.startswith(b"%PDF-")
    assert pdf_of() == pdf
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
    pdf = render_pdf(letter_document(LetterRecord.model_validate(letter)))
    pages = pdf_reader(pdf).pages
    assert len(pages) > 1
    assert f"page {len(pages)} of {len(pages)}" in pages[-1].extract_text()
    text = pdf_text(pdf)
    assert all(f"Question {n}: was the work" in text for n in range(60))
