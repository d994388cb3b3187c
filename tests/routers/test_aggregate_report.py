"""GET /aggregate-report: the draft aggregate report's figures are the aggregates' figures,
its significant changes are Holm-adjusted, and it comes as JSON, HTML and PDF to the roles
that read aggregates."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session

from app.models.aggregate_report import AggregateReport, ReportChapter, ReportQuestion
from app.rules.statistics import holm_adjusted, percent
from app.rules.thresholds import is_low_base
from app.services.aggregates.report import report_document, strongest_and_weakest
from tests.builders import make_case, make_inspection
from tests.conftest import ALL_ROLES, role_headers
from tests.routers.test_aggregate_report_seed import Tables

Auth = Callable[..., dict[str, str]]
FRAMEWORK = "omi-custody-2011"
EARLIER = {"compare_from": "2010-01-01", "compare_to": "2010-12-31"}
NOW = {"from": "2011-01-01"}


def add(session: Session, inspection: Any, prefix: str, answers: list[dict[str, str]]) -> None:
    for n, given in enumerate(answers):
        make_case(session, inspection, f"{prefix}{n}", given)


@pytest.fixture
def estate(session: Session) -> None:
    """Durham (local) and Deerbolt (YOI) in 2011, Wayland (training) in 2010.

    Risk management plans: 18 of 20 sufficient in 2011 against 2 of 10 in 2010, a change no
    adjustment can hide; sentence plans 3 of 4 against 2 of 3, no change at all."""
    durham = make_inspection(session, establishment="durham", fieldwork_start=date(2011, 6, 13))
    add(session, durham, "DUR", [{"rmp_sufficient": "yes"}] * 10)
    add(session, durham, "DURS", [{"sentence_plan_completed": v} for v in ("yes", "yes", "no")])
    deerbolt = make_inspection(session, establishment="deerbolt", fieldwork_start=date(2011, 9, 5))
    add(session, deerbolt, "DBT", [{"rmp_sufficient": v} for v in ["yes"] * 8 + ["no"] * 2])
    add(session, deerbolt, "DBTS", [{"sentence_plan_completed": "yes"}])
    wayland = make_inspection(session, establishment="wayland", fieldwork_start=date(2010, 9, 6))
    add(session, wayland, "WAY", [{"rmp_sufficient": v} for v in ["yes"] * 2 + ["no"] * 8])
    add(session, wayland, "WAYS", [{"sentence_plan_completed": v} for v in ("yes", "yes", "no")])


def get(client: TestClient, auth: Auth, role: str = "analyst", **params: Any) -> Any:
    return client.get(
        "/api/v1/aggregate-report",
        params={"framework": FRAMEWORK, **params},
        headers=role_headers(auth, role),
    )


def report(client: TestClient, auth: Auth, **params: Any) -> dict[str, Any]:
    response = get(client, auth, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def aggregates(client: TestClient, auth: Auth, **params: Any) -> dict[str, Any]:
    response = client.get(
        "/api/v1/aggregates", params={"framework": FRAMEWORK, **params}, headers=auth("analyst")
    )
    assert response.status_code == 200, response.text
    return response.json()


def report_questions(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (q["instrument"], q["code"]): q
        for chapter in body["chapters"]
        for q in chapter["questions"]
    }


def pooled_questions(row: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(i["code"], q["code"]): q for i in row["instruments"] for q in i["questions"]}


FIGURES = ("yes", "relevant", "percent", "ci95", "ci95_clustered", "low_base", "compare")


@pytest.mark.usefixtures("estate")
@pytest.mark.parametrize("params", [{}, NOW, {**NOW, **EARLIER}, {"establishment_type": "yoi"}])
def test_the_report_figures_are_the_aggregates_figures(
    client: TestClient, auth: Auth, params: dict[str, str]
) -> None:
    body = report(client, auth, **params)
    [pooled] = aggregates(client, auth, **params)["rows"]
    assert (body["coverage"]["inspections"], body["coverage"]["cases"]) == (
        pooled["inspections"],
        pooled["cases"],
    )
    mine, theirs = report_questions(body), pooled_questions(pooled)
    assert mine, "the report has chapters"
    # Every question with a theme (and every National Standards check) is in one chapter.
    themed = {key for key, q in theirs.items() if q["theme"] or key[0] == "national_standards"}
    assert set(mine) == themed
    for key, question in mine.items():
        assert {f: question[f] for f in FIGURES} == {f: theirs[key].get(f) for f in FIGURES}, key
    # By establishment type, the report's period only (the comparison is of the pooled row).
    period = {k: v for k, v in params.items() if not k.startswith("compare_")}
    by_type = aggregates(client, auth, group_by="establishment_type", **period)["rows"]
    types = {row["group"]["establishment_type"]: row for row in by_type}
    assert [t["establishment_type"] for t in body["establishment_types"]] == list(types)
    for key, question in mine.items():
        for cell in question["by_establishment_type"]:
            other = pooled_questions(types[cell["establishment_type"]])[key]
            assert (cell["yes"], cell["relevant"], cell["percent"], cell["low_base"]) == (
                other["yes"],
                other["relevant"],
                other["percent"],
                other["low_base"],
            )


@pytest.mark.usefixtures("estate")
def test_coverage_and_chapters(client: TestClient, auth: Auth) -> None:
    body = report(client, auth, **NOW)
    coverage = body["coverage"]
    assert (coverage["inspections"], coverage["cases"]) == (2, 24)
    assert (coverage["fieldwork_from"], coverage["fieldwork_to"]) == ("2011-06-13", "2011-09-05")
    assert {
        (e["code"], e["establishment_type"], e["cases"]) for e in coverage["establishments"]
    } == {
        ("durham", "local", 13),
        ("deerbolt", "yoi", 11),
    }
    assert body["significant_changes"] is None and body["compare"] is None
    rmp = report_questions(body)[("case_file", "rmp_sufficient")]
    assert (rmp["yes"], rmp["relevant"], rmp["percent"]) == (18, 20, 90.0)
    cells = {
        c["establishment_type"]: (c["yes"], c["relevant"]) for c in rmp["by_establishment_type"]
    }
    assert cells == {"local": (10, 10), "yoi": (8, 10)}
    # The framework's themes, in its order, then National Standards.
    chapters = [c["theme"] for c in body["chapters"]]
    assert chapters[-1] == "national_standards"
    plan = report_questions(body)[("case_file", "sentence_plan_completed")]
    notes = {
        (n["code"], n["establishment_type"]): n["relevant"]
        for n in body["low_base"]
        if n["code"] == "sentence_plan_completed"
    }
    # Four relevant cases pooled, three at the local prison, one at the YOI: all low bases.
    assert notes == {
        ("sentence_plan_completed", None): 4,
        ("sentence_plan_completed", "local"): 3,
        ("sentence_plan_completed", "yoi"): 1,
    }
    assert plan["low_base"] is True  # 4 relevant cases pooled


@pytest.mark.usefixtures("estate")
def test_significant_changes_are_holm_adjusted(client: TestClient, auth: Auth) -> None:
    body = report(client, auth, **NOW, **EARLIER)
    changes = body["significant_changes"]
    assert (changes["inspections"], changes["cases"]) == (1, 13)
    assert "Holm" in changes["method"] and changes["alpha"] == 0.05
    tested = [q["compare"]["p_value"] for q in report_questions(body).values() if q["compare"]]
    tested = [p for p in tested if p is not None]
    assert changes["tested"] == len(tested) >= 2
    adjusted = dict(zip(tested, holm_adjusted(tested), strict=True))
    [change] = changes["changes"]
    assert (change["code"], change["percent"], change["compare_percent"]) == (
        "rmp_sufficient",
        90.0,
        20.0,
    )
    assert change["difference"] == 70.0
    assert change["adjusted_p_value"] == adjusted[change["p_value"]] < 0.05
    # Unadjusted, the sentence plan (75% against 66.7%) is nowhere near significant either.
    plan = report_questions(body)[("case_file", "sentence_plan_completed")]
    assert plan["compare"]["p_value"] > 0.05


@pytest.mark.usefixtures("estate")
def test_html_and_pdf_carry_the_chapters_and_figures(client: TestClient, auth: Auth) -> None:
    html = get(client, auth, format="html", **NOW, **EARLIER)
    assert html.status_code == 200, html.text
    assert html.headers["content-type"].startswith("text/html")
    response = client.get(
        "/api/v1/aggregate-report",
        params={"framework": FRAMEWORK, **NOW, **EARLIER},
        headers={**auth("analyst"), "Accept": "application/pdf"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)
    body = report(client, auth, **NOW, **EARLIER)
    for heading in (
        "Inspections and cases covered",
        "Significant changes against the comparison period",
        "Low-base notes",
        *(chapter["title"] for chapter in body["chapters"]),
    ):
        assert heading in text, heading
        assert heading in html.text, heading
    assert "DRAFT" in text
    for figure in ("90.0%", "20.0%", "+70.0", "Holm"):
        assert figure in text, figure
        assert figure in html.text, figure
    # The charts' 95% intervals, as the drawings' descriptions say them.
    rmp = report_questions(body)[("case_file", "rmp_sufficient")]
    low, high = rmp["ci95"]
    assert f"95% interval {low:.1f} to {high:.1f}" in html.text


@pytest.mark.usefixtures("estate")
@pytest.mark.parametrize(
    ("params", "accept"),
    [({}, "text/csv"), ({"format": "csv"}, "*/*"), ({}, "image/png")],
)
def test_other_representations_are_not_acceptable(
    client: TestClient, auth: Auth, params: dict[str, str], accept: str
) -> None:
    response = client.get(
        "/api/v1/aggregate-report",
        params={"framework": FRAMEWORK, **params},
        headers={**auth("analyst"), "Accept": accept},
    )
    assert response.status_code == 406
    assert response.headers["content-type"].startswith("application/problem+json")


def test_an_unknown_framework_is_not_found(client: TestClient, auth: Auth) -> None:
    assert get(client, auth, framework="no-such-framework").status_code == 404


@pytest.mark.parametrize("role", ALL_ROLES)
def test_aggregate_report_per_role(
    client: TestClient, auth: Auth, session: Session, role: str
) -> None:
    inspection = make_inspection(session)
    make_case(session, inspection, "R1", {"rmp_sufficient": "yes"})
    response = get(client, auth, role)
    if role in ("trust", "uploader"):
        assert response.status_code == 404
        assert "chapters" not in response.json()
    else:
        assert response.status_code == 200
        rmp = report_questions(response.json())[("case_file", "rmp_sufficient")]
        assert (rmp["yes"], rmp["relevant"]) == (1, 1)


def test_a_report_over_nothing_still_renders(client: TestClient, auth: Auth) -> None:
    body = report(client, auth, programme="omic-thematic")
    assert (body["coverage"]["inspections"], body["coverage"]["cases"]) == (0, 0)
    assert body["coverage"]["establishments"] == [] and body["low_base"] == []
    assert all(q["relevant"] == 0 for c in body["chapters"] for q in c["questions"])
    pdf = get(client, auth, programme="omic-thematic", format="pdf")
    assert pdf.status_code == 200
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "This report covers 0 inspections." in " ".join(text.split())


def test_a_chapter_names_its_strongest_and_weakest_figures() -> None:
    def question(code: str, yes: int, relevant: int) -> ReportQuestion:
        return ReportQuestion(
            code=code,
            instrument="case_file",
            text=f"Question {code}?",
            key=False,
            yes=yes,
            relevant=relevant,
            percent=percent(yes, relevant),
            ci95=None,
            low_base=is_low_base(relevant),
            by_establishment_type=[],
        )

    chapter = ReportChapter(
        theme="t",
        title="T",
        mean=None,
        # "c" is the lowest percent but rests on a low base, so it is not quoted.
        questions=[question("a", 9, 10), question("b", 3, 12), question("c", 0, 4)],
    )
    assert strongest_and_weakest(chapter) == [
        "The strongest figure: \u201cQuestion a?\u201d 90.0% of 10 relevant cases. "
        "The weakest: \u201cQuestion b?\u201d 25.0% of 12 relevant cases."
    ]
    assert (
        strongest_and_weakest(chapter.model_copy(update={"questions": chapter.questions[:1]})) == []
    )


def _squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.usefixtures("estate")
def test_html_and_pdf_carry_every_sentence_and_cell(client: TestClient, auth: Auth) -> None:
    """One document, one template: each paragraph, note, list item and table cell of the
    typed document is in the HTML page's text and in the PDF's."""
    params = {**NOW, **EARLIER}
    document = report_document(AggregateReport.model_validate(report(client, auth, **params)))
    tables = Tables()
    tables.feed(get(client, auth, format="html", **params).text)
    page = _squashed(" ".join(" ".join(row) for row in tables.rows) + " ".join(tables.texts))
    pdf = PdfReader(io.BytesIO(get(client, auth, format="pdf", **params).content))
    printed = _squashed(" ".join(p.extract_text() or "" for p in pdf.pages))
    said = [document.title, *(cell for fact in document.facts for cell in fact)]
    for section in document.sections:
        said += [section.heading, *section.paragraphs, *section.items, *section.notes]
        if section.table is not None:
            said += section.table.headings + [cell for row in section.table.rows for cell in row]
    for words in filter(None, map(_squashed, said)):
        assert words in page, words
        assert words in printed, words


def test_a_community_inspection_is_covered_without_an_establishment(
    client: TestClient, auth: Auth, session: Session
) -> None:
    community = make_inspection(session, establishment=None, trust="northumbria", programme="omi-2")
    make_case(session, community, "NOR1", {"rmp_sufficient": "yes"}, home_trust="northumbria")
    body = report(client, auth)
    [covered] = body["coverage"]["establishments"]
    assert (covered["code"], covered["establishment_type"], covered["cases"]) == (None, None, 1)
    assert [t["establishment_type"] for t in body["establishment_types"]] == ["unknown"]
    assert get(client, auth, format="pdf").status_code == 200
