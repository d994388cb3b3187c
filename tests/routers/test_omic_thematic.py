"""The OMiC thematic: a small inspection set whose pooled figures match the published shares."""

from __future__ import annotations

import csv
import io

import pytest

from tests.routers.evidence_support import headers

FRAMEWORK = "omic-thematic-2021"
QUESTIONS = (
    "keywork_regular",
    "pom_supervision_effective",
    "prison_probation_communication",
    "prerelease_contact_sufficient",
)
# Per prison: cases read, and how many were judged sufficient on each question.
PRISONS = {
    "durham": (34, {"keywork_regular": 12, "pom_supervision_effective": 12,
                    "prison_probation_communication": 5, "prerelease_contact_sufficient": 11}),
    "high-down": (33, {"keywork_regular": 11, "pom_supervision_effective": 12,
                       "prison_probation_communication": 4, "prerelease_contact_sufficient": 11}),
    "deerbolt": (33, {"keywork_regular": 11, "pom_supervision_effective": 12,
                      "prison_probation_communication": 4, "prerelease_contact_sufficient": 11}),
}  # fmt: skip
# The thematic's headline shares: key work 34%, POM supervision 36%, communication 13%,
# and sufficient pre-release contact in about a third of cases.
HEADLINES = {
    "keywork_regular": 34,
    "pom_supervision_effective": 36,
    "prison_probation_communication": 13,
    "prerelease_contact_sufficient": 33,
}
ATTRIBUTES = (
    "case_ref",
    "home_trust",
    "sex",
    "age_at_sentence",
    "sentence_type",
    "sentence_months",
    "rosh",
    "mappa_level",
    "ppo",
    "sentence_date",
    "reception_date",
)


def cases_csv(prison: str, count: int, yes: dict[str, int]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*ATTRIBUTES, *QUESTIONS])
    for number in range(count):
        writer.writerow(
            [
                f"{prison[:3].upper()}-{number:03d}",
                ("london", "kent", "durham-tees-valley")[number % 3],
                "male",
                22 + number % 30,
                "determinate",
                18 + number % 40,
                ("medium", "high")[number % 2],
                0,
                "false",
                "2020-03-02",
                "2020-03-03",
                *("yes" if number < yes[code] else "no" for code in QUESTIONS),
            ]
        )
    return out.getvalue()


@pytest.fixture
def thematic(client, session, auth):
    """Three prisons inspected under the thematic, their case samples uploaded as CSV."""
    writer = headers(session, auth, "probation_inspector")
    ids = []
    for prison, (count, yes) in PRISONS.items():
        created = client.post(
            "/api/v1/inspections",
            headers=writer,
            json={
                "programme": "omic-thematic",
                "establishment": prison,
                "fieldwork_start": "2021-02-01",
            },
        )
        assert created.status_code == 201, created.text
        assert created.json()["framework"] == FRAMEWORK
        inspection = created.json()["id"]
        moved = client.post(
            f"/api/v1/inspections/{inspection}/transitions",
            headers=writer,
            json={"to": "fieldwork"},
        )
        assert moved.status_code == 200
        uploaded = client.post(
            f"/api/v1/inspections/{inspection}/case-imports",
            headers={**writer, "Content-Type": "text/csv"},
            content=cases_csv(prison, count, yes).encode(),
        )
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["created"] == count
        ids.append(inspection)
    return ids


def test_pooled_thematic_figures_match_the_published_shares(client, session, auth, thematic):
    response = client.get(
        f"/api/v1/aggregates?framework={FRAMEWORK}&programme=omic-thematic",
        headers=headers(session, auth, "analyst"),
    )
    assert response.status_code == 200, response.text
    [row] = response.json()["rows"]
    assert (row["group"], row["inspections"], row["cases"]) == ({}, 3, 100)
    case_file = next(item for item in row["instruments"] if item["code"] == "case_file")
    pooled = {q["code"]: q for q in case_file["questions"] if q["code"] in HEADLINES}
    assert {code: round(q["percent"]) for code, q in pooled.items()} == HEADLINES
    assert {code: q["relevant"] for code, q in pooled.items()} == dict.fromkeys(HEADLINES, 100)
    # The unweighted mean of the three prisons' percents rounds to the same whole shares.
    assert {code: round(q["mean_of_inspections"]) for code, q in pooled.items()} == HEADLINES


def test_each_prison_scores_on_its_own(client, session, auth, thematic):
    for inspection, (prison, (count, yes)) in zip(thematic, PRISONS.items(), strict=True):
        response = client.get(
            f"/api/v1/inspections/{inspection}/scores", headers=headers(session, auth, "analyst")
        )
        assert response.status_code == 200, response.text
        scores = response.json()
        assert scores["cases"] == count, prison
        case_file = next(item for item in scores["instruments"] if item["code"] == "case_file")
        counted = {q["code"]: q["yes"] for q in case_file["questions"] if q["code"] in yes}
        assert counted == yes
        # Criteria K, P and R all rest on case questions the sample answered.
        assert scores["not_covered"] == []


def test_grouping_by_establishment_gives_each_prison_its_row(client, session, auth, thematic):
    response = client.get(
        f"/api/v1/aggregates?framework={FRAMEWORK}&group_by=establishment",
        headers=headers(session, auth, "analyst"),
    )
    assert response.status_code == 200, response.text
    rows = {row["group"]["establishment"]: row for row in response.json()["rows"]}
    assert set(rows) == set(PRISONS)
    for prison, (count, yes) in PRISONS.items():
        case_file = next(i for i in rows[prison]["instruments"] if i["code"] == "case_file")
        regular = next(q for q in case_file["questions"] if q["code"] == "keywork_regular")
        assert (rows[prison]["cases"], regular["yes"]) == (count, yes["keywork_regular"])
