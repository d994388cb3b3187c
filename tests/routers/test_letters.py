"""Findings letters: eligibility, figures, publication, supersession, formats, and who sees what."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.builders import make_case, make_inspection
from tests.conftest import ALL_ROLES, role_headers

OWN_TRUST = "durham-tees-valley"  # the trust of role_headers' trust token
OTHER_TRUST = "northumbria"
NINE_TRUST = "cumbria"


def _answers(number: int) -> dict[str, str]:
    """Deterministic answers: rmp mostly yes (a strength), sentence plan mostly no (an improvement)."""
    return {
        "rmp_sufficient": "yes" if number % 10 else "no",
        "sentence_plan_completed": "yes" if number % 3 == 0 else "no",
        "roh_screening_sufficient": "yes" if number % 2 else "no",
        "offending_factors_progress": ("all", "some", "insufficient", "na")[number % 4],
    }


@pytest.fixture
def inspection(session):
    inspection = make_inspection(session, recommendations=["Improve sentence planning."])
    counts = {OWN_TRUST: 10, OTHER_TRUST: 11, NINE_TRUST: 9}
    number = 0
    for trust, count in counts.items():
        for _ in range(count):
            number += 1
            make_case(session, inspection, f"C-{number:03d}", _answers(number), home_trust=trust)
    return inspection


def generate(client, auth, inspection):
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/findings-letters", headers=auth("probation_inspector")
    )
    assert response.status_code == 201, response.text
    return {letter["trust"]["code"]: letter for letter in response.json()["items"]}


def test_letters_go_to_trusts_with_ten_or_more_cases(client, auth, inspection):
    letters = generate(client, auth, inspection)
    assert set(letters) == {OWN_TRUST, OTHER_TRUST}  # 10 and 11 cases; 9 is no letter
    assert letters[OWN_TRUST]["case_count"] == 10
    assert letters[OTHER_TRUST]["case_count"] == 11
    assert letters[OWN_TRUST]["status"] == "draft" and letters[OWN_TRUST]["version"] == 1
    assert letters[OWN_TRUST]["recommendations"] == ["Improve sentence planning."]
    assert letters[OWN_TRUST]["establishment"] == {"code": "durham", "name": "HMP Durham"}


def test_regenerating_replaces_drafts(client, auth, inspection):
    first = generate(client, auth, inspection)
    second = generate(client, auth, inspection)
    assert first[OWN_TRUST]["id"] != second[OWN_TRUST]["id"]
    listed = client.get(
        f"/api/v1/findings-letters?inspection={inspection.id}", headers=auth("admin")
    ).json()
    assert listed["total"] == 2
    gone = client.get(f"/api/v1/findings-letters/{first[OWN_TRUST]['id']}", headers=auth("admin"))
    assert gone.status_code == 404


def test_letter_figures_equal_the_scores_filtered_by_trust(client, auth, inspection):
    letter = generate(client, auth, inspection)[OWN_TRUST]
    headers = auth("admin")
    trust_scores = client.get(
        f"/api/v1/inspections/{inspection.id}/scores?trust={OWN_TRUST}", headers=headers
    ).json()
    all_scores = client.get(f"/api/v1/inspections/{inspection.id}/scores", headers=headers).json()

    def case_file(scores):
        instrument = next(item for item in scores["instruments"] if item["code"] == "case_file")
        return {q["code"]: q for q in instrument["questions"]}

    own, whole = case_file(trust_scores), case_file(all_scores)
    by_code = {q["code"]: q for q in letter["questions"]}
    for code in (
        "rmp_sufficient",
        "sentence_plan_completed",
        "roh_screening_sufficient",
        "offending_factors_progress",
    ):
        for side, source in (("trust", own), ("sample", whole)):
            assert by_code[code][side] == {
                "yes": source[code]["yes"],
                "relevant": source[code]["relevant"],
                "percent": source[code]["percent"],
            }
    # Cases 1-10: rmp yes except case 10 → 90%; sentence plan yes for 3, 6, 9 → 30%.
    assert by_code["rmp_sufficient"]["trust"] == {"yes": 9, "relevant": 10, "percent": 90.0}
    assert by_code["sentence_plan_completed"]["trust"] == {
        "yes": 3,
        "relevant": 10,
        "percent": 30.0,
    }
    assert "rmp_sufficient" in letter["strengths"]
    assert "sentence_plan_completed" in letter["improvements"]
    assert "roh_screening_sufficient" not in letter["strengths"] + letter["improvements"]  # 50%


def test_html_and_pdf_carry_the_same_figures(client, auth, inspection):
    letter = generate(client, auth, inspection)[OWN_TRUST]
    headers = auth("admin")
    html = client.get(
        f"/api/v1/findings-letters/{letter['id']}", headers={**headers, "Accept": "text/html"}
    )
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    pdf = client.get(f"/api/v1/findings-letters/{letter['id']}?format=pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for document in (html.text, text):
        assert "Durham Tees Valley" in document
        assert "90.0%" in document and "30.0%" in document  # trust figures
        for question in letter["questions"]:
            if question["sample"]["percent"] is not None:
                assert f"{question['sample']['percent']:.1f}%" in document


def test_every_representation_says_it_varies_by_accept(client, auth, inspection):
    # One URL, three bodies chosen by Accept: a cache must key them by it.
    letter = generate(client, auth, inspection)[OWN_TRUST]
    url = f"/api/v1/findings-letters/{letter['id']}"
    for accept in ("application/json", "text/html", "application/pdf"):
        answer = client.get(url, headers={**auth("admin"), "Accept": accept})
        assert answer.status_code == 200
        assert answer.headers["vary"] == "Accept", accept
        again = client.get(
            url,
            headers={**auth("admin"), "Accept": accept, "If-None-Match": answer.headers["etag"]},
        )
        assert again.status_code == 304
        assert again.headers["vary"] == "Accept", accept


def test_unsupported_media_type_is_406(client, auth, inspection):
    letter = generate(client, auth, inspection)[OWN_TRUST]
    response = client.get(
        f"/api/v1/findings-letters/{letter['id']}", headers={**auth("admin"), "Accept": "image/png"}
    )
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"


def test_etag_lets_a_trust_system_poll_cheaply(client, auth, inspection):
    letter = generate(client, auth, inspection)[OWN_TRUST]
    client.post(
        f"/api/v1/findings-letters/{letter['id']}/publish", headers=auth("probation_inspector")
    )
    trust = role_headers(auth, "trust")
    for url in (
        f"/api/v1/findings-letters/{letter['id']}",
        f"/api/v1/findings-letters/{letter['id']}?format=pdf",
        "/api/v1/findings-letters",
    ):
        first = client.get(url, headers=trust)
        assert first.status_code == 200
        again = client.get(url, headers={**trust, "If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""


def test_publication_freezes_and_a_correction_supersedes(client, auth, session, inspection):
    inspector = auth("probation_inspector")
    first = generate(client, auth, inspection)[OWN_TRUST]
    published = client.post(f"/api/v1/findings-letters/{first['id']}/publish", headers=inspector)
    assert published.status_code == 200
    assert published.json()["status"] == "published" and published.json()["published_at"]
    again = client.post(f"/api/v1/findings-letters/{first['id']}/publish", headers=inspector)
    assert again.status_code == 409

    # A correction: another case changes the figures; the new draft is version 2.
    make_case(session, inspection, "C-999", {"rmp_sufficient": "no"}, home_trust=OWN_TRUST)
    second = generate(client, auth, inspection)[OWN_TRUST]
    assert second["version"] == 2 and second["supersedes"] == first["id"]
    assert (
        client.post(
            f"/api/v1/findings-letters/{second['id']}/publish", headers=inspector
        ).status_code
        == 200
    )

    old = client.get(f"/api/v1/findings-letters/{first['id']}", headers=auth("admin")).json()
    new = client.get(f"/api/v1/findings-letters/{second['id']}", headers=auth("admin")).json()
    assert old["status"] == "superseded" and new["status"] == "published"
    assert old["superseded_by"] == second["id"] and new["superseded_by"] is None
    assert old["case_count"] == 10 and new["case_count"] == 11  # the published letter never changed
    trust_view = client.get("/api/v1/findings-letters", headers=role_headers(auth, "trust")).json()
    assert {item["id"] for item in trust_view["items"]} == {first["id"], second["id"]}


def test_trust_sees_only_its_own_released_letters(client, auth, inspection):
    letters = generate(client, auth, inspection)
    trust = role_headers(auth, "trust")
    own = letters[OWN_TRUST]["id"]
    other = letters[OTHER_TRUST]["id"]
    assert (
        client.get(f"/api/v1/findings-letters/{own}", headers=trust).status_code == 404
    )  # still a draft
    assert client.get("/api/v1/findings-letters", headers=trust).json()["total"] == 0
    for letter_id in (own, other):
        client.post(f"/api/v1/findings-letters/{letter_id}/publish", headers=auth("admin"))
    assert client.get(f"/api/v1/findings-letters/{own}", headers=trust).status_code == 200
    assert client.get(f"/api/v1/findings-letters/{other}", headers=trust).status_code == 404
    listing = client.get(f"/api/v1/findings-letters?trust={OTHER_TRUST}", headers=trust).json()
    assert listing["total"] == 0
    second_trust = auth("trust", trust=OTHER_TRUST)
    assert client.get(f"/api/v1/findings-letters/{other}", headers=second_trust).status_code == 200
    assert client.get(f"/api/v1/findings-letters/{own}", headers=second_trust).status_code == 404
    # A trust reaches no inspection or case data.
    assert client.get(f"/api/v1/inspections/{inspection.id}", headers=trust).status_code == 404
    assert (
        client.get(f"/api/v1/inspections/{inspection.id}/scores", headers=trust).status_code == 404
    )


GENERATE = {
    "admin": 201,
    "probation_inspector": 201,
    "prisons_inspector": 403,
    "analyst": 403,
    "trust": 404,  # a trust sees no inspection, so learns nothing of this one
    "uploader": 404,
}
READ = {
    "admin": 200,
    "probation_inspector": 200,
    "prisons_inspector": 200,
    "analyst": 200,
    "trust": 200,
    "uploader": 404,
}
PUBLISH = {
    "admin": 200,
    "probation_inspector": 200,
    "prisons_inspector": 403,
    "analyst": 403,
    "trust": 403,
    "uploader": 404,
}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_generate_per_role(client, auth, inspection, role):
    response = client.post(
        f"/api/v1/inspections/{inspection.id}/findings-letters", headers=role_headers(auth, role)
    )
    assert response.status_code == GENERATE[role]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_read_and_publish_per_role(client, auth, inspection, role):
    letter = generate(client, auth, inspection)[OWN_TRUST]
    headers = role_headers(auth, role)
    if role == "trust":  # a trust reads only released letters
        client.post(f"/api/v1/findings-letters/{letter['id']}/publish", headers=auth("admin"))
        assert (
            client.get(f"/api/v1/findings-letters/{letter['id']}", headers=headers).status_code
            == 200
        )
        assert (
            client.post(
                f"/api/v1/findings-letters/{letter['id']}/publish", headers=headers
            ).status_code
            == 403
        )
        return
    assert (
        client.get(f"/api/v1/findings-letters/{letter['id']}", headers=headers).status_code
        == READ[role]
    )
    assert client.get("/api/v1/findings-letters", headers=headers).status_code == READ[role]
    assert (
        client.post(f"/api/v1/findings-letters/{letter['id']}/publish", headers=headers).status_code
        == PUBLISH[role]
    )


def test_letters_are_not_drafted_for_a_planned_inspection(client, auth, session):
    planned = make_inspection(session, status="planned")
    response = client.post(
        f"/api/v1/inspections/{planned.id}/findings-letters", headers=auth("admin")
    )
    assert response.status_code == 409


@pytest.fixture
def signatory(monkeypatch):
    from app import config

    monkeypatch.setenv("LETTER_SIGNATORY_NAME", "Jane Example")
    monkeypatch.setenv("LETTER_SIGNATORY_TITLE", "HM Chief Inspector of Probation")
    config.get_settings.cache_clear()
    yield "Jane Example"
    monkeypatch.undo()
    config.get_settings.cache_clear()


def test_a_letter_reads_as_a_letter_signed_by_the_configured_person(
    client, auth, inspection, signatory
):
    letter = generate(client, auth, inspection)[OWN_TRUST]
    assert letter["signatory"] == {"name": signatory, "title": "HM Chief Inspector of Probation"}
    assert letter["sample_areas"] == 3
    progress = next(q for q in letter["questions"] if q["code"] == "offending_factors_progress")
    assert [choice["value"] for choice in progress["choices"]] == [
        "all", "some", "insufficient", "na",
    ]  # fmt: skip
    # Cases 1-10 of the own trust: values cycle all, some, insufficient, na from case 1.
    assert progress["distribution"]["trust"] == {"all": 2, "some": 3, "insufficient": 3, "na": 2}
    assert sum(progress["distribution"]["sample"].values()) == 30
    plain = next(q for q in letter["questions"] if q["code"] == "rmp_sufficient")
    assert "choices" not in plain and "distribution" not in plain
    page = client.get(f"/api/v1/findings-letters/{letter['id']}?format=html", headers=auth("admin"))
    text = " ".join(page.text.split())
    assert (
        "Of the 30 cases in the inspection sample, 10 were supervised by Durham Tees Valley "
        "Probation Trust." in text
    )
    assert "(case file), the answers were: Good progress on all significant factors 2 (20.0%)" in (
        text
    )
    assert "was answered yes in 9 of the trust's 10 relevant cases (90.0%)" in text
    assert f"<strong>{signatory}</strong>" in page.text


def test_publication_honours_if_match(client, auth, session, inspection):
    inspector = auth("probation_inspector")
    draft = generate(client, auth, inspection)[OWN_TRUST]
    url = f"/api/v1/findings-letters/{draft['id']}"
    etag = client.get(url, headers=inspector).headers["etag"]
    stale = client.post(f"{url}/publish", headers={**inspector, "If-Match": '"not-it"'})
    assert stale.status_code == 412
    assert client.get(url, headers=inspector).json()["status"] == "draft"
    fresh = client.post(f"{url}/publish", headers={**inspector, "If-Match": etag})
    assert fresh.status_code == 200, fresh.text
    # The letter changed with its publication: the ETag read before no longer matches.
    assert client.post(f"{url}/publish", headers={**inspector, "If-Match": etag}).status_code == 412
