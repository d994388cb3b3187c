"""The Second Aggregate Report's 220 cases put through the draft aggregate report: wherever the
report gives a percentage, the draft prints it (to the report's whole number), in the JSON,
the HTML page and the PDF."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.data.second_aggregate_report import ESTABLISHMENTS, EXPECTED, PPO_CASES
from tests.routers.test_report_table import upload_report_sample, whole

Auth = Callable[..., dict[str, str]]
PARAMS = {"framework": "omi-custody-2011"}


class Tables(HTMLParser):
    """Every table row of a page, as the texts of its cells; and every other text, outside
    tables, styles and images, in `texts`."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.texts: list[str] = []
        self._cell: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("style", "title"):
            self._skip += 1
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._skip -= 1
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif not self._skip:
            self.texts.append(data)


@pytest.fixture
def seeded(client: TestClient, auth: Auth) -> None:
    upload_report_sample(client, auth("probation_inspector"))


def fetch(client: TestClient, auth: Auth, accept: str) -> Any:
    response = client.get(
        "/api/v1/aggregate-report", params=PARAMS, headers={**auth("analyst"), "Accept": accept}
    )
    assert response.status_code == 200, response.text
    return response


@pytest.mark.usefixtures("seeded")
def test_the_draft_report_prints_the_reports_percentages(client: TestClient, auth: Auth) -> None:
    body = fetch(client, auth, "application/json").json()
    coverage = body["coverage"]
    assert (coverage["inspections"], coverage["cases"]) == (11, 220)
    assert sorted(e["code"] for e in coverage["establishments"]) == sorted(ESTABLISHMENTS)
    assert {e["cases"] for e in coverage["establishments"]} == {20}
    questions = {
        q["code"]: (q, chapter["title"])
        for chapter in body["chapters"]
        for q in chapter["questions"]
        if q["instrument"] == "case_file"
    }
    assert len(EXPECTED) >= 25
    # JSON: the report's figure at the report's precision.
    assert {f.question: whole(questions[f.question][0]["percent"]) for f in EXPECTED} == {
        f.question: f.percent for f in EXPECTED
    }
    assert questions["ppo_interventions_delivered"][0]["relevant"] == PPO_CASES

    # HTML: the chapter's table row for each question prints that percentage.
    page = fetch(client, auth, "text/html").text
    tables = Tables()
    tables.feed(page)
    printed = {row[1]: row for row in tables.rows if len(row) == 7 and row[2] == "case file"}
    for figure in EXPECTED:
        question, chapter = questions[figure.question]
        assert f"<h2>{chapter}</h2>" in page
        cells = printed[question["text"]]
        shown = float(cells[5].rstrip(" *%"))
        assert whole(shown) == figure.percent, (figure.question, cells)
        assert cells[4] == str(question["relevant"])
    assert "Inspections and cases covered" in page
    assert "we assessed 220 cases, 20 at each establishment" in page

    # PDF: the chapter headings and the figures.
    pdf = PdfReader(io.BytesIO(fetch(client, auth, "application/pdf").content))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in pdf.pages)
    for chapter in body["chapters"]:
        assert chapter["title"] in text, chapter["title"]
    assert "we assessed 220 cases, 20 at each establishment" in text
    percents = set(re.findall(r"\d+\.\d%", text))
    for figure in EXPECTED:
        question = questions[figure.question][0]
        assert f"{question['percent']:.1f}%" in percents, figure.question
