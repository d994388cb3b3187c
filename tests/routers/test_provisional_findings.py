"""GET /inspections/{id}/provisional-findings: figures by theme, highlights, JSON or HTML."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session

from app.models import Inspection
from tests.builders import make_case, make_inspection
from tests.conftest import ALL_ROLES, role_headers

Auth = Callable[..., dict[str, str]]


@pytest.fixture
def inspection(session: Session) -> Inspection:
    inspection = make_inspection(
        session, recommendations=["Review <b>every</b> risk management plan within a month"]
    )
    inspection.good_practice = ["Offender supervisors meet prisoners within a day of arrival"]
    session.add(inspection)
    for n in range(6):
        answers = {
            "rmp_sufficient": "yes" if n < 5 else "no",  # 83.3% of 6: a strength
            "roh_screening_sufficient": "yes" if n < 2 else "no",  # 33.3% of 6: to improve
            "sentence_plan_completed": "yes" if n < 3 else "no",  # 50.0%: neither
            # 100% but of four relevant cases only: too small a base to be a strength
            "victim_safety_prioritised": "yes" if n < 4 else "na",
        }
        make_case(session, inspection, f"C{n}", answers)
    session.flush()
    return inspection


def findings(client: TestClient, headers: dict[str, str], inspection: Inspection, **kw: Any):
    return client.get(
        f"/api/v1/inspections/{inspection.id}/provisional-findings", headers=headers, **kw
    )


def test_findings_as_json(client: TestClient, auth: Auth, inspection: Inspection) -> None:
    response = findings(client, auth("prisons_inspector"), inspection)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {
        "inspection",
        "establishment",
        "trust",
        "cases",
        "generated_at",
        "themes",
        "strengths",
        "improvements",
        "recommendations",
        "good_practice",
        "judgements",
        "cases_approved",
        "agreement",
        "healthy_prison_tests",
    }
    assert body["inspection"] == {
        "id": inspection.id,
        "programme": "pomi",
        "status": "fieldwork",
        "fieldwork_start": "2011-09-12",
        "fieldwork_end": None,
    }
    assert body["establishment"] == {"code": "durham", "name": "HMP Durham"}
    assert body["trust"] is None
    assert body["cases"] == 6
    protection = next(t for t in body["themes"] if t["code"] == "public-protection")
    # Scored questions: plans 83.3 and screening 33.3, both key; the rest have no base.
    assert (protection["title"], protection["mean"], protection["key_min"]) == (
        "Public Protection",
        58.3,
        33.3,
    )
    victims = next(t for t in body["themes"] if t["code"] == "victims")
    safety = next(q for q in victims["questions"] if q["code"] == "victim_safety_prioritised")
    assert (victims["mean"], safety["relevant"], safety["low_base"]) == (100.0, 4, True)
    plans = next(q for q in protection["questions"] if q["code"] == "rmp_sufficient")
    assert plans == {
        "code": "rmp_sufficient",
        "instrument": "case_file",
        "text": plans["text"],
        "yes": 5,
        "relevant": 6,
        "percent": 83.3,
        "low_base": False,
    }
    assert [s["code"] for s in body["strengths"]] == ["rmp_sufficient"]
    assert body["strengths"][0] == {
        "code": "rmp_sufficient",
        "instrument": "case_file",
        "text": plans["text"],
        "percent": 83.3,
        "relevant": 6,
    }
    assert [i["code"] for i in body["improvements"]] == ["roh_screening_sufficient"]
    assert body["recommendations"] == ["Review <b>every</b> risk management plan within a month"]
    assert body["good_practice"] == ["Offender supervisors meet prisoners within a day of arrival"]
    assert body["judgements"] == []
    # No case approved, none read twice, no healthy prison test scored yet.
    assert body["cases_approved"] == 0
    assert body["agreement"]["second_readings"] == 0
    assert body["agreement"]["overall"]["kappa"] is None
    assert body["agreement"]["low_agreement"] == []
    assert [t["score"] for t in body["healthy_prison_tests"]] == [None] * 4
    # Themes follow the framework; a theme with no question of any instrument is left out.
    codes = [t["code"] for t in body["themes"]]
    assert "strategic-overview" not in codes
    assert codes.index("sentence-planning") < codes.index("public-protection")


def test_findings_include_the_criterion_judgements(
    client: TestClient, auth: Auth, inspection: Inspection
) -> None:
    headers = auth("probation_inspector")
    judged = client.put(
        f"/api/v1/inspections/{inspection.id}/judgements/2.2a",
        json={"judgement": "partly_met", "narrative": "Plans were sound but rarely reviewed."},
        headers=headers,
    )
    assert judged.status_code in (200, 201), judged.text
    [judgement] = findings(client, headers, inspection).json()["judgements"]
    assert (judgement["criterion"], judgement["judgement"]) == ("2.2a", "partly_met")


@pytest.mark.parametrize(
    ("params", "headers"),
    [({"format": "html"}, {}), ({}, {"Accept": "text/html,application/xhtml+xml;q=0.9"})],
)
def test_findings_as_a_printable_page(
    client: TestClient,
    auth: Auth,
    inspection: Inspection,
    params: dict[str, str],
    headers: dict[str, str],
) -> None:
    response = findings(client, {**auth("analyst"), **headers}, inspection, params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "HMP Durham" in page
    assert "83.3" in page
    # Text typed by inspectors is escaped, never interpreted as markup.
    assert "<b>" not in page
    assert "Review &lt;b>every&lt;/b> risk management plan" in page
    assert "Offender supervisors meet prisoners within a day of arrival" in page


@pytest.mark.parametrize(
    ("params", "headers"),
    [({"format": "xml"}, {}), ({}, {"Accept": "image/png"})],
)
def test_other_media_types_are_not_acceptable(
    client: TestClient,
    auth: Auth,
    inspection: Inspection,
    params: dict[str, str],
    headers: dict[str, str],
) -> None:
    response = findings(client, {**auth("analyst"), **headers}, inspection, params=params)
    assert response.status_code == 406
    assert response.headers["content-type"].startswith("application/problem+json")


def test_unknown_inspection_is_404(client: TestClient, auth: Auth) -> None:
    response = client.get("/api/v1/inspections/nope/provisional-findings", headers=auth("admin"))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ALL_ROLES)
def test_findings_per_role(
    client: TestClient, auth: Auth, inspection: Inspection, role: str
) -> None:
    response = findings(client, role_headers(auth, role), inspection)
    if role in ("trust", "uploader"):
        assert response.status_code == 404
        assert "themes" not in response.json()
    else:
        assert response.status_code == 200
        assert response.json()["cases"] == 6


@pytest.mark.parametrize(
    ("params", "headers"), [({"format": "pdf"}, {}), ({}, {"Accept": "application/pdf"})]
)
def test_findings_as_a_tagged_pdf_with_tests_and_judgements(
    client: TestClient,
    auth: Auth,
    inspection: Inspection,
    params: dict[str, str],
    headers: dict[str, str],
) -> None:
    judged = client.put(
        f"/api/v1/inspections/{inspection.id}/judgements/2.2a",
        json={"judgement": "partly_met", "narrative": "Plans were sound but rarely reviewed."},
        headers=auth("probation_inspector"),
    )
    scored = client.put(
        f"/api/v1/inspections/{inspection.id}/healthy-prison-tests/safety",
        json={"score": 3, "rationale": "Most prisoners felt safe."},
        headers=auth("prisons_inspector"),
    )
    assert judged.status_code in (200, 201) and scored.status_code in (200, 201), scored.text
    response = findings(client, {**auth("analyst"), **headers}, inspection, params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Joint provisional findings: HMP Durham" in text
    assert "Healthy prison tests" in text
    assert "3: reasonably good Most prisoners felt safe." in text
    assert "Plans were sound but rarely reviewed." in text
    assert "Partly met" in text
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"]
